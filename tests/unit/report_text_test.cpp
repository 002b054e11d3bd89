// The text report: hand-checked lines, then whole outputs against golden files.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "golden.hpp"
#include "gorgon/report/reporter.hpp"
#include "sample_runs.hpp"

namespace {

using gorgon::RunSummary;
using namespace gorgon::test;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// ---- small helpers ----------------------------------------------------------------------------

TEST(FormatRate, Layouts) {
  EXPECT_EQ(gorgon::format_rate(512), "512");
  EXPECT_EQ(gorgon::format_rate(100), "100");
  EXPECT_EQ(gorgon::format_rate(1234.6), "1235");
  EXPECT_EQ(gorgon::format_rate(99.94), "99.9");
  EXPECT_EQ(gorgon::format_rate(9.5), "9.5");
  EXPECT_EQ(gorgon::format_rate(1), "1.0");
  EXPECT_EQ(gorgon::format_rate(0.25), "0.250");
  EXPECT_EQ(gorgon::format_rate(0), "0.000");
}

TEST(PrintableLabel, EscapesControlsAndBytesThatAreNotUtf8) {
  using namespace std::string_literals;
  EXPECT_EQ(gorgon::printable_label("x\0y"s), "x\\x00y");
  EXPECT_EQ(gorgon::printable_label("\x1b[31mred\nline"), "\\x1b[31mred\\nline");
  EXPECT_EQ(gorgon::printable_label("\xff\xfe!"), "\\xff\\xfe!");                  // not UTF-8
  EXPECT_EQ(gorgon::printable_label("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82"),  // kept
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
  EXPECT_EQ(gorgon::printable_label("\xc2\x9b"
                                    "2J"),
            "\\xc2\\x9b2J");                                              // C1 CSI
  EXPECT_EQ(gorgon::printable_label("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(gorgon::printable_label("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(gorgon::printable_label("\xe2\x82"), "\\xe2\\x82");           // cut short
}

TEST(FmtPercentile, Keys) {
  EXPECT_EQ(gorgon::fmt_percentile(50), "p50");
  EXPECT_EQ(gorgon::fmt_percentile(99.9), "p99.9");
  EXPECT_EQ(gorgon::fmt_percentile(99.99), "p99.99");
  EXPECT_EQ(gorgon::fmt_percentile(0), "p0");
  EXPECT_EQ(gorgon::fmt_percentile(100), "p100");
}

// ---- run_title and balance_line ---------------------------------------------------------------

TEST(RunTitle, NamesOperationParamsCallsRanksThreadsSeed) {
  EXPECT_EQ(gorgon::run_title(run_a(), 0, 2),
            "Run 1 of 2: hash (iterations=4000) x 15 calls, 2 ranks x 2 threads, seed 0\n");
  EXPECT_EQ(gorgon::run_title(run_b(), 1, 2),
            "Run 2 of 2: noop x 1000 calls, 1 ranks x 1 threads, seed 1000\n");
  RunSummary two = run_a();
  two.params.emplace_back("mode", "fast");
  two.params.emplace_back("url", "");  // a default the user did not set: not in the title
  two.params_given.push_back("mode");
  EXPECT_EQ(gorgon::run_title(two, 2, 3),
            "Run 3 of 3: hash (iterations=4000, mode=fast) x 15 calls, 2 ranks x 2 threads, "
            "seed 0\n");
  two.params_given.clear();
  EXPECT_EQ(gorgon::run_title(two, 2, 3),
            "Run 3 of 3: hash x 15 calls, 2 ranks x 2 threads, seed 0\n");
  expect_golden("run_titles.txt",
                gorgon::run_title(run_a(), 0, 2) + gorgon::run_title(run_b(), 1, 2));
}

TEST(RunTitle, LongValuesAreShortenedNeverInsideACharacter) {
  RunSummary r = run_a();
  r.params = {{"url", "http://" + std::string(300, 'k')}};
  r.params_given = {"url"};
  const std::string title = gorgon::run_title(r, 0, 1);
  EXPECT_NE(title.find("(url=http://kkk"), std::string::npos) << title;
  EXPECT_NE(title.find("k...) x 15 calls"), std::string::npos) << title;
  EXPECT_LT(title.size(), 160u);
  r.params = {
      {"text", std::string(76, 'a') + "\u00e9\u00e9\u00e9"}};  // 2-byte characters at the cut
  r.params_given = {"text"};
  const std::string accents = gorgon::run_title(r, 0, 1);
  EXPECT_NE(accents.find("(text=" + std::string(76, 'a') + "...)"), std::string::npos) << accents;
}

TEST(RunTitle, DurationRateAndWarmup) {
  RunSummary r = run_b();
  r.mode = gorgon::RunMode::duration;
  r.duration_ns = 30 * kS;
  EXPECT_EQ(gorgon::run_title(r, 0, 1),
            "Run 1 of 1: noop for 30s 0ms, 1 ranks x 1 threads, seed 1000\n");
  r.rate = 250;
  r.warmup_calls = 100;
  EXPECT_EQ(gorgon::run_title(r, 0, 1),
            "Run 1 of 1: noop for 30s 0ms at 250 calls/s after 100 warm-up calls, 1 ranks x 1 "
            "threads, seed 1000\n");
  r.mode = gorgon::RunMode::count;
  r.rate = 0.5;
  EXPECT_EQ(gorgon::run_title(r, 0, 1),
            "Run 1 of 1: noop x 1000 calls at 0.500 calls/s after 100 warm-up calls, 1 ranks x 1 "
            "threads, seed 1000\n");
}

TEST(StatusLines, InterruptedAndRate) {
  RunSummary r = run_b();
  EXPECT_EQ(gorgon::status_lines(r), "");  // complete, closed loop: nothing to say
  r.status = gorgon::RunStatus::interrupted;
  r.stop_reason = "SIGTERM";
  EXPECT_EQ(gorgon::status_lines(r),
            "Interrupted (SIGTERM): the report covers the 1000 calls that completed\n");
  r.stop_reason.clear();
  EXPECT_EQ(gorgon::status_lines(r),
            "Interrupted (stopped): the report covers the 1000 calls that completed\n");
  r.status = gorgon::RunStatus::complete;
  // Asked 2e6 calls/s; 1000 calls in 1 ms achieved 1e6; 250 of 1000 late: 25.00%.
  r.rate = 2e6;
  r.late_calls = 250;
  EXPECT_EQ(gorgon::status_lines(r),
            "Rate: asked 2000000 calls/s, achieved 1000000 calls/s; 250 calls started late "
            "(25.00%)\n");
  RunSummary empty;
  empty.rate = 10;
  EXPECT_EQ(gorgon::status_lines(empty),
            "Rate: asked 10.0 calls/s, achieved 0.000 calls/s; 0 calls started late (0.00%)\n");
}

TEST(StatusLines, WaitsForTheRecordBudgetAreSaid) {
  RunSummary r = run_b();
  r.record_budget_bytes = 32u << 20;
  r.record_peak_bytes = 32u << 20;
  EXPECT_EQ(gorgon::status_lines(r), "");  // never waited: nothing to say
  r.record_waits = 7;
  r.record_wait_ns = 1'500'000'000;
  EXPECT_EQ(gorgon::status_lines(r),
            "Records: the threads waited 7 times, 1s 500ms in all, for the 32 MiB each rank may "
            "hold (--memory)\n");
}

TEST(BalanceLine, RanksThreadsBusyAndSlowest) {
  // Calls per rank 8 and 7; per thread 4, 4, 3, 4; busy per thread from (1,1)'s 10.152 ms to
  // (1,0)'s 3.626 s; rank 1 has the longest wall time, 4 s.
  EXPECT_EQ(gorgon::balance_line(run_a()),
            "Balance: calls per rank 7..8, per thread 3..4; busy per thread 10.2ms..3s 626ms; "
            "slowest rank 1 (4s 0ms)\n");
  EXPECT_EQ(gorgon::balance_line(run_b()), "Balance: no per-rank data\n");

  RunSummary ranks_only = run_a();
  ranks_only.thread_balance.clear();
  EXPECT_EQ(gorgon::balance_line(ranks_only),
            "Balance: calls per rank 7..8, per thread 0..0; busy per thread 0ns..0ns; "
            "slowest rank 1 (4s 0ms)\n");
  expect_golden("balance_lines.txt", gorgon::balance_line(run_a()) + gorgon::balance_line(run_b()));
}

TEST(BalanceLine, NodesWhenTheRunSpansHosts) {
  // Run A's two ranks on two hosts: rank 0 (8 calls, busy 772 ms, wall 800 ms) on node1,
  // rank 1 (7 calls, busy 3.636 s, wall 4 s) on node2, the slowest.
  RunSummary r = run_a();
  r.rank_balance[1].host = "node2";
  EXPECT_EQ(gorgon::balance_line(r),
            "Balance: calls per rank 7..8, per thread 3..4; busy per thread 10.2ms..3s 626ms; "
            "slowest rank 1 (4s 0ms); nodes 2: calls per node 7..8, busy per node "
            "772ms..3s 636ms; slowest node node2 (4s 0ms)\n");
  // Three ranks on two hosts: the node's figures are its ranks' sums and longest wall.
  r.rank_balance.push_back(
      {2, 5, 1'000 * gorgon::test::kMs, 900 * gorgon::test::kMs, 0, 0, "node1"});
  EXPECT_NE(gorgon::balance_line(r).find("; nodes 2: calls per node 7..13, busy per node "
                                         "1s 772ms..3s 636ms; slowest node node2 (4s 0ms)\n"),
            std::string::npos)
      << gorgon::balance_line(r);
  // A host name cannot drive the terminal.
  r.rank_balance[1].host = "evil\x1b[2Jhost";
  EXPECT_NE(gorgon::balance_line(r).find("slowest node evil\\x1b[2Jhost (4s 0ms)"),
            std::string::npos)
      << gorgon::balance_line(r);
  // One host: the line of a single node, without node figures.
  EXPECT_EQ(gorgon::balance_line(run_a()).find("node"), std::string::npos);
  RunSummary two = run_a();
  two.rank_balance[1].host = "node2";
  std::ostringstream out;
  gorgon::TextReporter(out).report_run(two, 0, 1);
  expect_golden("text_reporter_two_hosts.txt", out.str());
}

TEST(BalanceLine, ClockUncertaintyIsSaidWhenNotSmallAgainstTheRun) {
  RunSummary r = run_a();  // 4 s of wall time: 1% is 40 ms
  for (auto& b : r.rank_balance) b.clock_rtt_ns = b.rank == 0 ? 0 : 20 * gorgon::test::kMs;
  EXPECT_EQ(gorgon::balance_line(r).find("Clocks:"), std::string::npos);  // 10 ms < 40 ms
  for (auto& b : r.rank_balance) b.clock_rtt_ns = b.rank == 0 ? 0 : 200 * gorgon::test::kMs;
  const std::string line = gorgon::balance_line(r);
  EXPECT_NE(line.find("\nClocks: rank 1's offset to rank 0 is uncertain by up to 100ms (half its "
                      "estimate's round trip), 2.5% of the run"),
            std::string::npos)
      << line;
}

// ---- small_report -------------------------------------------------------------------------------

TEST(SmallReport, HandCheckedLinesOfRunA) {
  const auto lines = lines_of(gorgon::small_report(run_a()));
  // Total time, Result, FAIL, its digest<, SUCCESS, its digest< and init<, the errors.
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0], "Total time:    4s 0ms");
  EXPECT_EQ(lines[1].substr(0, 37), "      Result        15      3.8 ops/s");  // 15 calls / 4 s
  // FAIL (an error: marked !): 2, 3, 4 ms. Mean 3 ms, stddev 1 ms. p50 is rank 2 (3 ms,
  // read at its bucket's midpoint 3.006 ms), p90 and up rank 3: 4 ms, whose midpoint
  // 4.006 ms is clamped to max. Three significant digits everywhere.
  EXPECT_EQ(lines[2],
            "       FAIL!         3    0.750 ops/sec. Avg time:  3.00ms Max:  4.00ms Min:  2.00ms "
            "Std:  1.00ms p50:  3.01ms p90:  4.00ms p99:  4.00ms p99.9:  4.00ms");
  // digest< under FAIL: 1, 1.5, 2 ms. Mean 1.5 ms (not "1ms"); stddev 500 us.
  EXPECT_EQ(lines[3],
            "     digest<         3    0.750 ops/sec. Avg time:  1.50ms Max:  2.00ms Min:  1.00ms "
            "Std:   500us p50:  1.50ms p90:  2.00ms p99:  2.00ms p99.9:  2.00ms");
  EXPECT_EQ(lines[4].substr(0, 37), "     SUCCESS        12      3.0 ops/s");
  EXPECT_EQ(lines[5].substr(0, 24), "     digest<        12  ");
  // init< under SUCCESS: 87, 90, 93 ns four times; below 128 ns buckets are exact.
  // Mean 90; m2 = 8 * 9 = 72 over 11: stddev 2.56 ns.
  EXPECT_EQ(lines[6],
            "       init<        12      3.0 ops/sec. Avg time:    90ns Max:    93ns Min:    87ns "
            "Std:     2ns p50:    90ns p90:    93ns p99:    93ns p99.9:    93ns");
  EXPECT_EQ(lines[7], "Errors: 3 of 15 calls (20%), marked !: FAIL");
  for (const auto& l : lines) EXPECT_LE(l.size(), 160u) << l;
}

TEST(SmallReport, HandCheckedRunB) {
  // 1000 calls of 50..59 ns (100 each) in 1 ms: 1e6 calls/s; mean 54.5 prints as 54ns;
  // p50 is the 500th value (54), p90 the 900th (58), p99 the 990th (59).
  const std::string stats =
      "      1000  1000000 ops/sec. Avg time:    54ns Max:    59ns Min:    50ns Std:     2ns "
      "p50:    54ns p90:    58ns p99:    59ns p99.9:    59ns\n";
  EXPECT_EQ(gorgon::small_report(run_b()),
            "Total time:    1.00ms\n      Result" + stats + "          ok" + stats);
}

TEST(SmallReport, EmptyRunPrintsZeros) {
  EXPECT_EQ(gorgon::small_report(RunSummary{}),
            "Total time:       0ns\n      Result         0    0.000 ops/sec. Avg time:     0ns "
            "Max:     0ns Min:     0ns Std:     0ns p50:     0ns p90:     0ns p99:     0ns p99.9: "
            "    0ns\n");
}

TEST(SmallReport, LongLabelsKeepTheColumnsAndFit160Columns) {
  RunSummary r = run_a();
  r.labels[0].label = "a label of more than twenty characters";
  r.labels[1].label = "COULDNT_CONNECT";  // widens the name column to its 15 characters
  const auto lines = lines_of(gorgon::small_report(r));
  // The long label on a line of its own, its numbers under it in the columns.
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[2], "a label of more than twenty characters!");
  const std::size_t count_end = lines[1].find(" 15 ") + 3;  // the calls column's right edge
  EXPECT_EQ(lines[3].find(" 3 ") + 2, count_end) << lines[3];
  EXPECT_EQ(lines[3].substr(0, count_end - 1), std::string(count_end - 1, ' '));
  EXPECT_EQ(lines[5].substr(0, 21), "     COULDNT_CONNECT ");  // the column is 20 wide
  for (std::size_t i : {1, 3, 4, 5, 6, 7}) {
    EXPECT_LE(lines[i].size(), 160u) << lines[i];
    EXPECT_EQ(lines[i].find("ops/sec."), lines[1].find("ops/sec.")) << lines[i];
  }
}

TEST(SmallReport, EveryCallFailedIsSaidLoudly) {
  RunSummary r = run_b();
  r.labels[0].label = "COULDNT_CONNECT";
  r.labels[0].error = true;
  const auto lines = lines_of(gorgon::small_report(r));
  EXPECT_EQ(lines.back(), "EVERY CALL FAILED: all 1000 calls are errors (COULDNT_CONNECT)");
  EXPECT_EQ(lines[2].substr(0, 17), "COULDNT_CONNECT! ");
}

TEST(SmallReport, ControlCharactersInLabelsAreEscaped) {
  RunSummary r = run_b();
  r.labels[0].label = "a\nb\x1b[31mred\tc\\";
  const std::string text = gorgon::small_report(r);
  EXPECT_NE(text.find("a\\nb\\x1b[31mred\\tc\\\\"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(lines_of(text).size(), 3u);  // the newline did not break the line
}

TEST(SmallReport, SubCallLinesFollowTheirLabel) {
  const auto lines = lines_of(gorgon::small_report(gorgon::merge_suite({run_a(), run_b()})));
  ASSERT_EQ(lines.size(), 9u);
  const char* names[] = {"Total time:", "Result", "FAIL!", "digest<", "SUCCESS",
                         "digest<",     "init<",  "ok",    "Errors:"};
  for (std::size_t i = 0; i < lines.size(); ++i)
    EXPECT_NE(lines[i].find(names[i]), std::string::npos) << i << ": " << lines[i];
  EXPECT_EQ(lines[0], "Total time:    4s 1ms");
  EXPECT_EQ(lines[1].substr(0, 24), "      Result      1015  ");
}

TEST(SmallReport, Golden) {
  expect_golden("small_report_run_a.txt", gorgon::small_report(run_a()));
  expect_golden("small_report_run_b.txt", gorgon::small_report(run_b()));
}

// ---- TextReporter ---------------------------------------------------------------------------

TEST(TextReporter, SuiteOfTwoRunsGolden) {
  const std::vector<RunSummary> runs = {run_a(), run_b()};
  const RunSummary suite = gorgon::merge_suite(runs);
  std::ostringstream out;
  gorgon::TextReporter reporter(out);
  for (std::size_t i = 0; i < runs.size(); ++i) reporter.report_run(runs[i], i, runs.size());
  reporter.report_suite(runs, suite);
  const std::string text = out.str();
  // Each run: title, report, balance, blank line; then the suite header and its report.
  EXPECT_EQ(text, gorgon::run_title(runs[0], 0, 2) + gorgon::small_report(runs[0]) +
                      gorgon::balance_line(runs[0]) + "\n" + gorgon::run_title(runs[1], 1, 2) +
                      gorgon::small_report(runs[1]) + gorgon::balance_line(runs[1]) + "\n" +
                      "Suite of 2 runs, 1015 calls\n" + gorgon::small_report(suite));
  EXPECT_EQ(text, gorgon::run_report(runs[0], 0, 2) + gorgon::run_report(runs[1], 1, 2) +
                      gorgon::suite_report(runs, suite));
  expect_golden("text_reporter_suite.txt", text);
}

TEST(TextReporter, StatusLinesFollowTheTitle) {
  RunSummary r = run_b();
  r.status = gorgon::RunStatus::interrupted;
  r.stop_reason = "time limit";
  std::ostringstream out;
  gorgon::TextReporter(out).report_run(r, 0, 1);
  const auto lines = lines_of(out.str());
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Run 1 of 1: noop x 1000 calls, 1 ranks x 1 threads, seed 1000");
  EXPECT_EQ(lines[1], "Interrupted (time limit): the report covers the 1000 calls that completed");
  EXPECT_EQ(lines[2], "Total time:    1.00ms");
}

TEST(TextReporter, SingleRunHasNoSuiteSection) {
  std::ostringstream out;
  gorgon::TextReporter reporter(out);
  reporter.report_run(run_a(), 0, 1);
  const std::string after_run = out.str();
  reporter.report_suite({run_a()}, gorgon::merge_suite({run_a()}));
  EXPECT_EQ(out.str(), after_run);
  EXPECT_EQ(after_run.substr(0, 12), "Run 1 of 1: ");
  EXPECT_EQ(after_run.find("Suite"), std::string::npos);
  expect_golden("text_reporter_single.txt", out.str());
}

}  // namespace
