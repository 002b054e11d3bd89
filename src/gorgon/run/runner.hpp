#pragma once
// One run on the ranks of a communicator: clock offsets, start barrier, the OpenMP team and
// its hot loop. Produces this rank's raw records; reduce.hpp turns them into a summary.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <memory>
#include <vector>

#include "gorgon/run/control.hpp"
#include "gorgon/op/operation.hpp"
#include "gorgon/record/record.hpp"
#include "gorgon/run/runspec.hpp"

namespace gorgon {

/// An estimate of a rank's clock offset to rank 0 (NTP-style, best of several round trips).
struct ClockOffset {
  std::int64_t offset_ns = 0;  ///< this rank's now_ns() minus rank 0's at the same instant
  std::uint64_t rtt_ns = 0;    ///< round trip of the sample the estimate came from
};

/// How a run is watched and stopped; not part of what is run (the RunSpec).
struct RunControl {
  /// How often the ranks compare notes (progress counts, stop requests). Rounds are
  /// non-blocking collectives started by each rank's master thread between its calls.
  std::uint64_t round_ns = 200'000'000;
  /// Called on rank 0 of the run after every round, with the global counts, the names of the
  /// labels rank 0 has seen (hash -> text) and whether every rank has finished.
  std::function<void(const ProgressSnapshot&, const std::vector<std::pair<std::uint64_t, std::string>>&)>
      on_progress;
  /// Absolute time on this rank's now_ns() clock at which to stop taking calls; 0: none.
  std::uint64_t deadline_ns = 0;
};

/// What one rank did in one run.
struct RankRun {
  RunSpec spec;
  int rank = 0;   ///< rank in the run's communicator
  int ranks = 1;  ///< ranks in the run
  int threads = 1;  ///< threads that actually ran
  std::vector<std::unique_ptr<ThreadRecord>> records;  ///< one per thread
  std::uint64_t start_ns = 0;  ///< local clock right after the start barrier
  std::uint64_t end_ns = 0;    ///< local clock when this rank's last thread finished
  std::vector<ClockOffset> offsets;  ///< rank 0 only: one per rank of the run
  std::vector<std::unique_ptr<ThreadRecord>> warmup;  ///< warm-up calls, one per thread
  bool interrupted = false;  ///< stopped early (signal, deadline, another rank): same on all
  std::string stop_reason;   ///< why, when interrupted
  std::uint64_t late_calls = 0;  ///< rate mode: calls of this rank that started late
};

/// Estimates every rank's clock offset to rank 0 of `comm`; rank 0 gets the whole vector,
/// the other ranks an empty one. Collective.
std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, int rounds = 8);

/// Runs `spec` with operation `op` on every rank of `comm` (collective; the spec must be
/// validated and identical on every rank). Operation set-up errors on any rank make every
/// rank throw ConfigError. The returned spec's params hold every value, defaults included.
RankRun execute_run(const RunSpec& spec, const OperationInfo& op, MPI_Comm comm,
                    const RunControl& control = {});

}  // namespace gorgon
