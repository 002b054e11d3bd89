#include "gorgon/run/stop.hpp"

#include <csignal>
#include <cstring>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {

std::atomic<int> g_signal{0};
std::atomic<const char*> g_reason{nullptr};

extern "C" void on_stop_signal(int sig) {
  if (g_signal.load() != 0) {  // a second signal (not a stop passed on): give up at once
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal.store(sig);
  // The first cause of the stop names it: a signal after a deadline stop keeps "time limit".
  const char* expected = nullptr;
  g_reason.compare_exchange_strong(expected, sig == SIGINT    ? "SIGINT"
                                             : sig == SIGTERM ? "SIGTERM"
                                                              : "SIGUSR1");
  detail::stop_flag.store(true);
}

}  // namespace

int stop_signal() noexcept { return g_signal.load(); }
void request_stop(const char* why) noexcept {
  const char* expected = nullptr;
  g_reason.compare_exchange_strong(expected, why);
  detail::stop_flag.store(true);
}
std::string stop_reason() {
  const char* r = g_reason.load();
  return r ? r : "";
}
int stop_code() noexcept {
  if (!detail::stop_flag.load()) return 0;
  // The first cause names the stop (a signal after a deadline stop keeps "time limit"); a
  // stop passed on from another rank keeps that rank's name.
  if (const char* r = g_reason.load(); r != nullptr) {
    for (int code : {1, SIGINT, SIGTERM, SIGUSR1})
      if (std::strcmp(r, stop_code_name(code)) == 0) return code;
  }
  if (const int sig = g_signal.load(); sig != 0) return sig;
  return 100;
}

const char* stop_code_name(int code) noexcept {
  switch (code) {
    case 0: return "";
    case 1: return "time limit";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "stopped";
  }
}

void reset_stop() noexcept {
  detail::stop_flag.store(false);
  g_signal.store(0);
  g_reason.store(nullptr);
}

namespace {
constexpr std::array<int, 3> kStopSignals = {SIGINT, SIGTERM, SIGUSR1};
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : kStopSignals) sigaction(sig, &sa, nullptr);
}

StopHandlers::StopHandlers() {
  for (std::size_t i = 0; i < kStopSignals.size(); ++i)
    sigaction(kStopSignals[i], nullptr, &previous_[i]);
  install_stop_handlers();
}

StopHandlers::~StopHandlers() {
  for (std::size_t i = 0; i < kStopSignals.size(); ++i)
    sigaction(kStopSignals[i], &previous_[i], nullptr);
  reset_stop();
}

}  // namespace gorgon
