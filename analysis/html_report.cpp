#include "html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ostream>
#include <sstream>

#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"
#include "html_data.hpp"
#include "html_escape.hpp"
#include "text_output.hpp"

#ifndef GORGON_VERSION
#define GORGON_VERSION "unknown"
#endif

namespace gorgon::analysis {
namespace {

std::string h(std::string_view s) { return html_escape(s); }

// ---- HTML pieces ---------------------------------------------------------------------------

/// A metadata entry as the page shows it: a duration in nanoseconds ("wall_ns" =
/// "8766541571") as "wall" = "8.77s", the exact figure kept as the cell's tooltip. Clock
/// readings ("start_ns") are not durations and stay as they are.
struct MetadataRow {
  std::string key, value, exact;
};

MetadataRow metadata_row(const std::string& key, const std::string& value) {
  std::uint64_t ns = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ns);
  const bool number = ec == std::errc() && end == value.data() + value.size() && !value.empty();
  if (!number || !key.ends_with("_ns") || key.ends_with("start_ns")) return {key, value, ""};
  return {key.substr(0, key.size() - 3), format_duration(ns), value + " ns"};
}

std::string metadata_table(const Metadata& m) {
  if (m.empty()) return "<p class=\"note\">No metadata.</p>\n";
  std::string out = "<div class=\"table-wrap\"><table class=\"meta\"><tbody>\n";
  for (const auto& [k, v] : m) {
    const MetadataRow row = metadata_row(k, v);
    out +=
        fmt::format("<tr><th class=\"name\" scope=\"row\">{}</th><td{}>{}</td></tr>\n", h(row.key),
                    row.exact.empty() ? "" : " title=\"" + h(row.exact) + "\"", h(row.value));
  }
  return out + "</tbody></table></div>\n";
}

/// A label's name cell: an error label carries a marker (its row is coloured by CSS).
std::string label_cell(const std::string& name, bool error) {
  return "<td class=\"name\">" + h(name) +
         (error ? " <span class=\"tag err\" title=\"counted as an error\">error</span>" : "") +
         "</td>";
}

std::string summary_row(const std::string& name, const Summary& s, std::uint64_t wall_ns, bool sub,
                        bool error) {
  std::string row = fmt::format("<tr{}>", sub ? " class=\"sub\"" : error ? " class=\"error\"" : "");
  row += sub ? "<td class=\"name\"><span class=\"tag\">sub-call</span> " + h(name) + "</td>"
             : label_cell(name, error);
  auto cell = [&](const std::string& v) { row += "<td class=\"num\">" + h(v) + "</td>"; };
  cell(std::to_string(s.count));
  cell(format_rate(s.rate(wall_ns)));
  cell(format_duration(static_cast<std::uint64_t>(s.mean_ns())));
  cell(format_duration(s.max_ns));
  cell(format_duration(s.count ? s.min_ns : 0));
  cell(format_duration(static_cast<std::uint64_t>(s.stddev_ns())));
  for (double p : kReportPercentiles) cell(format_duration(s.percentile_ns(p)));
  return row + "</tr>\n";
}

/// The text report's numbers as a table: a "Result" row, a row per label, sub-calls under.
std::string summary_table(const RunSummary& s) {
  std::string out =
      "<div class=\"table-wrap\"><table class=\"summary\"><thead><tr><th class=\"name\">Label</th>"
      "<th>Calls</th><th>Calls/s</th><th>Avg</th><th>Max</th><th>Min</th><th>Std</th>";
  for (double p : kReportPercentiles) out += "<th>" + fmt_percentile(p) + "</th>";
  out += "</tr></thead><tbody>\n";
  out += summary_row("Result", s.total, s.wall_ns, false, false);
  for (const auto& l : s.labels) {
    out += summary_row(l.label, l.stats, s.wall_ns, false, l.error);
    for (const auto& sub : l.subcalls)
      out += summary_row(sub.name, sub.stats, s.wall_ns, true, false);
  }
  return out + "</tbody></table></div>\n";
}

/// "37 (1.85%)": calls that failed and their share of every call.
std::string error_share(const RunSummary& s) {
  const std::uint64_t errors = s.errors();
  if (errors == 0 || s.total.count == 0) return "0";
  return fmt::format("{} ({:.3g}%)", errors,
                     100.0 * static_cast<double>(errors) / static_cast<double>(s.total.count));
}

/// The error labels of a run, by name, as one list.
std::string error_label_list(const RunSummary& s) {
  std::string out;
  for (const auto& l : s.labels)
    if (l.error) out += (out.empty() ? "" : ", ") + l.label;
  return out;
}

/// The loud line of a run in which every call failed ("" otherwise).
std::string all_failed_banner(const RunSummary& s) {
  if (s.total.count == 0 || s.errors() != s.total.count) return "";
  return fmt::format(
      "<p class=\"alarm\" role=\"alert\"><b>Every call failed.</b> All {} calls "
      "of this run are errors ({}): its latencies are those of failures.</p>\n",
      s.total.count, h(error_label_list(s)));
}

/// The --fail-if limits checked against the run, passed and failed.
std::string limits_table(const RunSummary& s) {
  if (s.limits.empty()) return "";
  std::string out =
      "<h3>Thresholds</h3>\n<div class=\"table-wrap\"><table class=\"limits\"><thead><tr>"
      "<th class=\"name\">Limit</th><th>Measured</th><th>Result</th></tr></thead><tbody>\n";
  for (const auto& l : s.limits)
    out += fmt::format(
        "<tr class=\"{}\"><td class=\"name\"><code>{}</code></td><td class=\"num\">{}"
        "</td><td class=\"num verdict\">{}</td></tr>\n",
        l.passed ? "passed" : "failed", h(l.limit), h(l.measured), l.passed ? "passed" : "FAILED");
  return out + "</tbody></table></div>\n";
}

std::string card(std::string_view key, const std::string& value, std::string_view cls = "") {
  return fmt::format(
      "<div class=\"card{}{}\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>",
      cls.empty() ? "" : " ", cls, key, h(value));
}

std::string cards(const RunSummary& s) {
  std::string out = "<div class=\"cards\">";
  out += card("Total time", format_duration(s.wall_ns));
  out += card("Calls", std::to_string(s.total.count));
  out += card("Calls/s", format_rate(s.total.rate(s.wall_ns)));
  out += card("Errors", error_share(s), s.errors() ? "err" : "");
  out += card("Ranks &times; threads", fmt::format("{} \u00d7 {}", s.ranks, s.threads));
  out += card("p50", format_duration(s.total.percentile_ns(50)));
  out += card("p99", format_duration(s.total.percentile_ns(99)));
  out += card("Max", format_duration(s.total.max_ns));
  if (s.rate > 0) out += card("Asked rate", format_rate(s.rate) + "/s");
  if (s.late_calls) out += card("Late calls", std::to_string(s.late_calls));
  return out + "</div>\n";
}

std::string chart(std::string_view title, std::string_view kind, const std::string& attrs,
                  std::string_view size = "") {
  return fmt::format(
      "<figure class=\"chart{}\"><figcaption>{}</figcaption><div class=\"box\">"
      "<canvas data-chart=\"{}\" {} role=\"img\" aria-label=\"{}\"></canvas></div></figure>\n",
      size.empty() ? "" : " " + std::string(size), title, kind, attrs, title);
}

/// The balance grouped by node, each node's ranks under it, the slowest node marked: shown
/// when the run spans more than one host ("" on one).
std::string node_table(const RunSummary& s, const std::string& run) {
  const std::vector<NodeBalance> nodes = s.nodes();
  if (nodes.size() < 2) return "";
  const std::string slowest = s.slowest_node();
  std::string out = "<div class=\"table-wrap\"><table class=\"summary nodes\" " + run +
                    "><thead><tr><th class=\"name\">Node</th><th>Ranks</th><th>Calls</th>"
                    "<th>Busy</th><th>Wall</th></tr></thead><tbody>\n";
  auto cell = [](const std::string& v) { return "<td class=\"num\">" + h(v) + "</td>"; };
  for (const auto& n : nodes) {
    out +=
        "<tr class=\"node\" data-host=\"" + h(n.host) + "\"><td class=\"name\">" + h(n.host) +
        (n.host == slowest ? " <span class=\"tag\" title=\"the longest wall time\">slowest</span>"
                           : "") +
        "</td>" + cell(std::to_string(n.ranks.size())) + cell(std::to_string(n.calls)) +
        cell(format_duration(n.busy_ns)) + cell(format_duration(n.wall_ns)) + "</tr>\n";
    for (int rank : n.ranks)
      for (const auto& b : s.rank_balance)
        if (b.rank == rank)
          out += "<tr class=\"sub\"><td class=\"name\">rank " + std::to_string(rank) + "</td>" +
                 cell("") + cell(std::to_string(b.calls)) + cell(format_duration(b.busy_ns)) +
                 cell(format_duration(b.wall_ns)) + "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

std::string run_section(const ReportData& data, std::size_t i) {
  const RunReport& r = data.runs[i];
  const RunSummary& s = r.summary;
  const std::size_t index = data.first_run_index + i;
  const std::string run = fmt::format("data-run=\"{}\"", i);
  std::string title = run_title(s, index, data.runs_in_file);
  while (!title.empty() && title.back() == '\n') title.pop_back();

  std::string out =
      fmt::format("<section class=\"run\" id=\"run-{}\">\n<h2>{}</h2>\n", index + 1, h(title));
  if (s.status != RunStatus::complete)
    out += "<p class=\"warning\">This run was " + h(name_of(s.status)) +
           (s.stop_reason.empty() ? std::string() : " (" + h(s.stop_reason) + ")") +
           ": its figures cover the calls made until it stopped.</p>\n";
  out += all_failed_banner(s);
  out += cards(s);
  out += limits_table(s);
  out += "<h3>Summary</h3>\n" + summary_table(s);
  out += "<p class=\"note\">" + h(balance_line(s)) + "</p>\n";

  out += "<h3>Over time</h3>\n";
  if (r.series) {
    out += "<div class=\"charts\">\n";
    out += chart("Throughput per label (calls/s)", "throughput", run);
    out += chart("Latency percentiles", "latency", run);
    out += "</div>\n";
  } else {
    out += "<p class=\"note\">This run has no raw call records: no time series.</p>\n";
  }

  out += "<h3>Latency distribution</h3>\n<div class=\"charts\">\n";
  out += chart("Percentile spectrum (log axes)", "spectrum", run, "wide");
  out += "</div>\n<div class=\"charts small\">\n";
  std::size_t left_out = 0;
  const auto dists = distributions(s, &left_out);
  for (std::size_t d = 0; d < dists.size(); ++d) {
    const std::string name =
        dists[d].parent.empty() ? dists[d].name : dists[d].parent + " \u203a " + dists[d].name;
    out += chart(h(name), "histogram", run + fmt::format(" data-dist=\"{}\"", d));
  }
  out += "</div>\n";
  if (left_out)
    out += fmt::format(
        "<p class=\"note\">{} more labels or sub-calls not charted (see the "
        "summary table).</p>\n",
        left_out);

  out += "<h3>Balance</h3>\n";
  if (!s.rank_balance.empty()) {
    const bool several_nodes = s.nodes().size() > 1;
    out += node_table(s, run);
    out += "<div class=\"charts\">\n";
    if (several_nodes && r.series)
      out += chart("Calls per node over time (calls/s, on rank 0's clock)", "nodes", run, "wide");
    out += chart("Calls and busy time per rank", "ranks", run);
    out += chart("Calls and busy time per thread", "threads", run);
    out += "</div>\n";
  } else {
    out += "<p class=\"note\">No per-rank data.</p>\n";
  }

  out += "<h3>Run metadata</h3>\n" + metadata_table(r.metadata);
  std::ostringstream text;
  TextReporter(text).report_run(s, index, data.runs_in_file);
  out += "<details><summary>Text report</summary><pre class=\"text\">" + h(text.str()) +
         "</pre></details>\n";
  return out + "</section>\n";
}

std::string suite_section(const ReportData& data) {
  std::string out = "<section class=\"run suite\" id=\"suite\">\n";
  out += fmt::format("<h2>Suite of {} runs, {} calls</h2>\n", data.runs.size(),
                     data.suite->total.count);
  out += "<div class=\"charts\">\n";
  out +=
      chart("Scaling: calls/s against ranks \u00d7 threads", "scaling", "data-run=\"-1\"", "wide");
  out += "</div>\n<h3>Runs</h3>\n";
  out +=
      "<div class=\"table-wrap\"><table class=\"summary\"><thead><tr><th class=\"name\">Run</th>"
      "<th>Ranks</th><th>Threads</th><th>Calls</th><th>Errors</th><th>Total time</th>"
      "<th>Calls/s</th><th>p50</th><th>p99</th><th>Speed-up</th><th>Efficiency</th>"
      "</tr></thead><tbody>\n";
  const ScalingPoint& first = data.scaling.front();
  const double first_workers = double(first.ranks) * first.threads;
  for (const auto& p : data.scaling) {
    const RunSummary& s = data.runs[p.run].summary;
    const double speedup = first.calls_per_s > 0 ? p.calls_per_s / first.calls_per_s : 0;
    const double ideal = first_workers > 0 ? double(p.ranks) * p.threads / first_workers : 0;
    out += fmt::format(
        "<tr{}><td class=\"name\"><a href=\"#run-{}\">Run {}</a></td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{:.2f}&times;</td>"
        "<td class=\"num\">{:.0f}%</td></tr>\n",
        s.total.count && s.errors() == s.total.count ? " class=\"error\"" : "",
        data.first_run_index + p.run + 1, data.first_run_index + p.run + 1, p.ranks, p.threads,
        s.total.count, s.errors() ? " err" : "", h(error_share(s)), h(format_duration(s.wall_ns)),
        h(format_rate(p.calls_per_s)), h(format_duration(s.total.percentile_ns(50))),
        h(format_duration(s.total.percentile_ns(99))), speedup,
        ideal > 0 ? 100.0 * speedup / ideal : 0.0);
  }
  out += "</tbody></table></div>\n<h3>Every run merged</h3>\n" + summary_table(*data.suite);
  return out + "</section>\n";
}

std::string change_cell(const std::optional<double>& change, bool higher_is_better) {
  std::string cls = "num";
  if (change && std::abs(*change) >= 0.5)
    cls += ((*change > 0) == higher_is_better) ? " up" : " down";
  return fmt::format("<td class=\"{}\">{}</td>", cls, h(format_change(change)));
}

std::string comparison_section(const Comparison& c) {
  std::string out =
      "<section class=\"run compare\" id=\"baseline\">\n<h2>Against the baseline</h2>\n";
  out += fmt::format(
      "<p>Current: <b>{}</b><br>Baseline: <b>{}</b><br>Total time {} against {} ({})</p>\n",
      h(c.current_name), h(c.baseline_name), h(format_duration(c.current_wall_ns)),
      h(format_duration(c.baseline_wall_ns)),
      h(format_change(percent_change(double(c.current_wall_ns), double(c.baseline_wall_ns)))));
  out +=
      "<div class=\"table-wrap\"><table class=\"summary compare\"><thead><tr><th class=\"name\" "
      "rowspan=\"2\">Label</th><th colspan=\"3\" class=\"group\">Calls/s</th>";
  for (double p : kReportPercentiles)
    out += "<th colspan=\"3\" class=\"group\">" + fmt_percentile(p) + "</th>";
  out += "</tr><tr>";
  for (std::size_t k = 0; k <= std::size(kReportPercentiles); ++k)
    out += "<th class=\"first\">current</th><th>baseline</th><th>change</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& r : c.rows) {
    const bool both = r.current && r.baseline;
    const bool sub = !r.parent.empty();
    out += fmt::format("<tr{}>", sub ? " class=\"sub\"" : r.error ? " class=\"error\"" : "");
    out += sub ? "<td class=\"name\"><span class=\"tag\">sub-call</span> " + h(r.name) + "</td>"
               : label_cell(r.name, r.error);
    auto cell = [&](const char* cls, const std::optional<Summary>& s, const std::string& v) {
      return fmt::format("<td class=\"{}\">{}</td>", cls, s ? h(v) : std::string("&ndash;"));
    };
    auto val = [&](const std::optional<Summary>& s, const std::string& v) {
      return cell("num", s, v);
    };
    auto first_val = [&](const std::optional<Summary>& s, const std::string& v) {
      return cell("num first", s, v);
    };
    out += first_val(r.current, format_rate(r.current_per_s));
    out += val(r.baseline, format_rate(r.baseline_per_s));
    out += both ? change_cell(percent_change(r.current_per_s, r.baseline_per_s), true)
                : "<td class=\"num\">&ndash;</td>";
    for (double p : kReportPercentiles) {
      const std::uint64_t now = r.current ? r.current->percentile_ns(p) : 0;
      const std::uint64_t base = r.baseline ? r.baseline->percentile_ns(p) : 0;
      out += first_val(r.current, format_duration(now));
      out += val(r.baseline, format_duration(base));
      out += both ? change_cell(percent_change(double(now), double(base)), false)
                  : "<td class=\"num\">&ndash;</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n</section>\n";
}

}  // namespace

void write_html_report(const ReportData& data, std::string_view chartjs, std::ostream& out) {
  const std::string title = "gorgon_mpi report: " + data.source;
  out << "<!DOCTYPE html>\n<html lang=\"en\" data-render=\"pending\">\n<head>\n<meta "
         "charset=\"utf-8\">\n"
      // Nothing may be fetched: scripts and styles are inline, images only data: URLs.
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"gorgon_report " << GORGON_VERSION << "\">\n"
      << "<title>" << h(title) << "</title>\n<style>\n"
      << detail::page_css() << "</style>\n"
      << "<script>\n"
      << detail::page_error_script() << "</script>\n</head>\n<body>\n";

  out << "<header class=\"page\"><h1>gorgon_mpi report</h1><div class=\"sub\">" << h(data.source);
  if (data.runs_in_file)
    out << " &middot; " << data.runs_in_file << (data.runs_in_file == 1 ? " run" : " runs");
  out << "</div></header>\n<main>\n";
  out << "<pre id=\"gorgon-errors\" hidden></pre>\n";

  if (data.runs.size() > 1 || data.baseline) {
    out << "<nav class=\"toc\">";
    if (data.baseline) out << "<a href=\"#baseline\">Baseline</a>";
    if (data.suite) out << "<a href=\"#suite\">Suite</a>";
    for (std::size_t i = 0; i < data.runs.size(); ++i)
      out << fmt::format("<a href=\"#run-{0}\">Run {0}</a>", data.first_run_index + i + 1);
    out << "<a href=\"#file\">File</a></nav>\n";
  }
  if (data.baseline) out << comparison_section(*data.baseline);
  if (data.suite && !data.scaling.empty()) out << suite_section(data);
  for (std::size_t i = 0; i < data.runs.size(); ++i) out << run_section(data, i);
  out << "<section class=\"run file\" id=\"file\">\n<h2>File</h2>\n"
      << metadata_table(data.file_metadata) << "</section>\n</main>\n";
  out << "<footer>Made by gorgon_report " << GORGON_VERSION
      << " &middot; charts by Chart.js, inlined: this page makes no network request.</footer>\n";

  out << "<script>\n" << chartjs << "\n</script>\n";
  out << "<script type=\"application/json\" id=\"gorgon-data\">" << json_for_script(page_json(data))
      << "</script>\n";
  out << "<script>\n" << detail::page_script() << "</script>\n</body>\n</html>\n";
}

}  // namespace gorgon::analysis
