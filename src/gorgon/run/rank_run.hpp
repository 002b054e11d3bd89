#pragma once
// What one rank did in one run: its raw records and its view of the run's clocks and end.
// The reducer (reduce/) and the file writer (h5/) take it from here.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gorgon/op/label_rule.hpp"
#include "gorgon/record/fold.hpp"
#include "gorgon/record/record.hpp"
#include "gorgon/run/runspec.hpp"

namespace gorgon {

/// An estimate of a rank's clock offset to rank 0 (NTP-style, best of several round trips).
struct ClockOffset {
  std::int64_t offset_ns = 0;  ///< this rank's now_ns() minus rank 0's at the same instant
  std::uint64_t rtt_ns = 0;    ///< round trip of the sample the estimate came from
};

/// What one rank did in one run.
struct RankRun {
  RunSpec spec;  ///< as run: its params hold every value, defaults included
  std::vector<std::string> params_given;  ///< the parameters the user gave
  LabelRule errors;                       ///< which labels are failures in this run
  int rank = 0;                           ///< rank in the run's communicator
  int ranks = 1;                          ///< ranks in the run
  int threads = 1;                        ///< threads that actually ran
  std::string host;                       ///< the node this rank ran on: MPI_Get_processor_name
  /// One per thread: its strings and counts; its rows went to the rank's record stream (only
  /// a run without one keeps them here).
  std::vector<std::unique_ptr<ThreadRecord>> records;
  std::vector<ThreadFold> folds;  ///< one per thread: the statistics of its measured calls
  /// The rows handed over, measured and warm-up, in hand-over order, when the run keeps them
  /// for a file (RunControl::keep_rows).
  std::vector<std::unique_ptr<RecordSegment>> kept;
  /// Or: the spill file holding them (RunControl::spill_path), complete and closed.
  std::string spill_path;
  /// The spill file ends in a torn frame (a run recovered after an abrupt end): its whole
  /// frames are the run's rows.
  bool spill_torn = false;
  /// The record stream: the budget, the most its blocks held, and the threads' waits for it.
  std::uint64_t record_budget_bytes = 0, record_peak_bytes = 0;
  std::uint64_t record_waits = 0, record_wait_ns = 0;
  std::uint64_t start_ns = 0;        ///< local clock right after the start barrier
  std::uint64_t end_ns = 0;          ///< local clock when this rank's last thread finished
  std::vector<ClockOffset> offsets;  ///< rank 0 only: one per rank of the run
  std::vector<std::unique_ptr<ThreadRecord>> warmup;  ///< warm-up calls, one per thread
  bool interrupted = false;      ///< stopped early (signal, deadline, another rank): same on all
  std::string stop_reason;       ///< why, when interrupted
  std::uint64_t late_calls = 0;  ///< rate mode: calls of this rank that started late
  /// --stonewall: this rank's calls when it stopped at the stonewall, and whether the
  /// stonewall cut the run short on any rank (agreed: the same on every rank).
  std::uint64_t stonewall_calls = 0;
  bool stonewalled = false;
  std::vector<std::string> notes;  ///< what the user should know about how it ran (same on all)
};

}  // namespace gorgon
