// RunSpec: --runs lists, suite files and validation against the world and the registry.
#include "gorgon/run/runspec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config_error.hpp"
#include "gorgon/base/error.hpp"

namespace {

namespace fs = std::filesystem;
using gorgon::ConfigError;
using gorgon::RunSpec;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

RunSpec base() {
  RunSpec b;
  b.operation = "noop";
  b.params = {{"a", "1"}};
  b.ops = 77;
  b.seed = 5;
  b.ranks = 0;
  b.threads = 3;
  return b;
}

// ---- parse_runs ------------------------------------------------------------------------------

TEST(ParseRuns, ThreeRunsCopiedFromBase) {
  const auto runs = gorgon::parse_runs("1x1,2x1,2x4", base());
  ASSERT_EQ(runs.size(), 3u);
  const int want[][2] = {{1, 1}, {2, 1}, {2, 4}};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(runs[i].ranks, want[i][0]);
    EXPECT_EQ(runs[i].threads, want[i][1]);
    EXPECT_EQ(runs[i].operation, "noop");
    EXPECT_EQ(runs[i].ops, 77u);
    EXPECT_EQ(runs[i].seed, 5u);
    EXPECT_EQ(runs[i].params.at("a"), "1");
  }
}

TEST(ParseRuns, OneRunAndBigNumbers) {
  const auto runs = gorgon::parse_runs("16x64", base());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].ranks, 16);
  EXPECT_EQ(runs[0].threads, 64);
}

TEST(ParseRuns, Errors) {
  EXPECT_TRUE(contains(config_error([] { (void)gorgon::parse_runs("2", base()); }),
                       "invalid --runs item '2' (expected RANKSxTHREADS"));
  EXPECT_TRUE(contains(config_error([] { (void)gorgon::parse_runs("0x1", base()); }),
                       "invalid ranks in --runs '0'"));
  EXPECT_TRUE(contains(config_error([] { (void)gorgon::parse_runs("1x0", base()); }),
                       "invalid threads in --runs '0'"));
  EXPECT_TRUE(contains(config_error([] { (void)gorgon::parse_runs("ax2", base()); }),
                       "invalid ranks in --runs 'a'"));
  EXPECT_TRUE(contains(config_error([] { (void)gorgon::parse_runs("1x1,", base()); }),
                       "invalid --runs item ''"));
  for (const char* bad :
       {"", ",1x1", "1x1,,2x2", "x", "2x", "x2", "-1x2", "2x4x1", "2X4", "1x1 ", " 1x1", "1.5x2"})
    EXPECT_THROW((void)gorgon::parse_runs(bad, base()), ConfigError) << "'" << bad << "'";
}

// ---- read_suite_file -------------------------------------------------------------------------

class SuiteFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gorgon_runspec_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  /// The error reading `text` as a suite file gives; checks it names the file.
  std::string error_for(const std::string& text) {
    const std::string path = write("suite.json", text);
    const std::string msg = config_error([&] { (void)gorgon::read_suite_file(path, base()); });
    EXPECT_TRUE(contains(msg, path)) << "message does not name the file: " << msg;
    return msg;
  }
  fs::path dir_;
};

TEST_F(SuiteFile, DefaultsAndOverrides) {
  const std::string path = write("suite.json", R"({
    "op": "hash", "ops": "4e3", "seed": 100, "threads": 2,
    "params": {"iterations": 10, "mode": "fast"},
    "runs": [
      {"ranks": 1},
      {"ranks": 2, "threads": 4, "params": {"iterations": "20", "ratio": 0.25, "flag": true}},
      {"operation": "noop", "ops": 10, "seed": "7"}
    ]
  })");
  const auto runs = gorgon::read_suite_file(path, base());
  ASSERT_EQ(runs.size(), 3u);

  EXPECT_EQ(runs[0].operation, "hash");
  EXPECT_EQ(runs[0].ops, 4'000u);
  EXPECT_EQ(runs[0].seed, 100u);
  EXPECT_EQ(runs[0].ranks, 1);
  EXPECT_EQ(runs[0].threads, 2);
  const std::map<std::string, std::string> p0 = {
      {"a", "1"}, {"iterations", "10"}, {"mode", "fast"}};
  EXPECT_EQ(runs[0].params, p0);  // the base's params, then the file's

  EXPECT_EQ(runs[1].ranks, 2);
  EXPECT_EQ(runs[1].threads, 4);
  const std::map<std::string, std::string> p1 = {
      {"a", "1"}, {"flag", "true"}, {"iterations", "20"}, {"mode", "fast"}, {"ratio", "0.25"}};
  EXPECT_EQ(runs[1].params, p1);

  EXPECT_EQ(runs[2].operation, "noop");
  EXPECT_EQ(runs[2].ops, 10u);
  EXPECT_EQ(runs[2].seed, 7u);
  EXPECT_EQ(runs[2].ranks, 0);  // from the base: every rank
  EXPECT_EQ(runs[2].threads, 2);
}

