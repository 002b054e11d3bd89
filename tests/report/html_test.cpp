// The HTML report: escaping of everything taken from the file, and the page's structure.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "chartjs.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"
#include "html_escape.hpp"
#include "html_report.hpp"
#include "source.hpp"
#include "synthetic.hpp"

namespace gorgon::analysis {
namespace {

using testing::kHostile;
using testing::SyntheticRun;
using testing::SyntheticSource;

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html_escape(kHostile), "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x82\xAC"),
            "caf\xC3\xA9 \xE2\x82\xAC");  // valid UTF-8 kept
}

TEST(HtmlEscape, ReplacesInvalidUtf8AndControlCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(html_escape("a\xFF"
                        "b"),
            "a" + fffd + "b");
  EXPECT_EQ(html_escape("\xC3"), fffd);                        // truncated sequence
  EXPECT_EQ(html_escape("\xC0\xAF"), fffd + fffd);             // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), fffd + fffd + fffd);  // a surrogate
  EXPECT_EQ(html_escape(std::string("a\0b\x1b"
                                    "c\td\n",
                                    8)),
            "a" + fffd + "b" + fffd + "c\td\n");
  EXPECT_EQ(sanitize_utf8("<ok>"), "<ok>");
}

TEST(JsonForScript, CannotCloseTheScriptElement) {
  nlohmann::json j = {
      {"label", kHostile}, {"more", "<!-- & \xE2\x80\xA8 \xE2\x80\xA9 >"}, {"bad", "\xFF"}};
  const std::string s = json_for_script(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  EXPECT_EQ(s.find('&'), std::string::npos);
  EXPECT_EQ(s.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(s.find("\xE2\x80\xA9"), std::string::npos);
  const auto back = nlohmann::json::parse(s);
  EXPECT_EQ(back["label"], kHostile);
  EXPECT_EQ(back["more"], "<!-- & \xE2\x80\xA8 \xE2\x80\xA9 >");
  EXPECT_EQ(back["bad"], "\xEF\xBF\xBD");
}

/// A report of synthetic runs in which every string from the file is hostile.
ReportData hostile_report() {
  std::vector<SyntheticRun> runs = testing::scaling_suite(1500);
  for (auto& r : runs) {
    r.operation = kHostile;
    r.params = {{kHostile, kHostile}};
    r.labels = {"200", kHostile, "500"};
    r.subcalls = {kHostile, "query"};
    r.metadata = {{kHostile, kHostile}, {"status", "complete"}};
    r.error_labels = {kHostile};
    r.limits = {{kHostile, kHostile, false}};
  }
  SyntheticSource source(kHostile + ".h5", runs, {{"command_line", "gorgon_mpi --op " + kHostile}});
  BuildOptions o;
  o.time_series = true;
  ReportData data = build_report(source, o);
  data.baseline = compare(*data.suite, data.runs[0].summary);
  data.baseline->current_name = kHostile;
  data.baseline->baseline_name = kHostile + " (baseline)";
  return data;
}

std::string html_of(const ReportData& data, std::string_view chartjs = "/* Chart.js */") {
  std::ostringstream out;
  write_html_report(data, chartjs, out);
  return out.str();
}

TEST(HtmlReport, HostileStringsAppearOnlyEscaped) {
  const std::string html = html_of(hostile_report());
  EXPECT_EQ(html.find(kHostile), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("onerror=alert(1)>"), std::string::npos);
  // Exactly our own four script elements open and close.
  EXPECT_EQ(count(html, "<script"), 4u);
  EXPECT_EQ(count(html, "</script>"), 4u);
  // The escaped forms are there: in tables, titles, metadata, and in the JSON data block.
  EXPECT_GT(count(html, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"), 10u);
  EXPECT_GT(count(html, "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"), 3u);
  // A run whose every call failed under a hostile label: the banner escapes it too.
  SyntheticRun failed;
  failed.labels = {kHostile};
  failed.error_labels = {kHostile};
  SyntheticSource source("failed.h5", {failed});
  const std::string banner = html_of(build_report(source, BuildOptions{}));
  EXPECT_NE(banner.find("class=\"alarm\""), std::string::npos);
  EXPECT_EQ(banner.find(kHostile), std::string::npos);
  EXPECT_EQ(banner.find("<img"), std::string::npos);
}

/// Every tag (from '<' to '>', quoted attribute values left out) that contains `needle`.
std::vector<std::string> tags_containing(const std::string& html, const std::string& needle) {
  std::vector<std::string> tags;
  for (auto open = html.find('<'); open != std::string::npos; open = html.find('<', open + 1)) {
    std::string tag;
    bool quoted = false;
    std::size_t i = open;
    for (; i < html.size() && (quoted || html[i] != '>'); ++i) {
      if (html[i] == '"') quoted = !quoted;
      else if (!quoted) tag += html[i];
    }
    if (i == html.size()) break;
    if (tag.find(needle) != std::string::npos) tags.push_back(tag);
  }
  return tags;
}

TEST(HtmlReport, MakesNoNetworkRequest) {
  const std::string html = html_of(hostile_report());
  for (const char* needle : {"http://", "https://", "url(", "@import", "//cdn"})
    EXPECT_EQ(html.find(needle), std::string::npos) << needle;
  for (const char* attribute : {"src=", "href=http", "href=//", "<link", "<iframe", "<object"})
    EXPECT_TRUE(tags_containing(html, attribute).empty()) << attribute;
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"),
            std::string::npos);
}

TEST(HtmlReport, InlinesChartJsAndHasACanvasPerChart) {
  const ReportData data = hostile_report();
  const std::string html = html_of(data, "/* the library */");
  EXPECT_NE(html.find("<script>\n/* the library */\n</script>"), std::string::npos);
  // Per run: throughput, latency, spectrum, a histogram per distribution, ranks, threads.
  // Three labels (plus "All calls") and two sub-calls: 6 distributions. Plus the scaling chart.
  EXPECT_EQ(count(html, "<canvas data-chart="), 3 * (5 + 6) + 1);
  EXPECT_EQ(count(html, "data-chart=\"scaling\""), 1u);
  EXPECT_EQ(count(html, "data-chart=\"histogram\""), 18u);
  EXPECT_NE(html.find("id=\"baseline\""), std::string::npos);
  EXPECT_NE(html.find("id=\"suite\""), std::string::npos);
  EXPECT_NE(html.find("<pre id=\"gorgon-errors\" hidden></pre>"), std::string::npos);
}

TEST(HtmlReport, TablesShowTheTextReportsNumbers) {
  SyntheticSource source("one.h5", {SyntheticRun{}});
  const ReportData data = build_report(source, BuildOptions{});
  const std::string html = html_of(data);
  // Every figure of the text report's lines appears as a table cell.
  const RunSummary& s = data.runs[0].summary;
  for (const std::string& v :
       {format_rate(s.total.rate(s.wall_ns)), format_duration(s.total.max_ns),
        format_duration(s.total.percentile_ns(99.9)), std::to_string(s.total.count)})
    EXPECT_NE(html.find("<td class=\"num\">" + v + "</td>"), std::string::npos) << v;
  EXPECT_NE(html.find("This run has no raw call records"), std::string::npos);  // no series asked
  EXPECT_EQ(html.find("id=\"suite\""), std::string::npos);
}

/// The page's data block, parsed.
nlohmann::json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"gorgon-data\">";
  const auto from = html.find(open) + open.size();
  return nlohmann::json::parse(html.substr(from, html.find("</script>", from) - from));
}

SyntheticRun run_with_errors() {
  SyntheticRun r;
  r.labels = {"ok", "FAIL"};
  r.error_labels = {"FAIL"};
  return r;
}

TEST(HtmlReport, ErrorLabelsAreMarkedAndCounted) {
  SyntheticSource source("errors.h5", {run_with_errors()});
  BuildOptions o;
  o.time_series = true;
  const ReportData data = build_report(source, o);
  const std::string html = html_of(data);
  const RunSummary& s = data.runs[0].summary;
  ASSERT_GT(s.errors(), 0u);
  EXPECT_NE(html.find("<tr class=\"error\"><td class=\"name\">FAIL <span class=\"tag err\""),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td class=\"name\">ok</td>"), std::string::npos);  // no marker
  EXPECT_NE(html.find(fmt::format("<div class=\"card err\"><div class=\"k\">Errors</div><div "
                                  "class=\"v\">{} ({:.3g}%)</div>",
                                  s.errors(), 100.0 * double(s.errors()) / double(s.total.count))),
            std::string::npos);
  EXPECT_EQ(html.find("class=\"alarm\""), std::string::npos);  // some calls succeeded
  // The comparison marks it too.
  ReportData against = data;
  against.baseline = compare(s, s);
  EXPECT_EQ(count(html_of(against),
                  "<tr class=\"error\"><td class=\"name\">FAIL <span class=\"tag err\""),
            2u);  // the summary table and the comparison
  // The charts learn which series are errors.
  const auto page = page_data(html);
  for (const auto& d : page["runs"][0]["dist"])
    EXPECT_EQ(d["error"], d["name"] == "FAIL") << d["name"];
  const auto& series = page["runs"][0]["series"];
  for (std::size_t i = 0; i < series["labels"].size(); ++i)
    EXPECT_EQ(series["label_errors"][i], series["labels"][i] == "FAIL");
}

TEST(HtmlReport, BalanceGroupsRanksByNodeWithACallsChartPerNode) {
  SyntheticRun run;
  run.ranks = 3;
  run.hosts = {"gvc1", "gvc2", "gvc1"};
  SyntheticSource source("nodes.h5", {run});
  BuildOptions o;
  o.time_series = true;
  const ReportData data = build_report(source, o);
  const RunSummary& s = data.runs[0].summary;
  const std::string html = html_of(data);
  // A table: each node's row (ranks, calls, busy, wall), its ranks' rows under it.
  const auto nodes = s.nodes();
  ASSERT_EQ(nodes.size(), 2u);
  const auto row_of = [&](const gorgon::NodeBalance& n) {
    return fmt::format("<tr class=\"node\" data-host=\"{}\"><td class=\"name\">{}", n.host, n.host);
  };
  const auto at = [&](const std::string& what) { return html.find(what); };
  ASSERT_NE(at(row_of(nodes[0])), std::string::npos);
  ASSERT_NE(at(row_of(nodes[1])), std::string::npos);
  EXPECT_NE(at(fmt::format("</td><td class=\"num\">2</td><td class=\"num\">{}</td><td "
                           "class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                           nodes[0].calls, format_duration(nodes[0].busy_ns),
                           format_duration(nodes[0].wall_ns))),
            std::string::npos);
  // gvc1's rows: the node, rank 0, rank 2; then gvc2's: the node, rank 1.
  const auto r0 = at("<td class=\"name\">rank 0</td>"), r1 = at("<td class=\"name\">rank 1</td>"),
             r2 = at("<td class=\"name\">rank 2</td>");
  ASSERT_NE(r0, std::string::npos);
  ASSERT_NE(r1, std::string::npos);
  ASSERT_NE(r2, std::string::npos);
  EXPECT_LT(at(row_of(nodes[0])), r0);
  EXPECT_LT(r0, r2);
  EXPECT_LT(r2, at(row_of(nodes[1])));
  EXPECT_LT(at(row_of(nodes[1])), r1);
  EXPECT_NE(
      at(s.slowest_node() + " <span class=\"tag\" title=\"the longest wall time\">slowest</span>"),
      std::string::npos);
  // The chart of calls over time per node, its series in the page's data: one per host.
  EXPECT_EQ(count(html, "data-chart=\"nodes\""), 1u);
  const auto series = page_data(html)["runs"][0]["series"];
  EXPECT_EQ(series["nodes"], nlohmann::json({"gvc1", "gvc2"}));
  ASSERT_EQ(series["node_per_s"].size(), 2u);
  EXPECT_EQ(series["node_per_s"][0].size(), series["t"].size());

  // One host: no node table, no node chart.
  SyntheticSource one("one.h5", {SyntheticRun{}});
  const std::string single = html_of(build_report(one, o));
  EXPECT_EQ(single.find("data-host="), std::string::npos);
  EXPECT_EQ(single.find("data-chart=\"nodes\""), std::string::npos);
  // Hostile host names are escaped like every string from the file.
  run.hosts = {kHostile, "gvc2", kHostile};
  SyntheticSource hostile("h.h5", {run});
  const std::string page = html_of(build_report(hostile, o));
  EXPECT_EQ(page.find(kHostile), std::string::npos);
  EXPECT_NE(page.find("data-host=\"&lt;/script&gt;"), std::string::npos);
}

TEST(HtmlReport, ARunInWhichEveryCallFailedSaysSoLoudly) {
  SyntheticRun r;
  r.labels = {"COULDNT_CONNECT"};
  r.error_labels = r.labels;
  SyntheticSource source("refused.h5", {r, run_with_errors()});
  const std::string html = html_of(build_report(source, BuildOptions{}));
  EXPECT_EQ(count(html,
                  "<p class=\"alarm\" role=\"alert\"><b>Every call failed.</b> All 2000 calls "
                  "of this run are errors (COULDNT_CONNECT)"),
            1u);  // run 1 only
  EXPECT_NE(html.find("<tr class=\"error\"><td class=\"name\"><a href=\"#run-1\">"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num err\">2000 (100%)</td>"), std::string::npos);  // runs table
}

TEST(HtmlReport, ThresholdResultsAreATablePerRun) {
  SyntheticRun r;
  r.limits = {{"p99<50ms", "8.32ms", true}, {"errors<1%", "12.5%", false}};
  SyntheticSource with("limits.h5", {r});
  const std::string html = html_of(build_report(with, BuildOptions{}));
  EXPECT_NE(html.find("<h3>Thresholds</h3>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"passed\"><td class=\"name\"><code>p99&lt;50ms</code></td><td "
                      "class=\"num\">8.32ms</td><td class=\"num verdict\">passed</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"failed\"><td class=\"name\"><code>errors&lt;1%</code></td><td "
                      "class=\"num\">12.5%</td><td class=\"num verdict\">FAILED</td></tr>"),
            std::string::npos);
  SyntheticSource without("none.h5", {SyntheticRun{}});
  EXPECT_EQ(html_of(build_report(without, BuildOptions{})).find("Thresholds"), std::string::npos);
}

TEST(HtmlReport, RunsTableHasPercentilesAndErrorsPerRun) {
  auto runs = testing::scaling_suite(1500);
  for (auto& r : runs) r.error_labels = {"500"};
  SyntheticSource source("suite.h5", runs);
  const ReportData data = build_report(source, BuildOptions{});
  const std::string html = html_of(data);
  EXPECT_NE(html.find("<th>Errors</th><th>Total time</th><th>Calls/s</th><th>p50</th><th>p99</th>"),
            std::string::npos);
  for (std::size_t i = 0; i < data.runs.size(); ++i) {
    const RunSummary& s = data.runs[i].summary;
    const std::string row = fmt::format(
        "<td class=\"num\">{}</td><td class=\"num err\">{} ({:.3g}%)</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        s.total.count, s.errors(), 100.0 * double(s.errors()) / double(s.total.count),
        format_duration(s.wall_ns), format_rate(s.total.rate(s.wall_ns)),
        format_duration(s.total.percentile_ns(50)), format_duration(s.total.percentile_ns(99)));
    EXPECT_NE(html.find(row), std::string::npos) << row;
  }
}

TEST(HtmlReport, MetadataShowsDurationsReadably) {
  SyntheticRun r;
  r.metadata = {{"wall_ns", "8766541571"},
                {"duration_ns", "0"},
                {"start_ns", "1426216716041"},
                {"late_ns", "n/a"}};
  SyntheticSource source("meta.h5", {r});
  const std::string html = html_of(build_report(source, BuildOptions{}));
  EXPECT_NE(
      html.find("<th class=\"name\" scope=\"row\">wall</th><td title=\"8766541571 ns\">8.77s</td>"),
      std::string::npos);
  EXPECT_NE(html.find("<th class=\"name\" scope=\"row\">duration</th><td title=\"0 ns\">0ns</td>"),
            std::string::npos);
  // A clock reading is no duration, and what is no number stays as it is.
  EXPECT_NE(html.find("<th class=\"name\" scope=\"row\">start_ns</th><td>1426216716041</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<th class=\"name\" scope=\"row\">late_ns</th><td>n/a</td>"),
            std::string::npos);
  EXPECT_EQ(html.find(">8766541571<"), std::string::npos);
}

TEST(ChartJs, RefusesAFileThatCannotBeInlined) {
  EXPECT_THROW(load_chartjs(""), std::runtime_error);
  EXPECT_THROW(load_chartjs("/nonexistent/chart.min.js"), std::runtime_error);
  const std::string path =
      ::testing::TempDir() + "/gorgon_bad_chart_" + std::to_string(::getpid()) + ".js";
  {
    std::ofstream f(path);
    f << "var Chart = '</script>';";
  }
  EXPECT_THROW(load_chartjs(path), std::runtime_error);
  std::remove(path.c_str());
  EXPECT_THROW(check_inlinable("var Chart = 1; <!-- x", "x"), std::runtime_error);
  EXPECT_THROW(check_inlinable("var x = 1;", "x"), std::runtime_error);
  EXPECT_NO_THROW(check_inlinable("var Chart = 1;", "x"));
}

TEST(ChartJs, TheBuiltInCopyIsTheWholeFileItWasBuiltFrom) {
  const std::string_view js = builtin_chartjs();
  EXPECT_NE(js.find("Chart.js v" + std::string(builtin_chartjs_version())), std::string_view::npos);
  EXPECT_NO_THROW(check_inlinable(js, "the built-in Chart.js"));
  EXPECT_EQ(js, load_chartjs(REPORT_BUILT_CHARTJS));
}

}  // namespace
}  // namespace gorgon::analysis
