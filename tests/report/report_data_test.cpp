// The report's data model: time series from streamed calls, distributions, comparisons.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "distribution.hpp"
#include "report_data.hpp"
#include "source.hpp"
#include "synthetic.hpp"

namespace gorgon::analysis {
namespace {

using testing::SyntheticRun;
using testing::SyntheticSource;

constexpr std::uint64_t kMs = 1'000'000;

TimeSeriesBuilder::Options small_bins(std::size_t max_bins) {
  TimeSeriesBuilder::Options o;
  o.max_bins = max_bins;
  return o;  // no expected span: 1 ms bins to start with
}

std::uint64_t percentile_of(std::initializer_list<std::uint64_t> values, double p) {
  Histogram h;
  for (auto v : values) h.record(v);
  return h.percentile(p);
}

TEST(TimeSeries, BinsCallsByCompletionWithExactRates) {
  TimeSeriesBuilder b(small_bins(8));
  b.add(0, kMs / 2, 0);                   // ends at 0.5 ms: bin 0
  b.add(kMs * 12 / 10, kMs * 3 / 10, 1);  // ends at 1.5 ms: bin 1
  b.add(kMs, kMs * 9 / 10, 0);            // ends at 1.9 ms: bin 1
  const TimeSeries t = b.finish({"ok", "fail"});
  EXPECT_EQ(t.bin_ns, kMs);
  ASSERT_EQ(t.time_s, (std::vector<double>{0.0, 0.001}));
  EXPECT_EQ(t.calls, (std::vector<std::uint64_t>{1, 2}));
  ASSERT_EQ(t.labels, (std::vector<std::string>{"ok", "fail"}));
  // Bin 1 is covered up to the last completion, 1.9 ms: 0.9 ms.
  EXPECT_DOUBLE_EQ(t.per_s[0][0], 1000.0);
  EXPECT_DOUBLE_EQ(t.per_s[0][1], 1 / 0.0009);
  EXPECT_DOUBLE_EQ(t.per_s[1][0], 0.0);
  EXPECT_DOUBLE_EQ(t.per_s[1][1], 1 / 0.0009);
  EXPECT_DOUBLE_EQ(t.total_per_s[1], 2 / 0.0009);
  ASSERT_TRUE(t.percentiles_ns[1]);
  EXPECT_EQ((*t.percentiles_ns[1])[0], percentile_of({300'000, 900'000}, 50));
  EXPECT_EQ((*t.percentiles_ns[1])[3], percentile_of({300'000, 900'000}, 99.9));
}

TEST(TimeSeries, EmptyBinsHaveNoPercentiles) {
  TimeSeriesBuilder b(small_bins(8));
  b.add(0, kMs / 2, 0);
  b.add(3 * kMs, kMs / 2, 0);
  const TimeSeries t = b.finish({"ok"});
  ASSERT_EQ(t.calls, (std::vector<std::uint64_t>{1, 0, 0, 1}));
  EXPECT_FALSE(t.percentiles_ns[1]);
  EXPECT_FALSE(t.percentiles_ns[2]);
  EXPECT_DOUBLE_EQ(t.per_s[0][1], 0.0);
}

TEST(TimeSeries, DoublesTheBinWidthWhenCallsOutgrowTheBins) {
  TimeSeriesBuilder b(small_bins(4));
  for (int i = 0; i < 4; ++i) b.add(static_cast<std::uint64_t>(i) * kMs, kMs / 2, 0);
  EXPECT_EQ(b.bins(), 4u);
  EXPECT_EQ(b.bin_ns(), kMs);
  b.add(4 * kMs, kMs / 2, 1);  // a fifth bin does not fit: 2 ms bins
  EXPECT_EQ(b.bin_ns(), 2 * kMs);
  const TimeSeries t = b.finish({"a", "b"});
  EXPECT_EQ(t.calls, (std::vector<std::uint64_t>{2, 2, 1}));
  EXPECT_EQ(t.time_s, (std::vector<double>{0.0, 0.002, 0.004}));
}

TEST(TimeSeries, GrowsToTheLeftForEarlierCalls) {
  TimeSeriesBuilder b(small_bins(8));
  b.add(2 * kMs, kMs / 2, 0);
  b.add(0, kMs / 2, 0);
  TimeSeriesBuilder::Options o = small_bins(8);
  o.origin_ns = static_cast<std::int64_t>(kMs);  // times before the origin are negative
  TimeSeriesBuilder c(o);
  c.add(0, kMs / 4, 0);
  const TimeSeries t = b.finish({"a"});
  EXPECT_EQ(t.calls, (std::vector<std::uint64_t>{1, 0, 1}));
  EXPECT_EQ(c.finish({"a"}).time_s, std::vector<double>{-0.001});
}

/// Equal, NaN (a bin left out of charts) included.
void expect_same(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << i;
    } else {
      EXPECT_EQ(a[i], b[i]) << i;
    }
  }
}

