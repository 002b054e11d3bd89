// Per-call overhead of the harness: noop calls/s per thread with every call recorded, next
// to the cost of one clock read measured in the same process. Target: <= 3 clock reads.
//
//   bench_noop_overhead [calls=2e7] [threads=1] [schedule=dynamic]
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/run/runner.hpp"

namespace {

/// Nanoseconds per now_ns() call, best of several rounds (the floor, like the harness's).
double clock_read_ns() {
  double best = 1e9;
  for (int round = 0; round < 5; ++round) {
    constexpr int kReads = 5'000'000;
    volatile std::uint64_t sink = 0;
    const std::uint64_t t0 = gorgon::now_ns();
    for (int i = 0; i < kReads; ++i) sink = sink + gorgon::now_ns();
    const std::uint64_t t1 = gorgon::now_ns();
    best = std::min(best, static_cast<double>(t1 - t0) / kReads);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;  // the ranks' agents talk to MPI from a thread of their own
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  const std::uint64_t calls = argc > 1 ? gorgon::parse_count(argv[1]) : 20'000'000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;

  gorgon::RunSpec spec;
  spec.operation = "noop";
  spec.ops = calls;
  spec.threads = threads;
  if (argc > 3 && !gorgon::from_name(argv[3], spec.schedule)) {
    std::fprintf(stderr, "unknown schedule '%s'\n", argv[3]);
    return 2;
  }
  const auto& op = gorgon::registry().find("noop");

  // The clock is measured around every round and the best of each kept, so a busy machine
  // slows both sides of the ratio alike rather than one of them.
  double clock_ns = clock_read_ns();
  double best_call_ns = 1e9;
  std::uint64_t recorded = 0;
  for (int round = 0; round < 3; ++round) {
    const gorgon::RankRun run = gorgon::execute_run(spec, op, MPI_COMM_SELF);
    recorded = 0;
    for (const auto& r : run.records) recorded += r->call_count();
    // Every thread runs the whole time, so per-thread time per call = wall * threads / calls.
    const double per_call =
        static_cast<double>(run.end_ns - run.start_ns) * threads / static_cast<double>(calls);
    best_call_ns = std::min(best_call_ns, per_call);
    clock_ns = std::min(clock_ns, clock_read_ns());
  }
  std::printf("noop calls recorded:        %llu (of %llu)\n",
              static_cast<unsigned long long>(recorded), static_cast<unsigned long long>(calls));
  std::printf("threads:                    %d\n", threads);
  std::printf("schedule:                   %s\n",
              std::string(gorgon::name_of(spec.schedule)).c_str());
  std::printf("noop calls/s per thread:    %.0f\n", 1e9 / best_call_ns);
  std::printf("per-call cost:              %.1f ns\n", best_call_ns);
  std::printf("one clock read:             %.1f ns\n", clock_ns);
  std::printf("ratio (call / clock read):  %.2f   (target <= 3.00)\n", best_call_ns / clock_ns);
  MPI_Finalize();
  return recorded == calls ? 0 : 1;
}
