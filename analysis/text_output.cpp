#include "text_output.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon::analysis {
namespace {

std::vector<RunSummary> summaries(const ReportData& data) {
  std::vector<RunSummary> out;
  for (const auto& r : data.runs) out.push_back(r.summary);
  return out;
}

}  // namespace

std::string text_report(const ReportData& data) {
  std::ostringstream out;
  TextReporter reporter(out);
  for (std::size_t i = 0; i < data.runs.size(); ++i)
    reporter.report_run(data.runs[i].summary, data.first_run_index + i, data.runs_in_file);
  if (data.runs.size() >= 2) reporter.report_suite(summaries(data), *data.suite);
  return out.str();
}

nlohmann::json json_report(const ReportData& data) {
  const auto runs = summaries(data);
  return suite_to_json(runs, data.suite ? *data.suite : merge_suite(runs));
}

std::string format_change(const std::optional<double>& percent) {
  if (!percent) return "n/a";
  return fmt::format("{:+.1f}%", *percent);
}

std::string comparison_text(const Comparison& c) {
  std::string out =
      fmt::format("Comparison: {} against baseline {}\n", c.current_name, c.baseline_name);
  out += fmt::format("Total time: {:>9} against {:>9} ({})\n", format_duration(c.current_wall_ns),
                     format_duration(c.baseline_wall_ns),
                     format_change(percent_change(static_cast<double>(c.current_wall_ns),
                                                  static_cast<double>(c.baseline_wall_ns))));
  std::string header =
      fmt::format("{:>12} {:>10} {:>10} {:>8}", "Name", "calls/s", "baseline", "change");
  for (double p : kReportPercentiles)
    header += fmt::format(" {:>9} {:>9} {:>8}", fmt_percentile(p), "baseline", "change");
  out += header + "\n";
  for (const auto& r : c.rows) {
    const bool both = r.current && r.baseline;
    auto rate = [](const std::optional<Summary>& s, double v) { return s ? format_rate(v) : "-"; };
    std::string line = fmt::format(
        "{:>12} {:>10} {:>10} {:>8}",
        printable_label(r.name) + (r.parent.empty() ? (r.error ? kErrorMark : "") : "<"),
        rate(r.current, r.current_per_s), rate(r.baseline, r.baseline_per_s),
        both ? format_change(percent_change(r.current_per_s, r.baseline_per_s)) : "-");
    for (double p : kReportPercentiles) {
      auto pct = [&](const std::optional<Summary>& s) {
        return s ? format_duration(s->percentile_ns(p)) : std::string("-");
      };
      line += fmt::format(
          " {:>9} {:>9} {:>8}", pct(r.current), pct(r.baseline),
          both ? format_change(percent_change(static_cast<double>(r.current->percentile_ns(p)),
                                              static_cast<double>(r.baseline->percentile_ns(p))))
               : "-");
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace gorgon::analysis