TEST(TimeSeries, ChunkOrderDoesNotMatter) {
  SyntheticRun run;
  run.ops = 20000;
  run.ranks = 3;
  SyntheticSource source("x.h5", {run});
  std::vector<std::vector<std::uint64_t>> starts, durations;
  std::vector<std::vector<std::uint32_t>> labels;
  std::vector<std::vector<std::uint32_t>> ranks;
  source.chunk_rows = 1000;
  source.stream_calls(0, [&](const CallChunk& c) {
    starts.emplace_back(c.start_ns.begin(), c.start_ns.end());
    durations.emplace_back(c.duration_ns.begin(), c.duration_ns.end());
    labels.emplace_back(c.label.begin(), c.label.end());
    ranks.emplace_back(c.rank.begin(), c.rank.end());
  });
  ASSERT_EQ(starts.size(), 20u);
  TimeSeriesBuilder::Options o;
  o.max_bins = 50;
  TimeSeriesBuilder forward(o), backward(o);
  for (std::size_t i = 0; i < starts.size(); ++i)
    forward.add(CallChunk{starts[i], durations[i], labels[i], ranks[i]});
  for (std::size_t i = starts.size(); i-- > 0;)
    backward.add(CallChunk{starts[i], durations[i], labels[i], ranks[i]});
  const TimeSeries f = forward.finish(run.labels), r = backward.finish(run.labels);
  EXPECT_EQ(f.bin_ns, r.bin_ns);
  EXPECT_EQ(f.time_s, r.time_s);
  EXPECT_EQ(f.calls, r.calls);
  ASSERT_EQ(f.per_s.size(), r.per_s.size());
  for (std::size_t k = 0; k < f.per_s.size(); ++k) expect_same(f.per_s[k], r.per_s[k]);
  expect_same(f.total_per_s, r.total_per_s);
  EXPECT_EQ(f.percentiles_ns, r.percentiles_ns);
  EXPECT_LE(f.time_s.size(), 50u);
  EXPECT_GE(f.time_s.size(), 25u);
}

TEST(TimeSeries, CountsEveryCallOnce) {
  SyntheticRun run;
  run.ops = 12345;
  SyntheticSource source("x.h5", {run});
  const TimeSeries t = build_time_series(source, 0, source.summary(0));
  std::uint64_t calls = 0;
  for (auto c : t.calls) calls += c;
  EXPECT_EQ(calls, 12345u);
  EXPECT_EQ(t.labels.front(), "200");  // the busiest label first
  // The run starts at the origin and lasts its wall time.
  EXPECT_GE(t.time_s.front(), 0.0);
  EXPECT_LE(t.time_s.back(), static_cast<double>(source.summary(0).wall_ns) / 1e9);
}

TEST(TimeSeries, SubtractsEachRanksClockOffset) {
  SyntheticRun common;
  common.ops = 5000;
  SyntheticRun skewed = common;
  skewed.rank_clock_skew_ns = 7'000'000'000;  // rank 1's clock is 7 s ahead of rank 0's
  SyntheticSource a("a.h5", {common}), b("b.h5", {skewed});
  const TimeSeries ta = build_time_series(a, 0, a.summary(0));
  const TimeSeries tb = build_time_series(b, 0, b.summary(0));
  EXPECT_EQ(ta.time_s, tb.time_s);
  EXPECT_EQ(ta.calls, tb.calls);
}

