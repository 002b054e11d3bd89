#pragma once
// Summaries of durations and their merging. Plain value types; nothing here knows of MPI.
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gorgon/base/schedule.hpp"
#include "gorgon/stats/histogram.hpp"

namespace gorgon {

/// Count, sum, min, max, spread and distribution of a set of durations (ns).
struct Summary {
  std::uint64_t count = 0;
  std::uint64_t sum_ns = 0;
  std::uint64_t min_ns = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ns = 0;
  double m2 = 0;  ///< sum of squared deviations from the mean (ns^2)
  Histogram histogram;

  void record(std::uint64_t ns);
  /// Merges another summary (Chan et al.'s pairwise update for m2).
  void merge(const Summary& other);

  [[nodiscard]] double mean_ns() const noexcept {
    return count ? static_cast<double>(sum_ns) / static_cast<double>(count) : 0.0;
  }
  /// Sample standard deviation; 0 for fewer than two values.
  [[nodiscard]] double stddev_ns() const noexcept;
  /// Percentile from the histogram, clamped to [min, max] so it never leaves the data.
  [[nodiscard]] std::uint64_t percentile_ns(double p) const;
  /// Calls per second over a wall time.
  [[nodiscard]] double rate(std::uint64_t wall_ns) const noexcept {
    return wall_ns ? static_cast<double>(count) * 1e9 / static_cast<double>(wall_ns) : 0.0;
  }
};

/// The percentiles every report shows.
inline constexpr double kReportPercentiles[] = {50.0, 90.0, 99.0, 99.9};

/// Sub-calls of one name made by calls of one label.
struct SubCallSummary {
  std::string name;
  Summary stats;
};

/// Calls of one label, with their sub-calls by name.
struct LabelSummary {
  std::string label;
  Summary stats;
  std::vector<SubCallSummary> subcalls;  ///< in the order the calls made them
  bool error = false;                    ///< the run's error rule counts this label as a failure
};

/// Calls and busy time of one thread of one rank.
struct ThreadBalance {
  int rank = 0;
  int thread = 0;
  std::uint64_t calls = 0;
  std::uint64_t busy_ns = 0;
};

/// Calls and time of one rank; `wall_ns` runs from the run's start barrier to its last call.
struct RankBalance {
  int rank = 0;
  std::uint64_t calls = 0;
  std::uint64_t busy_ns = 0;
  std::uint64_t wall_ns = 0;
  std::int64_t clock_offset_ns = 0;   ///< this rank's clock minus rank 0's (estimated)
  std::uint64_t clock_rtt_ns = 0;     ///< round trip of the best offset sample
  std::string host;                   ///< the node it ran on (MPI_Get_processor_name)
  std::uint64_t stonewall_calls = 0;  ///< --stonewall: calls when it stopped there
};

/// Calls and time of one node: the ranks of a run that share a host, derived from the run's
/// rank balance (RunSummary::nodes), never stored apart.
struct NodeBalance {
  std::string host;
  std::vector<int> ranks;     ///< its ranks, ascending
  std::uint64_t calls = 0;    ///< sum over its ranks
  std::uint64_t busy_ns = 0;  ///< sum over its ranks' threads
  std::uint64_t wall_ns = 0;  ///< the longest of its ranks'
};

/// How a run ends: after `ops` calls, or when its duration is up.
enum class RunMode { count, duration };
/// Whether a run made every call it was asked for.
enum class RunStatus { complete, interrupted };
inline constexpr std::array<std::string_view, 2> kRunModeNames{"count", "duration"};
inline constexpr std::array<std::string_view, 2> kRunStatusNames{"complete", "interrupted"};
[[nodiscard]] inline std::string_view name_of(RunMode m) noexcept {
  return kRunModeNames[static_cast<std::size_t>(m)];
}
[[nodiscard]] inline std::string_view name_of(RunStatus s) noexcept {
  return kRunStatusNames[static_cast<std::size_t>(s)];
}
/// Sets `out` from its name; false when `name` is none of the names.
bool from_name(std::string_view name, RunMode& out) noexcept;
bool from_name(std::string_view name, RunStatus& out) noexcept;

/// One --fail-if limit checked against a run.
struct LimitResult {
  std::string limit;     ///< as the user wrote it ('p99<50ms')
  std::string measured;  ///< what the run had, as the report prints it ('p99 = 61.2ms')
  bool passed = true;
};

/// The reduced result of one run (or of a whole suite, merged), as rank 0 holds it.
struct RunSummary {
  std::string operation;
  std::vector<std::pair<std::string, std::string>> params;
  /// The parameters the user gave (or that differ from their defaults): the run's title.
  std::vector<std::string> params_given;
  std::uint64_t ops = 0;
  std::uint64_t seed = 0;
  int ranks = 0;
  int threads = 0;
  int runs = 1;  ///< how many runs were merged into this summary
  RunMode mode = RunMode::count;
  std::uint64_t duration_ns = 0;          ///< duration mode: the time asked for
  double rate = 0;                        ///< open loop: the calls/s asked for (0: closed loop)
  std::uint64_t late_calls = 0;           ///< open loop: calls that started a schedule slot late
  std::uint64_t warmup_calls = 0;         ///< calls made before measuring, not in the statistics
  Schedule schedule = Schedule::static_;  ///< how the calls were shared between the ranks
  std::uint64_t stonewall_ns = 0;         ///< > 0: no rank started a call after this time
  bool wear_out = false;                  ///< after the stonewall, ranks caught up with the busiest
  bool stonewall_reached = false;         ///< the stonewall cut the run short on some rank
  std::uint64_t record_budget_bytes = 0;  ///< memory for the rows of each rank, at most
  std::uint64_t record_peak_bytes = 0;    ///< the most any rank's rows held at once
  std::uint64_t record_waits = 0;         ///< times a thread waited for that memory (all ranks)
  std::uint64_t record_wait_ns = 0;       ///< the time they waited, summed
  std::string error_rule;                 ///< which labels are failures, e.g. "ok: 1xx,2xx,3xx"
  RunStatus status = RunStatus::complete;
  std::string stop_reason;           ///< why it was interrupted (SIGTERM, time limit, ...)
  std::uint64_t wall_ns = 0;         ///< total time (sum over runs for a suite)
  Summary total;                     ///< every call, whatever its label
  std::vector<LabelSummary> labels;  ///< sorted by label
  std::vector<LimitResult> limits;   ///< --fail-if limits checked against this run
  std::vector<RankBalance> rank_balance;
  std::vector<ThreadBalance> thread_balance;

