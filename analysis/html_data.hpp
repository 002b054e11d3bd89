#pragma once
// What the HTML report's charts are drawn from: the page's data block (JSON), and the latency
// distributions each run charts, which the page's markup lists too (a canvas for each).
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report_data.hpp"

namespace gorgon::analysis {

/// Latency distributions charted per run (labels by count, each followed by its sub-calls).
inline constexpr std::size_t kMaxDistributions = 24;

/// One charted distribution: "All calls", a label or a sub-call of one.
struct Distribution {
  std::string name;    ///< label or sub-call name
  std::string parent;  ///< label of a sub-call, "" for a label
  const Summary* stats;
  bool error = false;  ///< an error label, or a sub-call of one
};

/// The distributions of a run that are charted, in order ("All calls" first when there are
/// several labels); `left_out` receives how many more there were.
std::vector<Distribution> distributions(const RunSummary& s, std::size_t* left_out);

/// The page's data: per run its time series, distributions (histogram bars, percentile
/// spectrum, error flags) and balance; the suite's scaling points.
nlohmann::json page_json(const ReportData& data);

}  // namespace gorgon::analysis