TEST(TimeSeries, CountsCallsPerNodeOfTheirRank) {
  // Ranks 0 and 2 on node "a", rank 1 on "b"; rank 3 is in no node's table. Bins of 1 ms.
  TimeSeriesBuilder::Options o = small_bins(8);
  o.node_names = {"a", "b"};
  o.rank_node = {0, 1, 0};
  TimeSeriesBuilder b(o);
  b.add(0, kMs / 2, 0, 0);             // bin 0: a
  b.add(kMs / 4, kMs / 2, 0, 1);       // bin 0: b
  b.add(kMs, kMs / 2, 0, 2);           // bin 1: a
  b.add(kMs, kMs / 4, 0, 0);           // bin 1: a
  b.add(2 * kMs, kMs / 2, 0, 3);       // bin 2: no node
  b.add(2 * kMs, kMs * 9 / 10, 0, 1);  // bin 2: b, the last end (2.9 ms)
  const TimeSeries t = b.finish({"ok"});
  ASSERT_EQ(t.nodes, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.node_per_s.size(), 2u);
  ASSERT_EQ(t.calls, (std::vector<std::uint64_t>{2, 2, 2}));
  ASSERT_EQ(t.node_per_s[0].size(), 3u);
  EXPECT_DOUBLE_EQ(t.node_per_s[0][0], 1000.0);
  EXPECT_DOUBLE_EQ(t.node_per_s[0][1], 2000.0);
  EXPECT_DOUBLE_EQ(t.node_per_s[0][2], 0.0);
  ASSERT_EQ(t.node_per_s[1].size(), 3u);
  EXPECT_DOUBLE_EQ(t.node_per_s[1][0], 1000.0);
  EXPECT_DOUBLE_EQ(t.node_per_s[1][1], 0.0);
  EXPECT_DOUBLE_EQ(t.node_per_s[1][2], 1 / 0.0009);  // bin 2 is covered for 0.9 ms
  // Without nodes: no node series.
  EXPECT_TRUE(TimeSeriesBuilder(small_bins(8)).finish({}).node_per_s.empty());
}

TEST(TimeSeries, NodeSeriesOfARunAddUpToItsCallsOnRankZerosClock) {
  // Three ranks on two hosts, rank r's clock r * 5 s ahead of rank 0's: on the aligned clock
  // each node's calls/s add up to the run's in every bin.
  SyntheticRun run;
  run.ranks = 3;
  run.ops = 9000;
  run.hosts = {"gvc1", "gvc2", "gvc1"};
  run.rank_clock_skew_ns = 5'000'000'000;
  SyntheticSource source("n.h5", {run});
  const TimeSeries t = build_time_series(source, 0, source.summary(0));
  ASSERT_EQ(t.nodes, (std::vector<std::string>{"gvc1", "gvc2"}));
  ASSERT_EQ(t.node_per_s.size(), 2u);
  EXPECT_LE(t.time_s.back(), static_cast<double>(source.summary(0).wall_ns) / 1e9);
  double node_calls[2] = {0, 0};
  for (std::size_t i = 0; i < t.total_per_s.size(); ++i) {
    if (std::isnan(t.total_per_s[i])) {
      EXPECT_TRUE(std::isnan(t.node_per_s[0][i]) && std::isnan(t.node_per_s[1][i])) << i;
      continue;
    }
    EXPECT_NEAR(t.node_per_s[0][i] + t.node_per_s[1][i], t.total_per_s[i], 1e-6 * t.total_per_s[i])
        << i;
    // calls / (calls/s): the seconds the bin's rates are over.
    const double seconds =
        t.total_per_s[i] > 0 ? static_cast<double>(t.calls[i]) / t.total_per_s[i] : 0;
    for (std::size_t n = 0; n < 2; ++n) node_calls[n] += t.node_per_s[n][i] * seconds;
  }
  // Rank 1 alone on gvc2 makes a third of the calls, ranks 0 and 2 on gvc1 the rest (the
  // edge bins left out of the rates make the shares close, not exact).
  EXPECT_NEAR(node_calls[1] / (node_calls[0] + node_calls[1]), 1.0 / 3, 0.02);
}

