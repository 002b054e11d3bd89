#pragma once
// One run on the ranks of a communicator: clock offsets, start barrier, the OpenMP team and
// its hot loop. Produces this rank's raw records; reduce.hpp turns them into a summary.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "gorgon/operation.hpp"
#include "gorgon/record.hpp"
#include "gorgon/runspec.hpp"

namespace gorgon {

/// An estimate of a rank's clock offset to rank 0 (NTP-style, best of several round trips).
struct ClockOffset {
  std::int64_t offset_ns = 0;  ///< this rank's now_ns() minus rank 0's at the same instant
  std::uint64_t rtt_ns = 0;    ///< round trip of the sample the estimate came from
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
};

/// Estimates every rank's clock offset to rank 0 of `comm`; rank 0 gets the whole vector,
/// the other ranks an empty one. Collective.
std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, int rounds = 8);

/// Runs `spec` with operation `op` on every rank of `comm` (collective; the spec must be
/// validated and identical on every rank). Operation set-up errors on any rank make every
/// rank throw ConfigError. The returned spec's params hold every value, defaults included.
RankRun execute_run(const RunSpec& spec, const OperationInfo& op, MPI_Comm comm);

}  // namespace gorgon
