#pragma once
// A run's reduced summary and balance as the columns of /runs/NNN/summary and
// /runs/NNN/balance/{ranks,threads}. One list of columns (for_each_column) drives writing,
// reading and broadcasting, so the three cannot disagree. Internal to src/gorgon/h5.
#include <cstdint>
#include <string>
#include <vector>

#include "gorgon/h5/format.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon::h5::detail {

/// The columns of a run's summary and balance groups.
struct SummaryTables {
  // summary: row 0 is every call, then each label's row followed by its sub-calls' rows
  std::vector<std::uint32_t> label, subcall_name;
  std::vector<std::uint64_t> count, sum_ns, min_ns, max_ns;
  std::vector<double> m2, mean_ns, stddev_ns, calls_per_s;
  std::vector<std::uint64_t> percentiles_ns;  ///< rows x kReportPercentiles, row-major
  std::vector<std::uint32_t> hist_first;
  std::vector<std::uint64_t> hist_offset;  ///< rows + 1: row i's counts are [o[i], o[i+1])
  std::vector<std::uint64_t> hist_counts;
  std::vector<std::uint8_t> error;  ///< 1: the row's label counts as a failure
  // balance/ranks
  std::vector<std::int32_t> rank_rank;
  std::vector<std::uint64_t> rank_calls, rank_busy_ns, rank_wall_ns, rank_start_ns;
  std::vector<std::int64_t> rank_clock_offset_ns;
  std::vector<std::uint64_t> rank_clock_rtt_ns, rank_stonewall_calls;
  // balance/threads
  std::vector<std::int32_t> thread_rank, thread_thread;
  std::vector<std::uint64_t> thread_calls, thread_busy_ns;
};

inline constexpr std::size_t kPercentiles = std::size(kReportPercentiles);

/// Calls f(group, dataset, column, cols) for every column: group is "summary",
/// "balance/ranks" or "balance/threads"; cols is 0 for 1-D columns, else the row width.
template <typename Tables, typename F>
void for_each_column(Tables& t, F&& f) {
  namespace fmt = format;
  const char* s = fmt::kSummary;
  f(s, fmt::kSumLabel, t.label, 0);
  f(s, fmt::kSumSubcallName, t.subcall_name, 0);
  f(s, fmt::kSumCount, t.count, 0);
  f(s, fmt::kSumSumNs, t.sum_ns, 0);
  f(s, fmt::kSumMinNs, t.min_ns, 0);
  f(s, fmt::kSumMaxNs, t.max_ns, 0);
  f(s, fmt::kSumM2, t.m2, 0);
  f(s, fmt::kSumMeanNs, t.mean_ns, 0);
  f(s, fmt::kSumStddevNs, t.stddev_ns, 0);
  f(s, fmt::kSumCallsPerS, t.calls_per_s, 0);
  f(s, fmt::kSumPercentilesNs, t.percentiles_ns, kPercentiles);
  f(s, fmt::kSumHistFirst, t.hist_first, 0);
  f(s, fmt::kSumHistOffset, t.hist_offset, 0);
  f(s, fmt::kSumHistCounts, t.hist_counts, 0);
  f(s, fmt::kSumError, t.error, 0);
  const char* r = "balance/ranks";
  f(r, fmt::kBalRank, t.rank_rank, 0);
  f(r, fmt::kBalCalls, t.rank_calls, 0);
  f(r, fmt::kBalBusyNs, t.rank_busy_ns, 0);
  f(r, fmt::kBalWallNs, t.rank_wall_ns, 0);
  f(r, fmt::kBalStartNs, t.rank_start_ns, 0);
  f(r, fmt::kBalClockOffsetNs, t.rank_clock_offset_ns, 0);
  f(r, fmt::kBalClockRttNs, t.rank_clock_rtt_ns, 0);
  f(r, fmt::kBalStonewallCalls, t.rank_stonewall_calls, 0);
  const char* th = "balance/threads";
  f(th, fmt::kBalRank, t.thread_rank, 0);
  f(th, fmt::kBalThread, t.thread_thread, 0);
  f(th, fmt::kBalCalls, t.thread_calls, 0);
  f(th, fmt::kBalBusyNs, t.thread_busy_ns, 0);
}

/// The tables of a run's summary. `labels` and `names` are the run's sorted string tables
/// (every label and sub-call name of the summary is in them); `rank_start_ns` holds each
/// rank's clock at the start barrier.
SummaryTables make_tables(const RunSummary& s, const std::vector<std::string>& labels,
                          const std::vector<std::string>& names,
                          const std::vector<std::uint64_t>& rank_start_ns);

/// Rebuilds the statistics and balance of `s` (labels, total, balance) from tables read back.
/// Throws FileError when the tables are inconsistent.
void fill_summary(const SummaryTables& t, const std::vector<std::string>& labels,
                  const std::vector<std::string>& names, RunSummary& s);

}  // namespace gorgon::h5::detail
