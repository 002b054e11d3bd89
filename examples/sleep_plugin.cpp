// An operation with parameters, registered by GORGON_REGISTER (docs/operations.md shows this
// file whole):
//   mpirun -np 4 gorgon_mpi --plugin ./libexample_sleep_plugin.so --op example_sleep
//          -p us=200 -p fail_every=10 --ops 4000 --threads 2
#include <gorgon/gorgon.hpp>

#include <chrono>
#include <cstdint>
#include <thread>

namespace {

void check_sleep(const gorgon::Params& p) {
  if (p.integer("us") < 0) throw gorgon::ConfigError("example_sleep: us must be >= 0");
  if (p.integer("fail_every") < 0) {
    throw gorgon::ConfigError("example_sleep: fail_every must be >= 0");
  }
}

gorgon::OperationFn make_sleep(const gorgon::Params& p) {
  check_sleep(p);
  const auto pause = std::chrono::microseconds(p.integer("us"));
  const auto every = static_cast<std::uint64_t>(p.integer("fail_every"));
  return [pause, every](std::uint64_t number, gorgon::Context& g) -> gorgon::Result {
    {
      auto timer = g.measurement("sleep");  // a sub-call, timed until the end of the scope
      std::this_thread::sleep_for(pause);
    }
    return every != 0 && number % every == 0 ? "FAIL" : "ok";
  };
}

}  // namespace

GORGON_REGISTER(gorgon::OperationInfo{
    .name = "example_sleep",
    .help = "sleeps `us` microseconds; every fail_every-th number fails",
    .params = {{"us", gorgon::ParamType::Integer, "100", "microseconds to sleep"},
               {"fail_every", gorgon::ParamType::Integer, "0", "FAIL every Nth number; 0: never"}},
    .make = make_sleep,
    .errors = gorgon::LabelRule::errors("FAIL"),
    .check = check_sleep,
});
