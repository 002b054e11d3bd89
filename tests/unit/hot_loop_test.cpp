// The hot loop allocates nothing per call: global operator new is counted per thread while a
// run of 2 threads per rank makes ~2e5 calls a thread. What may allocate is the growth of the
// record columns by whole blocks (a thread that takes more than its share of the numbers goes
// past its reserve; sub-call columns grow by doubling blocks): a few allocations per ~1e5
// calls. One allocation per call would be 1000 times the bound. Thread 0 is left out: besides
// its calls it takes part in the progress rounds (MPI), which may allocate once a round.
#include <gtest/gtest.h>
#include <mpi.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include "gorgon/op/operation.hpp"
#include "gorgon/run/runner.hpp"

namespace {
thread_local std::uint64_t t_allocations = 0;

struct ThreadSample {
  std::uint64_t calls = 0;
  std::uint64_t at_call_1000 = 0;  ///< allocations so far, at the thread's 1000th call
  std::uint64_t at_last = 0;       ///< allocations so far, at its last call
};
std::array<ThreadSample, 2> g_samples;

void sample(int thread) {
  ThreadSample& s = g_samples[static_cast<std::size_t>(thread)];
  if (++s.calls == 1000) s.at_call_1000 = t_allocations;
  s.at_last = t_allocations;
}
}  // namespace

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

gorgon::OperationInfo counting_op(bool with_subcall) {
  gorgon::OperationInfo info;
  info.name = with_subcall ? "count_with_subcall" : "count";
  info.make = [with_subcall](const gorgon::Params&) -> gorgon::OperationFn {
    return [with_subcall](std::uint64_t n, gorgon::Context& g) -> gorgon::Result {
      if (with_subcall) auto step = g.measurement("step");
      sample(g.thread());
      return n % 3 == 0 ? "three" : "other";  // two labels, alternating
    };
  };
  return info;
}

void run_and_check(bool with_subcall) {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  g_samples = {};
  gorgon::RunSpec spec;
  spec.operation = with_subcall ? "count_with_subcall" : "count";
  spec.threads = 2;
  spec.ops = 400'000 * static_cast<std::uint64_t>(ranks);
  const gorgon::RankRun run = gorgon::execute_run(spec, counting_op(with_subcall), MPI_COMM_WORLD);
  const ThreadSample& s = g_samples[1];
  ASSERT_EQ(s.calls, run.records[1]->call_count());
  ASSERT_GT(s.calls, 10'000u) << "thread 1 made too few calls to tell";
  const std::uint64_t allocations = s.at_last - s.at_call_1000;
  EXPECT_LT(allocations * 1000, s.calls - 1000)
      << allocations << " allocations on thread 1 between its call 1000 and its call " << s.calls;
}

TEST(HotLoop, NoAllocationPerCall) { run_and_check(false); }

TEST(HotLoop, NoAllocationPerCallWithASubCall) { run_and_check(true); }

}  // namespace

// main: tests/mpi_gtest_main.cpp
