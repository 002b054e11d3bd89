// The JSON summary: hand-checked values, then whole documents against golden files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "golden.hpp"
#include "gorgon/report/reporter.hpp"
#include "sample_runs.hpp"

namespace {

using gorgon::RunSummary;
using nlohmann::json;
using namespace gorgon::test;

TEST(ToJson, RunAValues) {
  const json j = gorgon::to_json(run_a());
  EXPECT_EQ(j["operation"], "hash");
  EXPECT_EQ(j["params"], json({{"iterations", "4000"}}));
  EXPECT_EQ(j["ops"], 15);
  EXPECT_EQ(j["seed"], 0);
  EXPECT_EQ(j["ranks"], 2);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["runs"], 1);
  EXPECT_EQ(j["wall_ns"], 4'000'000'000ull);
  EXPECT_EQ(j["mode"], "count");
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["stop_reason"], "");
  EXPECT_EQ(j["rate"], 0.0);
  EXPECT_EQ(j["late_calls"], 0);
  EXPECT_EQ(j["warmup_calls"], 0);

  const json& result = j["result"];
  EXPECT_EQ(result["count"], 15);
  EXPECT_EQ(result["sum_ns"], 4'408'168'720ull);  // 9 ms of FAIL + 4.399168720 s of SUCCESS
  EXPECT_EQ(result["min_ns"], 1'520);
  EXPECT_EQ(result["max_ns"], 3'621'000'000ull);
  EXPECT_DOUBLE_EQ(result["calls_per_s"].get<double>(), 3.75);

  ASSERT_EQ(j["labels"].size(), 2u);
  const json& fail = j["labels"][0];
  EXPECT_EQ(fail["label"], "FAIL");
  EXPECT_EQ(fail["count"], 3);
  EXPECT_EQ(fail["sum_ns"], 9'000'000);
  EXPECT_DOUBLE_EQ(fail["mean_ns"].get<double>(), 3e6);
  EXPECT_DOUBLE_EQ(fail["stddev_ns"].get<double>(), 1e6);
  EXPECT_EQ(fail["min_ns"], 2'000'000);
  EXPECT_EQ(fail["max_ns"], 4'000'000);
  EXPECT_DOUBLE_EQ(fail["calls_per_s"].get<double>(), 0.75);
  // 3 ms lies in [2998272, 3014656) (width 2^14 above 2^21): midpoint 3006464.
  // 4 ms lies in [3997696, 4014080): midpoint 4005888, clamped to the max, 4 ms.
  EXPECT_EQ(
      fail["percentiles_ns"],
      json({{"p50", 3'006'464}, {"p90", 4'000'000}, {"p99", 4'000'000}, {"p99.9", 4'000'000}}));
  ASSERT_EQ(fail["subcalls"].size(), 1u);
  EXPECT_EQ(fail["subcalls"][0]["name"], "digest");
  EXPECT_DOUBLE_EQ(fail["subcalls"][0]["stddev_ns"].get<double>(), 5e5);
  // 1.5 ms lies in [1499136, 1507328) (width 2^13 above 2^20): midpoint 1503232.
  EXPECT_EQ(fail["subcalls"][0]["percentiles_ns"]["p50"], 1'503'232);

  const json& success = j["labels"][1];
  EXPECT_EQ(success["label"], "SUCCESS");
  ASSERT_EQ(success["subcalls"].size(), 2u);
  EXPECT_EQ(success["subcalls"][0]["name"], "digest");
  EXPECT_EQ(success["subcalls"][1]["name"], "init");
  EXPECT_EQ(success["subcalls"][1]["percentiles_ns"],
            json({{"p50", 90}, {"p90", 93}, {"p99", 93}, {"p99.9", 93}}));

  const json& balance = j["balance"];
  EXPECT_EQ(balance["slowest_rank"], 1);
  ASSERT_EQ(balance["ranks"].size(), 2u);
  EXPECT_EQ(balance["ranks"][1], json({{"rank", 1},
                                       {"calls", 7},
                                       {"busy_ns", 3'636'152'000ull},
                                       {"wall_ns", 4'000'000'000ull},
                                       {"clock_offset_ns", -1'234},
                                       {"clock_rtt_ns", 5'678},
                                       {"host", "node1"},
                                       {"stonewall_calls", 0}}));
  ASSERT_EQ(balance["threads"].size(), 4u);
  EXPECT_EQ(balance["threads"][2],
            json({{"rank", 1}, {"thread", 0}, {"calls", 3}, {"busy_ns", 3'626'000'000ull}}));
  // One host: one node holding both ranks.
  EXPECT_EQ(balance["slowest_node"], "node1");
  EXPECT_EQ(balance["nodes"], json::array({{{"host", "node1"},
                                            {"ranks", {0, 1}},
                                            {"calls", 15},
                                            {"busy_ns", 4'408'168'720ull},
                                            {"wall_ns", 4'000'000'000ull}}}));
}

TEST(ToJson, NodesOfARunOnSeveralHosts) {
  RunSummary r = run_a();
  r.rank_balance[0].host = "gvc2";
  r.rank_balance[1].host = "gvc1";
  r.rank_balance.push_back({2, 5, 1'000, 2'000, 0, 0, "gvc2"});
  const json b = gorgon::to_json(r)["balance"];
  EXPECT_EQ(b["ranks"][2]["host"], "gvc2");
  EXPECT_EQ(b["slowest_node"], "gvc1");  // rank 1's, 4 s
  EXPECT_EQ(b["nodes"], json::array({{{"host", "gvc2"},
                                      {"ranks", {0, 2}},
                                      {"calls", 13},
                                      {"busy_ns", 772'017'720ull},
                                      {"wall_ns", 800'000'000ull}},
                                     {{"host", "gvc1"},
                                      {"ranks", {1}},
                                      {"calls", 7},
                                      {"busy_ns", 3'636'152'000ull},
                                      {"wall_ns", 4'000'000'000ull}}}));
}

TEST(ToJson, NoBalanceAndEmptyParams) {
  const json j = gorgon::to_json(run_b());
  EXPECT_FALSE(j.contains("balance"));
  EXPECT_TRUE(j["params"].is_object());
  EXPECT_TRUE(j["params"].empty());
  EXPECT_DOUBLE_EQ(j["result"]["calls_per_s"].get<double>(), 1e6);
  EXPECT_EQ(j["result"]["percentiles_ns"],
            json({{"p50", 54}, {"p90", 58}, {"p99", 59}, {"p99.9", 59}}));
}

TEST(ToJson, DurationModeAndInterruption) {
  RunSummary r = run_b();
  r.mode = gorgon::RunMode::duration;
  r.duration_ns = 30 * kS;
  r.rate = 1'500.5;
  r.late_calls = 7;
  r.warmup_calls = 20;
  r.status = gorgon::RunStatus::interrupted;
  r.stop_reason = "SIGUSR1";
  const json j = gorgon::to_json(r);
  EXPECT_EQ(j["mode"], "duration");
  EXPECT_EQ(j["duration_ns"], 30'000'000'000ull);
  EXPECT_EQ(j["rate"], 1'500.5);
  EXPECT_EQ(j["late_calls"], 7);
  EXPECT_EQ(j["warmup_calls"], 20);
  EXPECT_EQ(j["status"], "interrupted");
  EXPECT_EQ(j["stop_reason"], "SIGUSR1");
}

TEST(ToJson, EmptySummaryHasZeroMin) {
  const json j = gorgon::to_json(RunSummary{});
  EXPECT_EQ(j["result"]["count"], 0);
  EXPECT_EQ(j["result"]["min_ns"], 0);  // not UINT64_MAX
  EXPECT_EQ(j["result"]["max_ns"], 0);
  EXPECT_TRUE(j["labels"].is_array());
  EXPECT_TRUE(j["labels"].empty());
}

TEST(ToJson, Golden) {
  expect_golden("summary_run_a.json", gorgon::to_json(run_a()).dump(2) + "\n");
}

TEST(SuiteToJson, ValuesAndGolden) {
  const std::vector<RunSummary> runs = {run_a(), run_b()};
  const RunSummary suite = gorgon::merge_suite(runs);
  const json j = gorgon::suite_to_json(runs, suite);
  EXPECT_EQ(j["format"], "gorgon-mpi-summary");
  EXPECT_EQ(j["version"], 1);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0], gorgon::to_json(runs[0]));
  EXPECT_EQ(j["runs"][1], gorgon::to_json(runs[1]));
  EXPECT_EQ(j["suite"]["runs"], 2);
  EXPECT_EQ(j["suite"]["wall_ns"], 4'001'000'000ull);
  EXPECT_EQ(j["suite"]["result"]["count"], 1'015);
  EXPECT_EQ(j["suite"]["result"]["min_ns"], 50);
  ASSERT_EQ(j["suite"]["labels"].size(), 3u);
  EXPECT_EQ(j["suite"]["labels"][2]["label"], "ok");
  EXPECT_FALSE(j["suite"].contains("balance"));
  expect_golden("suite.json", j.dump(2) + "\n");
}

TEST(JsonReporter, WritesTheSuiteThenRenames) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("gorgon_report_json_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / "summary.json";
  const std::vector<RunSummary> runs = {run_a(), run_b()};
  const RunSummary suite = gorgon::merge_suite(runs);
  gorgon::JsonReporter reporter(path.string());
  reporter.report_run(runs[0], 0, 2);  // writes nothing yet
  EXPECT_FALSE(fs::exists(path));
  reporter.report_suite(runs, suite);
  EXPECT_EQ(read_text(path), gorgon::suite_to_json(runs, suite).dump(2) + "\n");
  std::vector<std::string> entries;  // the summary alone: no temporary beside it
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"summary.json"});
  gorgon::JsonReporter fresh((dir / "new.json").string(), /*overwrite=*/false);
  fresh.report_suite(runs, suite);
  entries.clear();
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path().filename().string());
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"new.json", "summary.json"}));
  fs::remove_all(dir);

  gorgon::JsonReporter nowhere((dir / "no" / "such" / "dir.json").string());
  EXPECT_THROW(nowhere.report_suite(runs, suite), std::runtime_error);
}

}  // namespace
