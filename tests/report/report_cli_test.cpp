// gorgon_report's command line on synthetic files: golden text and JSON, --run, --baseline,
// --html, and bad input (exit 2, one message).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "chartjs.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"
#include "report_cli.hpp"
#include "synthetic.hpp"
#include "text_output.hpp"

namespace gorgon::analysis {
namespace {

using testing::SyntheticRun;
using testing::SyntheticSource;

/// The "files" gorgon_report can open in these tests.
std::unique_ptr<ReportSource> open_synthetic(const std::string& path) {
  if (path == "suite.h5")
    return std::make_unique<SyntheticSource>(path, testing::scaling_suite(3000),
                                             Metadata{{"format", "gorgon-mpi"}});
  if (path == "slower.h5") {
    auto runs = testing::scaling_suite(3000);
    for (auto& r : runs) r.base_ns = 1'250'000;
    runs[0].labels = {"200", "500"};
    return std::make_unique<SyntheticSource>(path, runs);
  }
  if (path == "single.h5")
    return std::make_unique<SyntheticSource>(path, std::vector{SyntheticRun{}});
  throw InputError("cannot open '" + path + "': no such file or not readable");
}

struct Result {
  int status;
  std::string out, err;
};

Result run(std::vector<std::string> args) {
  args.insert(args.begin(), "gorgon_report");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status =
      report_main(static_cast<int>(argv.size()), argv.data(), out, err, open_synthetic);
  return {status, out.str(), err.str()};
}

/// Compares `actual` with golden/<name>; GORGON_UPDATE_GOLDEN=1 rewrites the file instead.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(REPORT_GOLDEN_DIR) + "/" + name;
  if (const char* update = std::getenv("GORGON_UPDATE_GOLDEN");
      update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with GORGON_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() != actual) {
    std::filesystem::create_directories(REPORT_GOLDEN_ACTUAL_DIR);
    std::ofstream(std::string(REPORT_GOLDEN_ACTUAL_DIR) + "/" + name, std::ios::binary) << actual;
  }
  EXPECT_EQ(expected.str(), actual)
      << "golden " << name << " differs; actual output written to " << REPORT_GOLDEN_ACTUAL_DIR;
}

TEST(ReportCli, TextIsTheLiveRunsReport) {
  const Result r = run({"suite.h5"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  expect_golden("suite.txt", r.out);
  // The same text the live run's reporter printed for these summaries.
  auto source = open_synthetic("suite.h5");
  std::vector<RunSummary> runs;
  for (std::size_t i = 0; i < 3; ++i) runs.push_back(source->summary(i));
  std::ostringstream live;
  TextReporter reporter(live);
  for (std::size_t i = 0; i < 3; ++i) reporter.report_run(runs[i], i, 3);
  reporter.report_suite(runs, merge_suite(runs));
  EXPECT_EQ(r.out, live.str());
}

TEST(ReportCli, JsonIsTheLiveRunsSummary) {
  const Result r = run({"suite.h5", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_golden("suite.json", r.out);
  auto source = open_synthetic("suite.h5");
  std::vector<RunSummary> runs;
  for (std::size_t i = 0; i < 3; ++i) runs.push_back(source->summary(i));
  EXPECT_EQ(nlohmann::json::parse(r.out), suite_to_json(runs, merge_suite(runs)));
}

TEST(ReportCli, RunPicksOneRun) {
  const Result r = run({"suite.h5", "--run", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_golden("suite_run2.txt", r.out);
  EXPECT_EQ(r.out.rfind("Run 2 of 3: synthetic", 0), 0u);
  EXPECT_EQ(r.out.find("Suite of"), std::string::npos);
  const Result j = run({"suite.h5", "--run", "3", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)["runs"].size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(j.out)["runs"][0]["threads"], 2);
}

TEST(ReportCli, BaselineComparesLabelBySideBySide) {
  const Result r = run({"suite.h5", "--baseline", "slower.h5"});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_golden("suite_vs_slower.txt", r.out);
  EXPECT_NE(
      r.out.find("Comparison: suite.h5 (3 runs merged) against baseline slower.h5 (3 runs merged)"),
      std::string::npos);
  const Result one = run({"suite.h5", "--run", "1", "--baseline", "slower.h5"});
  ASSERT_EQ(one.status, 0) << one.err;
  expect_golden("suite_run1_vs_slower.txt", one.out);
}

TEST(ReportCli, ComparisonDurationsAreTheReportsDurations) {
  // The comparison prints each duration as the report does (three digits, rounded), so the
  // two agree: p99 1.0599 ms is 1.06ms in both, not 1.05ms in one of them.
  SyntheticSource a("a.h5", {SyntheticRun{}}), b("b.h5", {SyntheticRun{}});
  const RunSummary now = a.summary(0), base = b.summary(0);
  const std::string text = comparison_text(compare(now, base));
  for (double p : kReportPercentiles)
    EXPECT_NE(text.find(" " + format_duration(now.total.percentile_ns(p)) + " "), std::string::npos)
        << p;
  EXPECT_NE(text.find("Total time: " + fmt::format("{:>9}", format_duration(now.wall_ns))),
            std::string::npos);
  EXPECT_EQ(format_change(12.345), "+12.3%");
  EXPECT_EQ(format_change(-0.04), "-0.0%");
  EXPECT_EQ(format_change(std::nullopt), "n/a");
}

TEST(ReportCli, HtmlIsWrittenAtomically) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("gorgon_report_cli_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "report.html").string();
  const Result r = run({"suite.h5", "--html", path, "--chartjs", REPORT_FAKE_CHARTJS});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("HTML report written to"), std::string::npos);
  std::ifstream in(path);
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("fake Chart.js"), std::string::npos);
  EXPECT_NE(html.str().find("data-chart=\"throughput\""), std::string::npos);
  std::vector<std::string> entries;  // the page alone: no temporary beside it
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"report.html"});
  fs::remove_all(dir);
}

TEST(ReportCli, HtmlCarriesTheBuiltInChartJsWithoutChartjsOption) {
  const std::string path = ::testing::TempDir() + "/gorgon_report_cli_builtin.html";
  std::filesystem::remove(path);
  const Result r = run({"suite.h5", "--html", path});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream in(path);
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("<script>\n" + std::string(builtin_chartjs()) + "\n</script>"),
            std::string::npos);
  EXPECT_NE(
      run({"--help"})
          .out.find("built-in copy (Chart.js " + std::string(builtin_chartjs_version()) + ")"),
      std::string::npos);
}

TEST(ReportCli, BadInputIsOneMessageAndExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"missing.h5"},
           {"suite.h5", "--run", "4"},
           {"suite.h5", "--run", "0"},
           {"suite.h5", "--baseline", "missing.h5"},
           {"suite.h5", "--bogus"},
           {},
           {"suite.h5", "--html", "/nonexistent-dir/x.html", "--chartjs", REPORT_FAKE_CHARTJS}}) {
    const Result r = run(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("gorgon_report: error: ", 0), 0u) << r.err;
  }
  const Result missing = run({"missing.h5"});
  EXPECT_EQ(missing.err,
            "gorgon_report: error: cannot open 'missing.h5': no such file or not readable\n");
  const Result range = run({"suite.h5", "--run", "4"});
  EXPECT_EQ(range.err, "gorgon_report: error: --run 4: 'suite.h5' holds 3 runs (1..3)\n");
}

TEST(ReportCli, MissingChartJsFailsBeforeReading) {
  const Result r = run({"suite.h5", "--html", "x.html", "--chartjs", "/nonexistent/chart.min.js"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot read Chart.js at '/nonexistent/chart.min.js'"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace gorgon::analysis
