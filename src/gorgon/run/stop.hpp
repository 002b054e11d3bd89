#pragma once
// Stopping a run cleanly: the stop flag every calling thread reads, the signals that set it,
// and why it was set. The cross-rank side (carrying a stop to every rank) is in rounds.hpp.
#include <signal.h>

#include <array>
#include <atomic>
#include <string>

namespace gorgon {

/// The signal that asked this process to stop (SIGINT, SIGTERM or SIGUSR1), or 0.
int stop_signal() noexcept;
namespace detail {
/// The stop flag itself; read through stop_requested() on every call of the hot loop.
inline std::atomic<bool> stop_flag{false};
}  // namespace detail

/// True once a stop was asked for by a signal, a deadline or another rank.
inline bool stop_requested() noexcept { return detail::stop_flag.load(std::memory_order_relaxed); }
/// Asks every loop of this process to stop taking new calls (`why` is kept for the report).
void request_stop(const char* why) noexcept;
/// Why the stop was asked ("SIGTERM", "time limit", "another rank"), or "" when not.
std::string stop_reason();
/// The stop as a number every rank can compare: 0 none, 1 time limit, else the signal.
int stop_code() noexcept;
/// "SIGTERM", "time limit", ... for a stop_code().
const char* stop_code_name(int code) noexcept;
/// Clears the stop request and its cause (StopHandlers does when its scope ends).
void reset_stop() noexcept;
/// Installs handlers for SIGINT, SIGTERM and SIGUSR1: the first asks for a clean stop,
/// a second one of any of them ends the process at once with the default action. Safe to
/// call again (gorgon_mpi installs them before MPI_Init_thread and once more after it).
void install_stop_handlers();

/// The stop handlers for a scope: installed on construction; the handlers found before and
/// a clear stop state restored on destruction (tests, and programs with handlers of their
/// own).
class StopHandlers {
 public:
  StopHandlers();
  ~StopHandlers();
  StopHandlers(const StopHandlers&) = delete;
  StopHandlers& operator=(const StopHandlers&) = delete;

 private:
  std::array<struct sigaction, 3> previous_{};
};

}  // namespace gorgon
