#include "source.hpp"

#include <fmt/format.h>

#include <limits>

namespace gorgon::analysis {

TimeSeries build_time_series(ReportSource& source, std::size_t run, const RunSummary& summary,
                             std::size_t max_bins) {
  TimeSeriesBuilder::Options o;
  o.max_bins = max_bins;
  o.expected_span_ns = summary.wall_ns;
  o.origin_ns = source.time_origin_ns(run);
  if (source.times_are_rank_local(run)) {
    // One offset per rank, the ranks numbered 0..n-1: a rank number past them (a source
    // that did not check it) gets none rather than a table sized by its value.
    o.rank_offset_ns.assign(summary.rank_balance.size(), 0);
    for (const auto& r : summary.rank_balance) {
      if (r.rank < 0 || static_cast<std::size_t>(r.rank) >= summary.rank_balance.size()) continue;
      const auto i = static_cast<std::size_t>(r.rank);
      o.rank_offset_ns[i] = r.clock_offset_ns;
    }
  }
  // Calls per node: each rank counted under its host (the summary's rank balance).
  const std::vector<NodeBalance> nodes = summary.nodes();
  o.rank_node.assign(summary.rank_balance.size(), std::numeric_limits<std::uint32_t>::max());
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    o.node_names.push_back(nodes[n].host);
    for (int rank : nodes[n].ranks)
      if (rank >= 0 && static_cast<std::size_t>(rank) < o.rank_node.size())
        o.rank_node[static_cast<std::size_t>(rank)] = static_cast<std::uint32_t>(n);
  }
  const std::vector<std::string> labels = source.labels(run);
  o.label_count = labels.size();
  TimeSeriesBuilder builder(std::move(o));
  source.stream_calls(run, [&](const CallChunk& chunk) { builder.add(chunk); });
  return builder.finish(labels);
}

ReportData build_report(ReportSource& source, const BuildOptions& options) {
  ReportData data;
  data.source = source.name();
  data.file_metadata = source.file_metadata();
  data.runs_in_file = source.run_count();
  if (data.runs_in_file == 0) throw InputError(fmt::format("'{}' holds no run", data.source));
  std::size_t first = 0, last = data.runs_in_file;
  if (options.run) {
    if (*options.run >= data.runs_in_file)
      throw InputError(fmt::format("--run {}: '{}' holds {} run{} (1..{})", *options.run + 1,
                                   data.source, data.runs_in_file,
                                   data.runs_in_file == 1 ? "" : "s", data.runs_in_file));
    first = *options.run;
    last = first + 1;
  }
  data.first_run_index = first;
  for (std::size_t i = first; i < last; ++i) {
    RunReport r;
    r.summary = source.summary(i);
    r.metadata = source.run_metadata(i);
    if (options.time_series && source.has_calls(i))
      r.series = build_time_series(source, i, r.summary, options.max_bins);
    data.runs.push_back(std::move(r));
  }
  complete_suite(data);
  return data;
}

}  // namespace gorgon::analysis