  /// Every scalar field of a run, in one list: f(name, member) with the name it has in the
  /// JSON summary and as an attribute of /runs/NNN in the file. The JSON writer, the file's
  /// writer and reader, and the broadcast before writing all walk this list, so a new field
  /// is one line here. (params, labels, limits and balance are tables, written apart.)
  template <typename Self, typename F>
  static void fields(Self& s, F&& f) {
    f("operation", s.operation);
    f("ops", s.ops);
    f("seed", s.seed);
    f("ranks", s.ranks);
    f("threads", s.threads);
    f("params_given", s.params_given);
    f("mode", s.mode);
    f("duration_ns", s.duration_ns);
    f("rate", s.rate);
    f("late_calls", s.late_calls);
    f("warmup_calls", s.warmup_calls);
    f("schedule", s.schedule);
    f("stonewall_ns", s.stonewall_ns);
    f("wear_out", s.wear_out);
    f("stonewall_reached", s.stonewall_reached);
    f("record_budget_bytes", s.record_budget_bytes);
    f("record_peak_bytes", s.record_peak_bytes);
    f("record_waits", s.record_waits);
    f("record_wait_ns", s.record_wait_ns);
    f("error_rule", s.error_rule);
    f("status", s.status);
    f("stop_reason", s.stop_reason);
    f("wall_ns", s.wall_ns);
  }

  /// Calls whose label is an error (the run's error rule; exceptions always are).
  [[nodiscard]] std::uint64_t errors() const noexcept;
  /// Merges another run into this one (suite totals): counts and histograms add, wall
  /// times add, labels and sub-calls are matched by name. Balance is not merged.
  void merge(const RunSummary& other);
  /// The rank with the longest wall time, or -1 without balance data.
  [[nodiscard]] int slowest_rank() const;
  /// The rank balance grouped by host: one entry per node, in the order of each node's
  /// lowest rank (rank 0's node first). Empty without balance data.
  [[nodiscard]] std::vector<NodeBalance> nodes() const;
  /// The host of the slowest rank (its node has the longest wall time), "" without balance.
  [[nodiscard]] std::string slowest_node() const;
};

/// Every run of a suite merged into one summary (balance left out: it is per run).
RunSummary merge_suite(const std::vector<RunSummary>& runs);

}  // namespace gorgon
