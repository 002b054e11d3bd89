// Cost of the live progress display: noop calls/s with progress on (a progress round every
// 200 ms, as gorgon_mpi does, and a line drawn from each) against progress off, measured
// alternately in the same run. "Off" is measured two ways: as --quiet does it (the same rounds,
// which also carry stop requests, nothing drawn), and with rounds only every 10 s, close to no
// rounds at all: the cost of gathering the counts. Target: on is at most 2% slower than either.
//
//   mpiexec -np R bench_progress_overhead [calls per rank=2e7] [threads=1]
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "gorgon/base/units.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/report/progress.hpp"
#include "gorgon/run/runner.hpp"

namespace {

double calls_per_s(const gorgon::RunSpec& spec, const gorgon::RunControl& control) {
  const gorgon::RankRun run =
      gorgon::execute_run(spec, gorgon::registry().find("noop"), MPI_COMM_WORLD, control);
  std::uint64_t calls = 0;
  for (const auto& r : run.records) calls += r->call_count();
  double rate = static_cast<double>(calls) * 1e9 / static_cast<double>(run.end_ns - run.start_ns);
  MPI_Allreduce(MPI_IN_PLACE, &rate, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;  // the ranks' agents talk to MPI from a thread of their own
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  gorgon::RunSpec spec;
  spec.operation = "noop";
  spec.ops =
      (argc > 1 ? gorgon::parse_count(argv[1]) : 20'000'000) * static_cast<std::uint64_t>(ranks);
  spec.threads = argc > 2 ? std::atoi(argv[2]) : 1;

  // Progress on: a display drawn into a sink, made anew for each run (its state counts from
  // the run's start), drawing a line every round (200 ms): more often than the CLI's
  // default of one line every 10 s on a log, and as often as a terminal's bar (every 0.5 s).
  std::ostringstream sink;
  std::unique_ptr<gorgon::ProgressDisplay> display;
  gorgon::RunControl on;
  on.round_ns = 200'000'000;
  on.on_progress = [&](const gorgon::ProgressSnapshot& s, const auto& names) {
    display->update(s, names);
  };
  gorgon::RunControl quiet;   // --quiet: the default rounds, no display
  gorgon::RunControl sparse;  // rounds every 10 s: nearly none in a run of a few seconds
  sparse.round_ns = 10'000'000'000;

  double best_on = 0, best_quiet = 0, best_sparse = 0;
  for (int round = 0; round < 3; ++round) {  // alternate, keep the best of each
    best_sparse = std::max(best_sparse, calls_per_s(spec, sparse));
    best_quiet = std::max(best_quiet, calls_per_s(spec, quiet));
    display = std::make_unique<gorgon::ProgressDisplay>(sink, false, 200'000'000, spec.ops, 0);
    best_on = std::max(best_on, calls_per_s(spec, on));
  }
  if (rank == 0) {
    std::printf("ranks x threads:             %d x %d, %llu noop calls per run\n", ranks,
                spec.threads, static_cast<unsigned long long>(spec.ops));
    std::printf("rounds every 10 s:           %.0f calls/s\n", best_sparse);
    std::printf("progress off (--quiet):      %.0f calls/s\n", best_quiet);
    std::printf("progress on (default):       %.0f calls/s\n", best_on);
    std::printf("on / --quiet:                %.3f   (target >= 0.980)\n", best_on / best_quiet);
    std::printf("on / rounds every 10 s:      %.3f   (target >= 0.980)\n", best_on / best_sparse);
  }
  MPI_Finalize();
  return 0;
}
