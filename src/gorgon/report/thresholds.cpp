#include "gorgon/report/thresholds.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "gorgon/base/error.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon {
namespace {

bool is_duration_metric(const std::string& m) {
  return m == "p50" || m == "p90" || m == "p99" || m == "p99.9" || m == "mean" || m == "max" ||
         m == "min" || m == "stddev";
}

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw ConfigError("invalid --fail-if '" + text + "': " + why +
                    " (expected [LABEL:]METRIC<VALUE, e.g. 'p99<50ms', 'errors<1%', "
                    "'SUCCESS:p99.9<=200ms', 'rate>1000'; metrics: p50 p90 p99 p99.9 mean max "
                    "min stddev errors rate count late)");
}

}  // namespace

Threshold parse_threshold(const std::string& text) {
  Threshold t;
  t.text = text;
  const std::size_t at = text.find_first_of("<>");
  if (at == std::string::npos || at == 0) bad(text, "no comparison");
  std::string lhs = text.substr(0, at);
  std::size_t rhs_at = at + 1;
  t.op = text.substr(at, 1);
  if (rhs_at < text.size() && text[rhs_at] == '=') {
    t.op += "=";
    ++rhs_at;
  }
  const std::size_t colon = lhs.rfind(':');
  if (colon != std::string::npos) {
    t.label = lhs.substr(0, colon);
    lhs = lhs.substr(colon + 1);
  }
  t.metric = lhs;
  std::string rhs = text.substr(rhs_at);
  if (rhs.empty()) bad(text, "no value");
  if (is_duration_metric(t.metric)) {
    try {
      t.value = static_cast<double>(parse_duration_ns(rhs));
    } catch (const ConfigError&) {
      bad(text, "'" + rhs + "' is not a duration");
    }
    return t;
  }
  if (t.metric != "errors" && t.metric != "rate" && t.metric != "count" && t.metric != "late")
    bad(text, "unknown metric '" + t.metric + "'");
  if ((t.metric == "errors" || t.metric == "late") && !t.label.empty())
    bad(text, t.metric + " applies to every call, not to one label");
  if (rhs.back() == '%') {
    if (t.metric != "errors" && t.metric != "late") bad(text, "only errors and late take a %");
    t.percent = true;
    rhs.pop_back();
  }
  auto [end, ec] = std::from_chars(rhs.data(), rhs.data() + rhs.size(), t.value);
  if (ec != std::errc() || end != rhs.data() + rhs.size() || !std::isfinite(t.value) || t.value < 0)
    bad(text, "'" + rhs + "' is not a finite number >= 0");
  return t;
}

std::vector<LimitResult> check_limits(const std::vector<Threshold>& limits, const RunSummary& run) {
  std::vector<LimitResult> results;
  for (const auto& t : limits) {
    const Summary* s = &run.total;
    if (!t.label.empty()) {
      s = nullptr;
      for (const auto& l : run.labels)
        if (l.label == t.label) s = &l.stats;
    }
    Summary none;
    if (s == nullptr) s = &none;  // a label that never occurred has count 0 and rate 0
    double measured = 0;
    std::string shown;
    if (is_duration_metric(t.metric)) {
      std::uint64_t ns = 0;
      if (t.metric == "mean") ns = static_cast<std::uint64_t>(s->mean_ns());
      else if (t.metric == "max") ns = s->max_ns;
      else if (t.metric == "min") ns = s->count ? s->min_ns : 0;
      else if (t.metric == "stddev") ns = static_cast<std::uint64_t>(s->stddev_ns());
      else ns = s->percentile_ns(std::stod(t.metric.substr(1)));
      measured = static_cast<double>(ns);
      shown = format_duration(ns);
    } else if (t.metric == "errors" || t.metric == "late") {
      std::uint64_t n = run.late_calls;
      if (t.metric == "errors") n = run.errors();
      const double all = static_cast<double>(run.total.count);
      measured = t.percent ? (all > 0 ? 100.0 * static_cast<double>(n) / all : 0.0)
                           : static_cast<double>(n);
      shown = t.percent ? fmt::format("{:.3g}%", measured) : std::to_string(n);
    } else if (t.metric == "rate") {
      measured = s->rate(run.wall_ns);
      shown = format_rate(measured) + " calls/s";
    } else {
      measured = static_cast<double>(s->count);
      shown = std::to_string(s->count);
    }
    const bool ok = t.op == "<"    ? measured < t.value
                    : t.op == "<=" ? measured <= t.value
                    : t.op == ">"  ? measured > t.value
                                   : measured >= t.value;
    results.push_back({t.text, shown, ok});
  }
  return results;
}

}  // namespace gorgon
