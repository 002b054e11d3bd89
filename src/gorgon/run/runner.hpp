#pragma once
// One run on the ranks of a communicator: clock offsets, start barrier, the OpenMP team and
// its hot loop. Produces this rank's raw records; reduce.hpp turns them into a summary.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gorgon/op/operation.hpp"
#include "gorgon/record/stream.hpp"
#include "gorgon/run/rank_run.hpp"
#include "gorgon/run/rounds.hpp"
#include "gorgon/run/runspec.hpp"

namespace gorgon {

/// How a run is watched and stopped; not part of what is run (the RunSpec).
struct RunControl {
  /// How often the ranks compare notes (progress counts, stop requests). Rounds are
  /// non-blocking collectives started by each rank's agent thread (run/agent.hpp).
  std::uint64_t round_ns = 200'000'000;
  /// Called on rank 0 of the run (on its agent's thread) after every round, with the global
  /// counts, the names of the labels rank 0 has seen (hash -> text) and whether every rank
  /// has finished.
  std::function<void(const ProgressSnapshot&,
                     const std::vector<std::pair<std::uint64_t, std::string>>&)>
      on_progress;
  /// Absolute time on this rank's now_ns() clock at which to stop taking calls; 0: none.
  std::uint64_t deadline_ns = 0;
  /// The rank's record stream (record/stream.hpp): rows folded into the statistics while the
  /// run goes, in memory bounded by the budget; 0 as the budget: default_record_budget.
  RecordStream::Settings records{0};
  /// Keep every row handed over (RankRun::kept), for a file written after the run.
  bool keep_rows = false;
  /// Or: append every row handed over to this rank's spill file at this path (a new file;
  /// record/spill.hpp), for a file written after the run from it (RankRun::spill_path).
  std::string spill_path;
};

/// Folds the rows `run`'s thread records still hold into run.folds, and moves them into
/// run.kept when `keep_rows`: what the record stream does while a run goes, for a RankRun
/// whose records were filled without one (tests, tools that build records by hand).
void fold_held_rows(RankRun& run, bool keep_rows);

/// The record budget a rank gets by default: an eighth of its node's memory shared by the
/// ranks of `comm` on that node, at most 1 GiB. Collective.
std::uint64_t default_record_budget(MPI_Comm comm);

/// Runs `spec` with operation `op` on every rank of `comm` (collective; the spec must be
/// validated and identical on every rank). Operation set-up errors on any rank make every
/// rank throw ConfigError. The returned spec's params hold every value, defaults included.
RankRun execute_run(const RunSpec& spec, const OperationInfo& op, MPI_Comm comm,
                    const RunControl& control = {});

}  // namespace gorgon