TEST(TimeSeries, LabelsNoCallHadBelongToNoSeries) {
  // Every call of a damaged file names label 0xFFFFFFFF of a 3-label table: the one
  // "(invalid label)" series, and the table's unused slots below it in none (they were
  // added to a series past the last one: a heap overflow found by ASan in the HTML).
  TimeSeriesBuilder::Options o;
  o.label_count = 3;
  TimeSeriesBuilder b(o);
  for (std::uint64_t i = 0; i < 100; ++i) b.add(i * 1000, 500, 0xFFFFFFFFu);
  const TimeSeries t = b.finish({"a", "b", "c"});
  ASSERT_EQ(t.labels, std::vector<std::string>{"(invalid label)"});
  ASSERT_EQ(t.per_s.size(), 1u);
  double calls = 0;
  for (std::size_t k = 0; k < t.per_s[0].size(); ++k)
    if (!std::isnan(t.per_s[0][k])) calls += t.per_s[0][k] * static_cast<double>(t.bin_ns) / 1e9;
  EXPECT_GT(calls, 0);
  // Only label 2 called: labels 0 and 1 have slots but no series.
  TimeSeriesBuilder c(o);
  for (std::uint64_t i = 0; i < 100; ++i) c.add(i * 1000, 500, 2);
  EXPECT_EQ(c.finish({"a", "b", "c"}).labels, std::vector<std::string>{"c"});
}

TEST(TimeSeries, FoldsQuietLabelsIntoOther) {
  TimeSeriesBuilder::Options o;
  o.max_labels = 5;
  TimeSeriesBuilder b(o);
  std::vector<std::string> names;
  for (std::uint32_t l = 0; l < 20; ++l) {
    names.push_back("label " + std::to_string(l));
    for (std::uint32_t k = 0; k <= l; ++k) b.add(k * kMs, kMs, l);  // label l: l+1 calls
  }
  const TimeSeries t = b.finish(names);
  ASSERT_EQ(t.labels.size(), 5u);
  EXPECT_EQ(t.labels[0], "label 19");
  EXPECT_EQ(t.labels[3], "label 16");
  EXPECT_EQ(t.labels[4], "other (16 labels)");
}

