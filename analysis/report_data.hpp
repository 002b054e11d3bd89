#pragma once
// The report's data model: plain values every output of gorgon_report (text, JSON, HTML) is
// made from, and the builder that turns a stream of raw call records into time series.
//
// Memory stays bounded whatever the number of calls: the raw columns are fed to
// TimeSeriesBuilder one chunk at a time, and the builder keeps at most `max_bins` time bins,
// each a fixed-layout gorgon::Histogram plus a count per label. When a call falls outside the
// bins, the bin width doubles and neighbouring bins merge (histograms merge by adding counts),
// so the order in which chunks arrive does not matter.
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gorgon/stats/histogram.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon::analysis {

/// Ordered key/value strings, shown as a table (file and run metadata).
using Metadata = std::vector<std::pair<std::string, std::string>>;

/// A chunk of a run's raw call columns, as a reader streams them. Every span has the same
/// length, except `rank`, which may be empty (every call then counts as rank 0's).
struct CallChunk {
  std::span<const std::uint64_t> start_ns;
  std::span<const std::uint64_t> duration_ns;
  std::span<const std::uint32_t> label;  ///< index into the run's label table
  std::span<const std::uint32_t> rank;   ///< rank in the run
};

/// Calls per second per label and latency percentiles, in equal time bins of one run.
/// Rates are read in bins of about 200 calls and percentiles in bins of about 1000 (powers
/// of two times the builder's bins, as long as enough bins remain), so that short runs do
/// not chart noise.
struct TimeSeries {
  std::uint64_t bin_ns = 0;          ///< width of a rate bin
  std::vector<double> time_s;        ///< start of each bin, seconds from the run's start
  std::vector<std::uint64_t> calls;  ///< calls completed in each bin (every label)
  /// Calls/s in each bin (every label). NaN for an edge bin less than half covered by the
  /// run (its rate would be noise), to be left out of charts.
  std::vector<double> total_per_s;
  /// One series per label (the busiest first; past `max_labels`, the rest as one "other").
  std::vector<std::string> labels;
  std::vector<std::vector<double>> per_s;  ///< [series][bin] calls/s, NaN as above
  /// One series per node (Options::node_names, in that order), on the same bins.
  std::vector<std::string> nodes;
  std::vector<std::vector<double>> node_per_s;  ///< [node][bin] calls/s, NaN as above

  std::uint64_t percentile_bin_ns = 0;    ///< width of a percentile bin
  std::vector<double> percentile_time_s;  ///< start of each percentile bin
  /// kReportPercentiles of the latency of the calls completed in each percentile bin;
  /// nullopt when a bin has no call.
  std::vector<std::optional<std::array<std::uint64_t, std::size(kReportPercentiles)>>>
      percentiles_ns;
};

/// Builds a TimeSeries from streamed call chunks in bounded memory.
class TimeSeriesBuilder {
 public:
  struct Options {
    std::size_t max_bins = 240;  ///< bins kept (the result has between max_bins/2 and max_bins)
    /// The expected time span (e.g. the run's wall time): the first bin width is chosen from
    /// it; 0 starts at 1 ms and lets the bins grow.
    std::uint64_t expected_span_ns = 0;
    /// Subtracted from every completion time, so that the run starts at 0.
    std::int64_t origin_ns = 0;
    /// Per rank, subtracted from that rank's times (its clock minus rank 0's); empty: none.
    std::vector<std::int64_t> rank_offset_ns;
    /// Per rank, the index of its node in `node_names`: calls are also counted per node. A
    /// rank past it (or an index past the names) counts in no node's series.
    std::vector<std::uint32_t> rank_node;
    std::vector<std::string> node_names;
    std::size_t max_labels = 12;  ///< label series kept in the result; the rest is "other"
    /// Size of the run's label table: a label index past it (a damaged file) is counted as
    /// one "invalid label" instead of growing the per-label counts (an empty table makes
    /// every label invalid). nullopt: no check, for tests that feed labels alone.
    std::optional<std::size_t> label_count;
  };

  TimeSeriesBuilder();
  explicit TimeSeriesBuilder(Options options);

  void add(const CallChunk& chunk);
  /// One call: started at `start_ns` on `rank`'s clock, lasted `duration_ns`.
  void add(std::uint64_t start_ns, std::uint64_t duration_ns, std::uint32_t label,
           std::uint32_t rank = 0);

  /// The series; `label_names[i]` names label index i (unknown indexes get "label #i").
  [[nodiscard]] TimeSeries finish(const std::vector<std::string>& label_names) const;

  [[nodiscard]] std::uint64_t calls() const noexcept { return calls_; }
  [[nodiscard]] std::uint64_t bin_ns() const noexcept { return static_cast<std::uint64_t>(width_); }
  [[nodiscard]] std::size_t bins() const noexcept { return bins_.size(); }
  /// Bytes held by the bins (for the memory bound's tests and benchmark).
  [[nodiscard]] std::size_t bytes_held() const noexcept;

 private:
  struct Bin {
    Histogram latency;
    std::vector<std::uint64_t> per_label;
    std::vector<std::uint64_t> per_node;  ///< sized on first use, like per_label
    std::uint64_t calls = 0;
  };
  static void merge_into(Bin& into, Bin&& from);
  /// How many bins to read as one so that a group holds about `calls_wanted` calls, while
  /// at least `min_groups` groups remain (a power of two; 1 when the bins are full enough).
  [[nodiscard]] std::int64_t group_factor(double calls_wanted, std::size_t min_groups) const;
  /// Calls f(start_ns, first_bin, end_bin) for each group of `g` bins.
  template <typename F>
  void for_each_group(std::int64_t g, F&& f) const;
  void coarsen();                    // doubles the width, merges bin pairs
  Bin& bin_for(std::int64_t index);  // grows (and coarsens) as needed

  Options options_;
  std::int64_t width_;
  std::int64_t first_index_ = 0;  // index of bins_[0]: [i*w, (i+1)*w)
  std::vector<Bin> bins_;
  std::int64_t earliest_start_ = 0, latest_end_ = 0;
  std::uint64_t calls_ = 0;
};

/// One run of a file, as the report shows it.
struct RunReport {
  RunSummary summary;
  Metadata metadata;                 ///< the run's attributes, as strings
  std::optional<TimeSeries> series;  ///< absent when the file has no raw calls
};

/// One point of a scaling study: a run's ranks x threads and its rate.
struct ScalingPoint {
  int ranks = 0;
  int threads = 0;
  double calls_per_s = 0;
  std::size_t run = 0;  ///< index of the run
};

/// Calls/s of each run against ranks x threads, sorted by workers then ranks.
std::vector<ScalingPoint> scaling_points(const std::vector<RunSummary>& runs);

/// One row of a comparison with a baseline: a label (or "Result") or one of its sub-calls.
struct ComparisonRow {
  std::string name;                          ///< the label, or the sub-call name
  std::string parent;                        ///< the label of a sub-call; empty for a label row
  std::optional<Summary> current, baseline;  ///< nullopt when absent on that side
  double current_per_s = 0, baseline_per_s = 0;
  bool error = false;  ///< a label that is an error on either side
};

/// Two summaries side by side, rows matched by label and sub-call name.
struct Comparison {
  std::string current_name, baseline_name;  ///< what each side is (file, run)
  std::uint64_t current_wall_ns = 0, baseline_wall_ns = 0;
  std::vector<ComparisonRow> rows;  ///< "Result" first, then labels by name, sub-calls under
};

Comparison compare(const RunSummary& current, const RunSummary& baseline);
/// The change from `base` to `now` in percent; nullopt when `base` is 0.
std::optional<double> percent_change(double now, double base);

/// Everything one report shows.
struct ReportData {
  std::string source;      ///< the file's name, as given
  Metadata file_metadata;  ///< the file's root attributes
  std::vector<RunReport> runs;
  std::size_t runs_in_file = 0;       ///< runs in the file (more than `runs` with --run)
  std::size_t first_run_index = 0;    ///< index in the file of runs[0]
  std::optional<RunSummary> suite;    ///< every run merged, when there are several
  std::vector<ScalingPoint> scaling;  ///< when there are several runs
  std::optional<Comparison> baseline;
};

/// Fills `suite` and `scaling` from `runs` (when there are at least two).
void complete_suite(ReportData& data);

}  // namespace gorgon::analysis
