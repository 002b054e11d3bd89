// The HTML report: escaping of everything taken from the file, and the page's structure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "gorgon/report/reporter.hpp"
#include "gorgon/base/units.hpp"
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
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html_escape(kHostile), "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // valid UTF-8 kept
}

TEST(HtmlEscape, ReplacesInvalidUtf8AndControlCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(html_escape("a\xFF" "b"), "a" + fffd + "b");
  EXPECT_EQ(html_escape("\xC3"), fffd);                 // truncated sequence
  EXPECT_EQ(html_escape("\xC0\xAF"), fffd + fffd);      // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), fffd + fffd + fffd);  // a surrogate
  EXPECT_EQ(html_escape(std::string("a\0b\x1b" "c\td\n", 8)), "a" + fffd + "b" + fffd + "c\td\n");
  EXPECT_EQ(sanitize_utf8("<ok>"), "<ok>");
}

TEST(JsonForScript, CannotCloseTheScriptElement) {
  nlohmann::json j = {{"label", kHostile}, {"more", "<!-- & \xE2\x80\xA8 \xE2\x80\xA9 >"},
                      {"bad", "\xFF"}};
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
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"), std::string::npos);
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

TEST(HtmlReport, RefusesAChartJsThatCannotBeInlined) {
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
  if (!default_chartjs_path().empty()) {
    const std::string js = load_chartjs(default_chartjs_path());
    EXPECT_NE(js.find("Chart.js v"), std::string::npos);
  }
}

}  // namespace
}  // namespace gorgon::analysis