TEST(TimeSeries, MemoryStaysBoundedWhateverTheCalls) {
  TimeSeriesBuilder::Options o;
  o.max_bins = 100;
  TimeSeriesBuilder b(o);
  std::uint64_t x = 1;
  for (int i = 0; i < 2'000'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint64_t start = (x >> 20) % (3600ull * 1'000'000'000);  // an hour
    const std::uint64_t duration = 1000 + (x >> 40) % 10'000'000;       // 1 us .. 10 ms
    b.add(start, duration, static_cast<std::uint32_t>(x % 3));
  }
  EXPECT_LE(b.bins(), 100u);
  EXPECT_GE(b.bins(), 50u);
  // 100 bins, each at most a full histogram (5376 buckets) and 3 label counts.
  EXPECT_LT(b.bytes_held(), 100 * (Histogram::kBuckets * 8 + 256));
  EXPECT_EQ(b.calls(), 2'000'000u);
}

TEST(TimeSeries, SurvivesDamagedColumns) {
  TimeSeriesBuilder::Options o;
  o.label_count = 2;
  o.origin_ns = INT64_MAX;
  o.rank_offset_ns = {INT64_MAX, INT64_MIN};
  TimeSeriesBuilder b(o);
  b.add(0, 0, 0, 0);
  b.add(UINT64_MAX, UINT64_MAX, 4'000'000'000u, 1);  // label far past the table
  b.add(UINT64_MAX / 2, 1, 1, 7);                    // a rank without an offset
  EXPECT_LE(b.bins(), o.max_bins);
  EXPECT_LT(b.bytes_held(), std::size_t{1} << 20);
  const TimeSeries t = b.finish({"a", "b"});
  std::uint64_t calls = 0;
  for (auto c : t.calls) calls += c;
  EXPECT_EQ(calls, 3u);
  EXPECT_NE(std::find(t.labels.begin(), t.labels.end(), "(invalid label)"), t.labels.end());

  // A run whose label table is empty: every label is invalid, none grows the counts.
  TimeSeriesBuilder::Options empty;
  empty.label_count = 0;
  TimeSeriesBuilder e(empty);
  e.add(10, 5, 4'000'000'000u, 0);
  EXPECT_LT(e.bytes_held(), std::size_t{1} << 20);
  const TimeSeries te = e.finish({});
  EXPECT_EQ(te.labels, std::vector<std::string>{"(invalid label)"});
}

TEST(TimeSeries, RejectsRaggedChunks) {
  TimeSeriesBuilder b;
  std::vector<std::uint64_t> two = {1, 2}, one = {1};
  std::vector<std::uint32_t> labels = {0, 0};
  EXPECT_THROW(b.add(CallChunk{two, one, labels, {}}), std::invalid_argument);
}

TEST(Distribution, BarsKeepEveryCountAndTileTheRange) {
  Summary s;
  for (std::uint64_t v = 1000; v < 5'000'000; v = v * 11 / 10) s.record(v);
  s.record(7);
  const auto bars = histogram_bars(s.histogram);
  ASSERT_FALSE(bars.empty());
  EXPECT_LE(bars.size(), 100u);
  double total = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    total += bars[i].count;
    EXPECT_LT(bars[i].low_ns, bars[i].high_ns);
    if (i) {
      EXPECT_EQ(bars[i].low_ns, bars[i - 1].high_ns);
    }
  }
  EXPECT_NEAR(total, static_cast<double>(s.count), 1e-6);
  EXPECT_LE(bars.front().low_ns, 7u);
  EXPECT_GE(bars.back().high_ns, s.max_ns);
  EXPECT_TRUE(histogram_bars(Histogram{}).empty());
}

TEST(Distribution, ANarrowHistogramIsWidenedAroundItsBars) {
  for (std::uint64_t value :
       {std::uint64_t{5'200}, std::uint64_t{0}, std::uint64_t{3'000'000'000}}) {
    Histogram h;
    for (int i = 0; i < 3; ++i) h.record(value);  // three calls of one duration
    const auto bars = histogram_bars(h);
    ASSERT_GE(bars.size(), 9u) << value;
    double total = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
      total += bars[i].count;
      if (i) {
        EXPECT_EQ(bars[i].low_ns, bars[i - 1].high_ns);
      }
    }
    EXPECT_NEAR(total, 3.0, 1e-9) << value;
    EXPECT_EQ(bars.back().count, 0.0) << value;  // room on the right
    if (value > 0) {
      EXPECT_EQ(bars.front().count, 0.0) << value;  // and on the left
      EXPECT_LE(bars.front().low_ns, value);
      EXPECT_GT(bars.back().high_ns, value);
    }
  }
}

TEST(Distribution, BarsOfAnEvenSpreadAreSmooth) {
  // Values spread evenly over [1 ms, 2 ms): on a log scale, bar heights fall smoothly with
  // the bar's width ratio, without the comb a bucket-to-bar assignment would leave.
  Histogram h;
  for (std::uint64_t v = 1'000'000; v < 2'000'000; v += 50) h.record(v);
  const auto bars = histogram_bars(h, 16);  // 16 bars per power of two
  double prev = 0;
  for (const auto& b : bars) {
    if (b.low_ns < 1'010'000 || b.high_ns > 1'990'000) continue;  // leave the edges out
    const double density = b.count / static_cast<double>(b.high_ns - b.low_ns);
    if (prev > 0) {
      EXPECT_NEAR(density / prev, 1.0, 0.03) << b.low_ns;
    }
    prev = density;
  }
}

TEST(Distribution, SpectrumRisesToTheMaximum) {
  Summary s;
  for (std::uint64_t v = 1; v <= 10000; ++v) s.record(v * 1000);
  const auto points = percentile_spectrum(s);
  ASSERT_GT(points.size(), 40u);
  EXPECT_EQ(points.front().percentile, 0.0);
  EXPECT_EQ(points.front().one_in, 1.0);
  for (std::size_t i = 1; i < points.size(); ++i) {
    EXPECT_GT(points[i].one_in, points[i - 1].one_in);
    EXPECT_GE(points[i].value_ns, points[i - 1].value_ns);
  }
  EXPECT_EQ(points.back().value_ns, s.max_ns);
  EXPECT_EQ(points.back().one_in, 10000.0);
  EXPECT_EQ(points[4].percentile, 50.0);  // one in 2
  EXPECT_EQ(points[4].value_ns, s.percentile_ns(50));
  EXPECT_TRUE(percentile_spectrum(Summary{}).empty());
}

TEST(Scaling, PointsSortByWorkers) {
  SyntheticSource source("s.h5", testing::scaling_suite(2000));
  std::vector<RunSummary> runs = {source.summary(2), source.summary(0), source.summary(1)};
  const auto points = scaling_points(runs);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].ranks * points[0].threads, 1);
  EXPECT_EQ(points[0].run, 1u);
  EXPECT_EQ(points[2].ranks * points[2].threads, 4);
  EXPECT_DOUBLE_EQ(points[2].calls_per_s, runs[0].total.rate(runs[0].wall_ns));
}

