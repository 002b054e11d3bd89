#pragma once
// --fail-if: limits checked on a run's reduced summary, e.g. 'p99<50ms', 'errors<1%',
// 'SUCCESS:p99.9<=200ms', 'rate>1000'.
#include <string>
#include <vector>

#include "gorgon/stats/summary.hpp"

namespace gorgon {

struct Threshold {
  std::string text;    ///< as the user wrote it
  std::string label;   ///< "" for every call
  std::string metric;  ///< p50 p90 p99 p99.9 mean max min stddev errors rate count late
  std::string op;      ///< < <= > >=
  double value = 0;    ///< ns for durations, calls/s for rate, a count or a percentage
  bool percent = false;
};

/// Parses one --fail-if expression; throws ConfigError explaining the syntax.
Threshold parse_threshold(const std::string& text);

/// Every limit checked against a run: what was asked, what was measured, and whether it held.
std::vector<LimitResult> check_limits(const std::vector<Threshold>& limits, const RunSummary& run);

}  // namespace gorgon
