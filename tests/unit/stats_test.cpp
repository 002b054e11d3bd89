// Summary (streaming and merged), RunSummary::merge and merge_suite.
#include "gorgon/stats/summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

using gorgon::Histogram;
using gorgon::LabelSummary;
using gorgon::RunSummary;
using gorgon::SubCallSummary;
using gorgon::Summary;

Summary summary_of(const std::vector<std::uint64_t>& values) {
  Summary s;
  for (auto v : values) s.record(v);
  return s;
}

struct TwoPass {
  double mean = 0, stddev = 0;
};

TwoPass two_pass(const std::vector<std::uint64_t>& values) {
  TwoPass r;
  const double n = static_cast<double>(values.size());
  long double sum = 0;
  for (auto v : values) sum += static_cast<long double>(v);
  r.mean = static_cast<double>(sum / values.size());
  long double m2 = 0;
  for (auto v : values) {
    const long double d = static_cast<long double>(v) - sum / values.size();
    m2 += d * d;
  }
  r.stddev = values.size() < 2 ? 0.0 : std::sqrt(static_cast<double>(m2) / (n - 1));
  return r;
}

void expect_rel(double got, double want, double tol, const std::string& what) {
  if (want == 0) {
    EXPECT_EQ(got, 0.0) << what;
    return;
  }
  EXPECT_LE(std::abs(got - want) / std::abs(want), tol)
      << what << ": got " << got << ", want " << want;
}

void expect_matches_values(const Summary& s, const std::vector<std::uint64_t>& values,
                           const std::string& what) {
  ASSERT_EQ(s.count, values.size()) << what;
  EXPECT_EQ(s.sum_ns, std::accumulate(values.begin(), values.end(), std::uint64_t{0})) << what;
  EXPECT_EQ(s.min_ns, *std::min_element(values.begin(), values.end())) << what;
  EXPECT_EQ(s.max_ns, *std::max_element(values.begin(), values.end())) << what;
  const TwoPass t = two_pass(values);
  expect_rel(s.mean_ns(), t.mean, 1e-9, what + " mean");
  expect_rel(s.stddev_ns(), t.stddev, 1e-9, what + " stddev");
  Histogram h;
  for (auto v : values) h.record(v);
  EXPECT_EQ(s.histogram, h) << what;
}

// ---- Summary ------------------------------------------------------------------------------