TEST(Compare, MatchesLabelsAndSubCallsByName) {
  SyntheticRun a, b;
  a.labels = {"200", "500"};
  a.error_labels = {"500"};
  b.labels = {"200", "timeout"};
  b.error_labels = {"timeout"};
  b.subcalls = {"connect"};
  b.base_ns = 2'000'000;
  SyntheticSource sa("a.h5", {a}), sb("b.h5", {b});
  const Comparison c = compare(sa.summary(0), sb.summary(0));
  std::vector<std::string> names;
  for (const auto& r : c.rows) names.push_back(r.parent.empty() ? r.name : r.parent + ">" + r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Result", "200", "200>connect", "200>query", "500",
                                             "timeout"}));
  EXPECT_TRUE(c.rows[3].current && !c.rows[3].baseline);  // query: only in the current run
  EXPECT_TRUE(!c.rows[5].current && c.rows[5].baseline);  // timeout: only in the baseline
  // An error on either side is an error row.
  for (const auto& r : c.rows) EXPECT_EQ(r.error, r.name == "500" || r.name == "timeout") << r.name;
  EXPECT_DOUBLE_EQ(c.rows[0].current_per_s, sa.summary(0).total.rate(sa.summary(0).wall_ns));
  EXPECT_NEAR(*percent_change(110, 100), 10.0, 1e-12);
  EXPECT_FALSE(percent_change(1, 0));
}

TEST(Compare, SubCallsInTheOrderCallsMadeThem) {
  SyntheticRun a, b;
  a.labels = b.labels = {"200"};
  a.subcalls = {"total", "connect"};
  b.subcalls = {"first byte", "connect"};
  SyntheticSource sa("a.h5", {a}), sb("b.h5", {b});
  RunSummary now = sa.summary(0), base = sb.summary(0);
  // The summaries hold sub-calls in the order calls made them; make it one no sort gives.
  auto& subs = now.labels[0].subcalls;
  if (subs[0].name < subs[1].name) std::swap(subs[0], subs[1]);  // "total", "connect"
  const Comparison c = compare(now, base);
  std::vector<std::string> names;
  for (const auto& r : c.rows)
    if (!r.parent.empty()) names.push_back(r.name);
  // The current run's order, then what only the baseline has.
  EXPECT_EQ(names, (std::vector<std::string>{"total", "connect", "first byte"}));
}

TEST(BuildReport, PicksOneRunOrAllAndMergesTheSuite) {
  SyntheticSource source("s.h5", testing::scaling_suite(1000), {{"format", "gorgon-mpi"}});
  BuildOptions all;
  const ReportData every = build_report(source, all);
  EXPECT_EQ(every.runs.size(), 3u);
  ASSERT_TRUE(every.suite);
  EXPECT_EQ(every.suite->total.count, 3000u);
  EXPECT_EQ(every.scaling.size(), 3u);
  EXPECT_FALSE(every.runs[0].series);  // no time series unless asked
  BuildOptions one;
  one.run = 1;
  one.time_series = true;
  const ReportData second = build_report(source, one);
  ASSERT_EQ(second.runs.size(), 1u);
  EXPECT_EQ(second.first_run_index, 1u);
  EXPECT_EQ(second.runs_in_file, 3u);
  EXPECT_FALSE(second.suite);
  EXPECT_TRUE(second.runs[0].series);
  EXPECT_EQ(second.file_metadata.front().second, "gorgon-mpi");
  BuildOptions bad;
  bad.run = 3;
  EXPECT_THROW(build_report(source, bad), InputError);
  SyntheticSource empty("e.h5", {});
  EXPECT_THROW(build_report(empty, all), InputError);
}

}  // namespace
}  // namespace gorgon::analysis