TEST_F(SuiteFile, MinimalFileKeepsTheBase) {
  const auto runs = gorgon::read_suite_file(write("s.json", R"({"runs": [{}]})"), base());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].operation, "noop");
  EXPECT_EQ(runs[0].ops, 77u);
  EXPECT_EQ(runs[0].threads, 3);
}

TEST_F(SuiteFile, MissingFile) {
  const std::string path = (dir_ / "absent.json").string();
  const std::string msg = config_error([&] { (void)gorgon::read_suite_file(path, base()); });
  EXPECT_EQ(msg, "cannot read suite file '" + path + "'");
}

TEST_F(SuiteFile, InvalidJson) {
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"ranks": 1},]})"), "is not valid JSON"));
  EXPECT_TRUE(contains(error_for(""), "is not valid JSON"));
}

TEST_F(SuiteFile, UnknownKeys) {
  const std::string top = error_for(R"({"opz": "hash", "runs": [{}]})");
  // The message lists the accepted keys, "runs" last at the top level.
  EXPECT_TRUE(contains(top, "\"opz\" is not a known key (op, ops, seed, ranks, threads, ")) << top;
  EXPECT_TRUE(contains(top, "params")) << top;
  EXPECT_EQ(top.substr(top.size() - 7), ", runs)") << top;
  const std::string inner = error_for(R"({"runs": [{}, {"thread": 2}]})");
  EXPECT_TRUE(contains(inner, "runs[1]: \"thread\" is not a known key (op, ")) << inner;
  EXPECT_FALSE(contains(inner, "runs)")) << inner;  // a run cannot hold runs
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"runs": []}]})"), "runs[0]: \"runs\""));
}

TEST_F(SuiteFile, RunsMissingEmptyOrNotAnArray) {
  for (const char* text :
       {R"({"runs": []})", R"({"ops": 5})", R"({"runs": {"ranks": 1}})", R"({"runs": "1x1"})"})
    EXPECT_TRUE(contains(error_for(text), "needs a non-empty \"runs\" array")) << text;
}

TEST_F(SuiteFile, WrongShapes) {
  EXPECT_TRUE(contains(error_for(R"([{"runs": [{}]}])"), "expected a JSON object"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [1]})"), "runs[0]: expected a JSON object"));
  EXPECT_TRUE(contains(error_for(R"({"op": 3, "runs": [{}]})"), "\"op\" must be a string"));
  EXPECT_TRUE(
      contains(error_for(R"({"params": [1], "runs": [{}]})"), "\"params\" must be an object"));
  EXPECT_TRUE(contains(error_for(R"({"params": {"x": null}, "runs": [{}]})"),
                       "expected a string, number or boolean"));
  EXPECT_TRUE(contains(error_for(R"({"params": {"x": {"y": 1}}, "runs": [{}]})"),
                       "expected a string, number or boolean"));
}

TEST_F(SuiteFile, BadValues) {
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"ranks": 0}]})"), "invalid ranks"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"threads": -2}]})"), "invalid threads"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"threads": 1.5}]})"), "invalid threads"));
  EXPECT_TRUE(contains(error_for(R"({"ops": "lots", "runs": [{}]})"), "invalid count 'lots'"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"ops": -1}]})"), "invalid count '-1'"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"seed": 1.5}]})"), "invalid count '1.5'"));
}