TEST(Summary, EmptySummary) {
  const Summary s;
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.mean_ns(), 0.0);
  EXPECT_EQ(s.stddev_ns(), 0.0);
  EXPECT_EQ(s.percentile_ns(50), 0u);
  EXPECT_EQ(s.rate(1'000'000'000), 0.0);
}

TEST(Summary, ThreeKnownValues) {
  // {a - d, a, a + d}: mean a, m2 = 2 d^2, sample variance d^2: stddev is d exactly.
  const Summary s = summary_of({1'000, 3'000, 2'000});
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.sum_ns, 6'000u);
  EXPECT_EQ(s.min_ns, 1'000u);
  EXPECT_EQ(s.max_ns, 3'000u);
  EXPECT_DOUBLE_EQ(s.mean_ns(), 2'000.0);
  EXPECT_DOUBLE_EQ(s.m2, 2'000'000.0);
  EXPECT_DOUBLE_EQ(s.stddev_ns(), 1'000.0);
  EXPECT_EQ(s.histogram.total(), 3u);
}

TEST(Summary, OneValueHasNoSpread) {
  const Summary s = summary_of({12'345});
  EXPECT_EQ(s.min_ns, 12'345u);
  EXPECT_EQ(s.max_ns, 12'345u);
  EXPECT_EQ(s.stddev_ns(), 0.0);
  EXPECT_DOUBLE_EQ(s.mean_ns(), 12'345.0);
}

TEST(Summary, Rate) {
  const Summary s = summary_of(std::vector<std::uint64_t>(500, 10));
  EXPECT_DOUBLE_EQ(s.rate(1'000'000'000), 500.0);
  EXPECT_DOUBLE_EQ(s.rate(2'000'000'000), 250.0);
  EXPECT_EQ(s.rate(0), 0.0);
}

TEST(Summary, RecordMatchesTwoPass) {
  std::mt19937_64 rng(99);
  std::vector<std::uint64_t> values(10'000);
  for (auto& v : values) v = 1'000 + rng() % 1'000'000'000;
  expect_matches_values(summary_of(values), values, "uniform");

  // Long calls with a small jitter: the naive sum-of-squares formula would cancel badly.
  for (auto& v : values) v = 1'000'000'000 + rng() % 2'000;
  expect_matches_values(summary_of(values), values, "offset");
}

TEST(Summary, MergeMatchesRecordingEverything) {
  std::mt19937_64 rng(4242);
  std::vector<std::uint64_t> values(20'000);
  std::lognormal_distribution<double> lognormal(std::log(2e5), 1.5);
  for (auto& v : values) v = 1 + static_cast<std::uint64_t>(lognormal(rng));
  for (std::size_t parts : {2u, 3u, 7u, 64u}) {
    // Unequal parts: cut at random points so sizes (and means) differ.
    std::vector<std::size_t> cuts{0, values.size()};
    for (std::size_t i = 1; i < parts; ++i) cuts.push_back(rng() % values.size());
    std::sort(cuts.begin(), cuts.end());
    Summary merged;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      Summary part;
      for (std::size_t j = cuts[i]; j < cuts[i + 1]; ++j) part.record(values[j]);
      merged.merge(part);
    }
    expect_matches_values(merged, values, std::to_string(parts) + " parts");
  }
}

TEST(Summary, MergeWithEmpty) {
  const Summary a = summary_of({10, 20, 30});
  Summary x = a;
  x.merge(Summary{});
  EXPECT_EQ(x.count, 3u);
  EXPECT_EQ(x.min_ns, 10u);
  EXPECT_DOUBLE_EQ(x.m2, a.m2);
  Summary y;
  y.merge(a);
  EXPECT_EQ(y.count, 3u);
  EXPECT_EQ(y.sum_ns, 60u);
  EXPECT_EQ(y.min_ns, 10u);
  EXPECT_EQ(y.max_ns, 30u);
  EXPECT_DOUBLE_EQ(y.stddev_ns(), 10.0);
  EXPECT_EQ(y.histogram, a.histogram);
}

TEST(Summary, MergeTwoKnownHalves) {
  // {1000, 3000} and {2000}: together {1000, 2000, 3000}, stddev 1000.
  Summary a = summary_of({1'000, 3'000});
  a.merge(summary_of({2'000}));
  EXPECT_EQ(a.count, 3u);
  EXPECT_DOUBLE_EQ(a.mean_ns(), 2'000.0);
  EXPECT_DOUBLE_EQ(a.stddev_ns(), 1'000.0);
}

TEST(Summary, PercentileClampedToMinMax) {
  // 1'000'000 sits low in its bucket [999424, 1003520): the midpoint 1001472 is above it.
  const Summary high = summary_of({1'000'000});
  EXPECT_EQ(high.histogram.percentile(50), 1'001'472u);
  EXPECT_EQ(high.percentile_ns(50), 1'000'000u);
  EXPECT_EQ(high.percentile_ns(0), 1'000'000u);
  EXPECT_EQ(high.percentile_ns(100), 1'000'000u);

  // 1'003'519 is the top of the same bucket: the midpoint is below it.
  const Summary low = summary_of({1'003'519});
  EXPECT_EQ(low.histogram.percentile(50), 1'001'472u);
  EXPECT_EQ(low.percentile_ns(50), 1'003'519u);

  // Both ends at once: min and max in the same bucket.
  const Summary both = summary_of({1'000'000, 1'000'001, 1'000'002});
  EXPECT_EQ(both.percentile_ns(0), 1'000'002u);  // midpoint 1001472 clamped to max
  EXPECT_EQ(both.percentile_ns(100), 1'000'002u);

  // Away from the ends the histogram's value is returned unclamped.
  Summary spread;
  for (std::uint64_t v = 0; v < 1000; ++v) spread.record(1'000 + v * 1'000);
  const std::uint64_t p50 = spread.percentile_ns(50);
  EXPECT_EQ(p50, spread.histogram.percentile(50));
  EXPECT_NEAR(static_cast<double>(p50), 500'000.0, 5'000.0);
}

// ---- RunSummary -----------------------------------------------------------------------------

LabelSummary label(const std::string& name, const std::vector<std::uint64_t>& values,
                   std::vector<SubCallSummary> subs = {}) {
  return {name, summary_of(values), std::move(subs)};
}

SubCallSummary sub(const std::string& name, const std::vector<std::uint64_t>& values) {
  return {name, summary_of(values)};
}

RunSummary run_a() {
  RunSummary r;
  r.operation = "hash";
  r.ops = 5;
  r.ranks = 2;
  r.threads = 1;
  r.wall_ns = 1'000'000'000;
  r.total = summary_of({10, 20, 30, 40, 50});
  r.labels = {label("200", {10, 20, 30}, {sub("connect", {1, 2, 3}), sub("read", {4, 5, 6})}),
              label("500", {40, 50}, {sub("connect", {7, 8})})};
  r.rank_balance = {{0, 3, 60, 900, 0, 0, "n1"}, {1, 2, 90, 1'000, 5, 2, "n1"}};
  r.thread_balance = {{0, 0, 3, 60}, {1, 0, 2, 90}};
  return r;
}

RunSummary run_b() {
  RunSummary r;
  r.operation = "hash";
  r.ops = 4;
  r.ranks = 1;
  r.threads = 2;
  r.wall_ns = 500'000'000;
  r.total = summary_of({15, 25, 35, 45});
  r.labels = {label("100", {15}), label("200", {25, 35}, {sub("auth", {9}), sub("read", {10, 11})}),
              label("404", {45}, {sub("connect", {12})})};
  r.rank_balance = {{0, 4, 120, 500, 0, 0, "n1"}};
  return r;
}

const LabelSummary* find_label(const RunSummary& r, const std::string& name) {
  for (const auto& l : r.labels)
    if (l.label == name) return &l;
  return nullptr;
}

const SubCallSummary* find_sub(const LabelSummary& l, const std::string& name) {
  for (const auto& s : l.subcalls)
    if (s.name == name) return &s;
  return nullptr;
}

void expect_run_a_merged_with_b(const RunSummary& m) {
  EXPECT_EQ(m.runs, 2);
  EXPECT_EQ(m.ops, 9u);
  EXPECT_EQ(m.wall_ns, 1'500'000'000u);
  expect_matches_values(m.total, {10, 20, 30, 40, 50, 15, 25, 35, 45}, "total");

  ASSERT_EQ(m.labels.size(), 4u);
  EXPECT_EQ(m.labels[0].label, "100");
  EXPECT_EQ(m.labels[1].label, "200");
  EXPECT_EQ(m.labels[2].label, "404");
  EXPECT_EQ(m.labels[3].label, "500");
  expect_matches_values(m.labels[0].stats, {15}, "100");
  expect_matches_values(m.labels[1].stats, {10, 20, 30, 25, 35}, "200");
  expect_matches_values(m.labels[2].stats, {45}, "404");
  expect_matches_values(m.labels[3].stats, {40, 50}, "500");

  // Sub-calls keep the first run's order (the order its calls made them); names only a
  // later run has come after.
  const auto& ok = m.labels[1].subcalls;
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok[0].name, "connect");
  EXPECT_EQ(ok[1].name, "read");
  EXPECT_EQ(ok[2].name, "auth");
  expect_matches_values(ok[0].stats, {1, 2, 3}, "200/connect");
  expect_matches_values(ok[1].stats, {4, 5, 6, 10, 11}, "200/read");
  expect_matches_values(ok[2].stats, {9}, "200/auth");
  EXPECT_TRUE(m.labels[0].subcalls.empty());
  ASSERT_EQ(m.labels[2].subcalls.size(), 1u);
  expect_matches_values(m.labels[2].subcalls[0].stats, {12}, "404/connect");
  ASSERT_EQ(m.labels[3].subcalls.size(), 1u);
  expect_matches_values(m.labels[3].subcalls[0].stats, {7, 8}, "500/connect");
}

TEST(RunSummary, MergeMatchesLabelsAndSubCallsByName) {
  RunSummary m = run_a();
  m.merge(run_b());
  expect_run_a_merged_with_b(m);
  // The first run's identity and balance stay as they were.
  EXPECT_EQ(m.operation, "hash");
  EXPECT_EQ(m.ranks, 2);
  EXPECT_EQ(m.rank_balance.size(), 2u);
  EXPECT_EQ(m.thread_balance.size(), 2u);
}

TEST(RunSummary, MergeIsOrderIndependentForStatistics) {
  RunSummary ab = run_a();
  ab.merge(run_b());
  RunSummary ba = run_b();
  ba.merge(run_a());
  ASSERT_EQ(ab.labels.size(), ba.labels.size());
  for (std::size_t i = 0; i < ab.labels.size(); ++i) {
    EXPECT_EQ(ab.labels[i].label, ba.labels[i].label);
    EXPECT_EQ(ab.labels[i].stats.count, ba.labels[i].stats.count);
    EXPECT_EQ(ab.labels[i].stats.histogram, ba.labels[i].stats.histogram);
    EXPECT_NEAR(ab.labels[i].stats.m2, ba.labels[i].stats.m2, 1e-6);
  }
  EXPECT_EQ(ab.wall_ns, ba.wall_ns);
}

TEST(RunSummary, MergeCarriesStatusLateAndWarmupCalls) {
  RunSummary a = run_a();
  a.late_calls = 3;
  a.warmup_calls = 100;
  RunSummary b = run_b();
  b.late_calls = 4;
  b.warmup_calls = 50;
  b.status = gorgon::RunStatus::interrupted;
  b.stop_reason = "SIGTERM";
  RunSummary m = a;
  m.merge(b);
  EXPECT_EQ(m.late_calls, 7u);
  EXPECT_EQ(m.warmup_calls, 150u);
  EXPECT_EQ(m.status,
            gorgon::RunStatus::interrupted);  // one interrupted run makes the suite interrupted
  EXPECT_EQ(m.stop_reason, "SIGTERM");
  m.merge(run_a());  // a later complete run does not clear it
  EXPECT_EQ(m.status, gorgon::RunStatus::interrupted);
  EXPECT_EQ(m.stop_reason, "SIGTERM");
  RunSummary c = run_a();
  c.merge(run_b());
  EXPECT_EQ(c.status, gorgon::RunStatus::complete);
  EXPECT_EQ(c.stop_reason, "");
}

TEST(RunSummary, SlowestRank) {
  RunSummary r = run_a();
  EXPECT_EQ(r.slowest_rank(), 1);
  r.rank_balance[0].wall_ns = 2'000;
  EXPECT_EQ(r.slowest_rank(), 0);
  r.rank_balance.clear();
  EXPECT_EQ(r.slowest_rank(), -1);
}

/// Six ranks on three hosts, listed out of rank order, a host's ranks not adjacent: b holds
/// ranks 1 and 4, a ranks 0 and 5, c ranks 2 and 3.
RunSummary three_nodes() {
  RunSummary r;
  r.ranks = 6;
  //                rank calls busy  wall   offset rtt host
  r.rank_balance = {{3, 40, 400, 3'000, 0, 0, "c"}, {0, 10, 100, 1'000, 0, 0, "a"},
                    {4, 50, 500, 2'500, 0, 0, "b"}, {1, 20, 200, 7'000, 0, 0, "b"},
                    {5, 60, 600, 6'000, 0, 0, "a"}, {2, 30, 300, 2'000, 0, 0, "c"}};
  return r;
}

TEST(RunSummary, NodesGroupRanksByHost) {
  const auto nodes = three_nodes().nodes();
  ASSERT_EQ(nodes.size(), 3u);
  // In the order of each node's lowest rank; ranks ascending; calls and busy time summed,
  // wall time the longest of the node's ranks.
  EXPECT_EQ(nodes[0].host, "a");
  EXPECT_EQ(nodes[0].ranks, (std::vector<int>{0, 5}));
  EXPECT_EQ(nodes[0].calls, 70u);
  EXPECT_EQ(nodes[0].busy_ns, 700u);
  EXPECT_EQ(nodes[0].wall_ns, 6'000u);
  EXPECT_EQ(nodes[1].host, "b");
  EXPECT_EQ(nodes[1].ranks, (std::vector<int>{1, 4}));
  EXPECT_EQ(nodes[1].calls, 70u);
  EXPECT_EQ(nodes[1].busy_ns, 700u);
  EXPECT_EQ(nodes[1].wall_ns, 7'000u);
  EXPECT_EQ(nodes[2].host, "c");
  EXPECT_EQ(nodes[2].ranks, (std::vector<int>{2, 3}));
  EXPECT_EQ(nodes[2].calls, 70u);
  EXPECT_EQ(nodes[2].busy_ns, 700u);
  EXPECT_EQ(nodes[2].wall_ns, 3'000u);
}

TEST(RunSummary, SlowestNodeHoldsTheSlowestRank) {
  RunSummary r = three_nodes();
  EXPECT_EQ(r.slowest_rank(), 1);
  EXPECT_EQ(r.slowest_node(), "b");
  r.rank_balance[4].wall_ns = 9'000;  // rank 5, on a
  EXPECT_EQ(r.slowest_node(), "a");
  r.rank_balance.clear();
  EXPECT_TRUE(r.nodes().empty());
  EXPECT_EQ(r.slowest_node(), "");
}

TEST(RunSummary, OneHostIsOneNode) {
  const RunSummary r = run_a();
  const auto nodes = r.nodes();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].host, "n1");
  EXPECT_EQ(nodes[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(nodes[0].calls, 5u);
  EXPECT_EQ(nodes[0].busy_ns, 150u);
  EXPECT_EQ(nodes[0].wall_ns, 1'000u);
  EXPECT_EQ(r.slowest_node(), "n1");
}

TEST(MergeSuite, MergesEveryRunAndDropsBalance) {
  const RunSummary m = gorgon::merge_suite({run_a(), run_b()});
  expect_run_a_merged_with_b(m);
  EXPECT_TRUE(m.rank_balance.empty());
  EXPECT_TRUE(m.thread_balance.empty());
}

TEST(MergeSuite, ThreeRunsCountRuns) {
  const RunSummary m = gorgon::merge_suite({run_a(), run_b(), run_a()});
  EXPECT_EQ(m.runs, 3);
  EXPECT_EQ(m.ops, 14u);
  EXPECT_EQ(m.wall_ns, 2'500'000'000u);
  EXPECT_EQ(m.total.count, 14u);
  const LabelSummary* l500 = find_label(m, "500");
  ASSERT_NE(l500, nullptr);
  EXPECT_EQ(l500->stats.count, 4u);
  const SubCallSummary* c = find_sub(*l500, "connect");
  ASSERT_NE(c, nullptr);
  expect_matches_values(c->stats, {7, 8, 7, 8}, "500/connect x2");
}

TEST(MergeSuite, OneRunIsThatRunWithoutBalance) {
  const RunSummary m = gorgon::merge_suite({run_b()});
  const RunSummary b = run_b();
  EXPECT_EQ(m.runs, 1);
  EXPECT_EQ(m.wall_ns, b.wall_ns);
  EXPECT_EQ(m.total.count, b.total.count);
  EXPECT_EQ(m.labels.size(), b.labels.size());
  EXPECT_TRUE(m.rank_balance.empty());
}

}  // namespace
