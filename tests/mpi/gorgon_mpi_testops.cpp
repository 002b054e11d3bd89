// Test-only operations, linked with src/gorgon_mpi.cpp's main into gorgon_mpi_testops, so
// cli_test.py can run them through the real command line under mpiexec. cli_test.py computes
// the exact counts each one must produce; keep the two in step.
#include <cstdint>
#include <stdexcept>

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

}  // namespace

GORGON_OPERATION("test_scopes", test_scopes);
GORGON_OPERATION("test_throws", test_throws);