TEST_F(SuiteFile, DurationWarmupAndRate) {
  const std::string path = write("modes.json", R"({
    "duration": "30s", "warmup": "1000", "rate": 250.5,
    "runs": [{}, {"warmup": "2s", "duration": 1.5}, {"warmup": 0}]
  })");
  const auto runs = gorgon::read_suite_file(path, base());
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].duration_ns, 30'000'000'000u);
  EXPECT_TRUE(runs[0].timed());
  EXPECT_EQ(runs[0].warmup_calls, 1'000u);
  EXPECT_EQ(runs[0].warmup_ns, 0u);
  EXPECT_DOUBLE_EQ(runs[0].rate, 250.5);
  EXPECT_TRUE(runs[0].paced());
  EXPECT_EQ(runs[1].duration_ns, 1'500'000'000u);  // a bare number is seconds
  EXPECT_EQ(runs[1].warmup_calls, 0u);             // a duration replaces the count
  EXPECT_EQ(runs[1].warmup_ns, 2'000'000'000u);
  EXPECT_EQ(runs[2].warmup_calls, 0u);
  EXPECT_EQ(runs[2].warmup_ns, 0u);
}

TEST_F(SuiteFile, BadDurationWarmupAndRate) {
  EXPECT_TRUE(contains(error_for(R"({"duration": "0s", "runs": [{}]})"), "longer than 0"));
  EXPECT_TRUE(contains(error_for(R"({"duration": "soon", "runs": [{}]})"), "'soon'"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"rate": 0}]})"), "calls per second > 0"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"rate": "fast"}]})"), "calls per second > 0"));
  EXPECT_TRUE(contains(error_for(R"({"runs": [{"rate": -5}]})"), "calls per second > 0"));
}

TEST(SetWarmup, CountOrDuration) {
  RunSpec r;
  gorgon::set_warmup(r, "500");
  EXPECT_EQ(r.warmup_calls, 500u);
  EXPECT_EQ(r.warmup_ns, 0u);
  gorgon::set_warmup(r, "250ms");
  EXPECT_EQ(r.warmup_calls, 0u);
  EXPECT_EQ(r.warmup_ns, 250'000'000u);
  gorgon::set_warmup(r, "0");
  EXPECT_EQ(r.warmup_calls, 0u);
  EXPECT_EQ(r.warmup_ns, 0u);
  EXPECT_THROW(gorgon::set_warmup(r, ""), ConfigError);
  EXPECT_THROW(gorgon::set_warmup(r, "-5"), ConfigError);
  EXPECT_THROW(gorgon::set_warmup(r, "5 s"), ConfigError);
}

// ---- validate --------------------------------------------------------------------------------

RunSpec good() {
  RunSpec r;
  r.operation = "noop";
  r.ops = 10;
  r.ranks = 2;
  r.threads = 2;
  return r;
}

TEST(Validate, GoodRunAndRanksDefaultToTheWorld) {
  RunSpec r = good();
  EXPECT_NO_THROW(gorgon::validate(r, 4));
  EXPECT_EQ(r.ranks, 2);
  r.ranks = 0;
  gorgon::validate(r, 4);
  EXPECT_EQ(r.ranks, 4);
  r.ranks = 4;
  EXPECT_NO_THROW(gorgon::validate(r, 4));
}

TEST(Validate, Errors) {
  RunSpec r = good();
  r.ops = 0;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "at least 1"));
  r = good();
  r.threads = 0;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "--threads"));
  r = good();
  r.ranks = 5;
  EXPECT_EQ(config_error([&] { gorgon::validate(r, 4); }),
            "a run asks for 5 ranks but only 4 were launched");
  r = good();
  r.ranks = -1;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "--ranks"));
  r = good();
  r.seed = UINT64_MAX - 5;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "overflow"));
  r.seed = UINT64_MAX - 10;  // seed + ops == 2^64 - 1: the last number still fits
  EXPECT_NO_THROW(gorgon::validate(r, 4));
  // Sums that would wrap around 2^64 are refused, not wrapped past the check.
  r = good();
  r.warmup_calls = UINT64_MAX;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "overflow"));
  r = good();
  r.ops = UINT64_MAX;
  r.warmup_calls = 2;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "overflow"));
  r = good();
  r.duration_ns = 1'000'000'000;
  r.warmup_calls = UINT64_MAX;
  r.seed = 1;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "overflow"));
  // More calls than a rank could hold in memory are fine (the record stream folds and
  // spills them as the run goes); more threads than it can start are not.
  r = good();
  r.ops = 10'000'000'000'000'000'000ull;
  EXPECT_NO_THROW(gorgon::validate(r, 4));
  r = good();
  r.threads = 100'000;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "at most"));
  r.threads = gorgon::max_threads_per_rank();
  EXPECT_NO_THROW(gorgon::validate(r, 4));
  r = good();
  r.rate = -1;
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }), "--rate"));
}

