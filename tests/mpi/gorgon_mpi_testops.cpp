// Test-only operations, linked with src/gorgon_mpi.cpp's main into gorgon_mpi_testops, so
// cli_test.py can run them through the real command line under mpiexec. cli_test.py computes
// the exact counts each one must produce; keep the two in step.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>

#include "gorgon/gorgon.hpp"

namespace {

/// Labels a call "odd" or "even"; opens sub-calls "step a" and "step b" on every call and
/// "step c" (between them) when n % 3 == 0.
gorgon::Result test_scopes(std::uint64_t n, gorgon::Context& g) {
  { auto a = g.measurement("step a"); }
  if (n % 3 == 0) {
    auto c = g.measurement("step c");
  }
  auto b = g.measurement("step b");
  return n % 2 != 0 ? "odd" : "even";
}

/// Opens sub-call "before" on every call, then throws std::runtime_error("boom") when
/// n % 7 == 0, else throws a non-std value (an int) when n % 11 == 0, else opens sub-call
/// "after" and returns "ok". Sub-calls open while throwing are recorded under the exception's
/// label.
gorgon::Result test_throws(std::uint64_t n, gorgon::Context& g) {
  auto before = g.measurement("before");
  if (n % 7 == 0) throw std::runtime_error("boom");
  if (n % 11 == 0) throw 11;
  auto after = g.measurement("after");
  return "ok";
}

/// test_counted's make: appends one line "made <rank>" per instance built to the file
/// `log` names, so a test can count the instances (one per thread, none for validation).
gorgon::OperationFn make_counted(const gorgon::Params& p) {
  const std::string line = "made\n";
  const int fd = ::open(p.string("log").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) throw gorgon::ConfigError("test_counted: cannot open log " + p.string("log"));
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) throw gorgon::ConfigError("test_counted: cannot write the log");
  return [](std::uint64_t, gorgon::Context&) -> gorgon::Result { return "ok"; };
}

/// test_slow_rank: returns "ok"; each call first sleeps `base_us` microseconds, `us` on the
/// last rank of several (a straggler for the schedules and the stonewall).
gorgon::OperationFn make_slow_rank(const gorgon::Params& p) {
  const auto us = p.integer("us"), base_us = p.integer("base_us");
  return [us, base_us](std::uint64_t, gorgon::Context& g) -> gorgon::Result {
    const auto t = g.ranks() > 1 && g.rank() == g.ranks() - 1 ? us : base_us;
    if (t > 0) {
      timespec nap{static_cast<time_t>(t / 1'000'000), static_cast<long>(t % 1'000'000) * 1000};
      nanosleep(&nap, nullptr);
    }
    return "ok";
  };
}

}  // namespace

GORGON_OPERATION("test_scopes", test_scopes);
GORGON_OPERATION("test_throws", test_throws);
GORGON_REGISTER(gorgon::OperationInfo{
    .name = "test_counted",
    .help = "returns ok; every instance built appends a line to `log`",
    .params = {{"log", gorgon::ParamType::String, "", "the file counting instances"}},
    .make = make_counted,
});
GORGON_REGISTER(gorgon::OperationInfo{
    .name = "test_slow_rank",
    .help = "returns ok; on the last rank of several each call first sleeps `us` microseconds",
    .params = {{"us", gorgon::ParamType::Integer, "200", "the last rank's sleep per call"},
               {"base_us", gorgon::ParamType::Integer, "0", "every other rank's sleep per call"}},
    .make = make_slow_rank,
});