TEST(Validate, DurationModeNeedsNoOps) {
  RunSpec r = good();
  r.ops = 0;
  r.duration_ns = 1'000'000'000;
  EXPECT_NO_THROW(gorgon::validate(r, 4));
  r.rate = 100;
  EXPECT_NO_THROW(gorgon::validate(r, 4));
}

TEST(Validate, OperationAndParameters) {
  RunSpec r = good();
  r.operation = "nope";
  const std::string unknown = config_error([&] { gorgon::validate(r, 4); });
  EXPECT_TRUE(contains(unknown, "unknown operation 'nope'")) << unknown;
  for (const char* name : {"hash", "noop", "sleep", "spin"})
    EXPECT_TRUE(contains(unknown, name)) << unknown;

  r = good();
  r.operation = "spin";
  r.params = {{"time", "fast"}};
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }),
                       "parameter time='fast' is not a duration"));
  r.params = {{"speed", "1"}};
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }),
                       "has no parameter 'speed' (it takes: time)"));

  r = good();
  r.operation = "hash";
  r.params = {{"iterations", "0"}};
  EXPECT_TRUE(contains(config_error([&] { gorgon::validate(r, 4); }),
                       "iterations must be at least 1, got 0"));
  r.params = {{"iterations", "3"}};
  EXPECT_NO_THROW(gorgon::validate(r, 4));
}

}  // namespace

TEST(SpecJson, EveryFieldRoundTrips) {
  gorgon::RunSpec r;
  r.operation = "http";
  r.params = {{"url", "http://x/{n}"}, {"timeout", "2s"}};
  r.ops = 123'456'789'012ull;
  r.seed = 77;
  r.ranks = 3;
  r.threads = 5;
  r.warmup_ns = 1'500'000'000;
  r.rate = 2500.5;
  r.ok_labels = "2xx,3xx";
  r.schedule = gorgon::Schedule::guided;
  r.stonewall_ns = 20'000'000'001;
  r.wear_out = true;
  const gorgon::RunSpec b = gorgon::spec_of_json(gorgon::spec_json(r), "note");
  EXPECT_EQ(b.operation, r.operation);
  EXPECT_EQ(b.params, r.params);
  EXPECT_EQ(b.ops, r.ops);
  EXPECT_EQ(b.seed, r.seed);
  EXPECT_EQ(b.ranks, r.ranks);
  EXPECT_EQ(b.threads, r.threads);
  EXPECT_EQ(b.warmup_ns, r.warmup_ns);
  EXPECT_EQ(b.warmup_calls, 0u);
  EXPECT_EQ(b.rate, r.rate);
  EXPECT_EQ(b.ok_labels, r.ok_labels);
  EXPECT_EQ(b.schedule, r.schedule);
  EXPECT_EQ(b.stonewall_ns, r.stonewall_ns);
  EXPECT_TRUE(b.wear_out);
  r = {};
  r.duration_ns = 90'000'000'000;
  r.warmup_calls = 1000;
  r.error_labels = "FAIL";
  const gorgon::RunSpec c = gorgon::spec_of_json(gorgon::spec_json(r), "note");
  EXPECT_EQ(c.duration_ns, r.duration_ns);
  EXPECT_EQ(c.warmup_calls, 1000u);
  EXPECT_EQ(c.error_labels, "FAIL");
  EXPECT_THROW(gorgon::spec_of_json("{\"ops\": [1]}", "note"), gorgon::ConfigError);
  EXPECT_THROW(gorgon::spec_of_json("not json", "note"), gorgon::ConfigError);
}
