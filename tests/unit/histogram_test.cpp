// Histogram: bucket layout, percentiles against exact sorted values, merging.
#include "gorgon/stats/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using gorgon::Histogram;
using gorgon::nearest_rank;

constexpr std::uint64_t kTop = 1ull << (Histogram::kMaxExponent + 1);  // 2^48

// ---- bucket layout ----------------------------------------------------------------------

void expect_in_bucket(std::uint64_t v) {
  const std::uint32_t b = Histogram::bucket_of(v);
  ASSERT_LT(b, Histogram::kBuckets) << "value " << v;
  EXPECT_LE(Histogram::bucket_low(b), v) << "value " << v << " bucket " << b;
  EXPECT_LT(v, Histogram::bucket_high(b)) << "value " << v << " bucket " << b;
}

TEST(HistogramBuckets, LayoutConstants) {
  EXPECT_EQ(Histogram::kSubBuckets, 128u);
  // One block of 128 exact buckets, then 128 buckets for each power of two 2^7 .. 2^47.
  EXPECT_EQ(Histogram::kBuckets, 128u + (47u - 7u + 1u) * 128u);
}

TEST(HistogramBuckets, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < 256; ++v) {
    const std::uint32_t b = Histogram::bucket_of(v);
    EXPECT_EQ(b, v);  // [0, 256) has width-1 buckets: 0..127 exact, 128..255 at e = 7
    EXPECT_EQ(Histogram::bucket_low(b), v);
    EXPECT_EQ(Histogram::bucket_high(b), v + 1);
  }
}

TEST(HistogramBuckets, KnownBuckets) {
  // 256 = 2^8: second power-of-two block, first sub-bucket, width 2.
  EXPECT_EQ(Histogram::bucket_of(256), 256u);
  EXPECT_EQ(Histogram::bucket_of(257), 256u);
  EXPECT_EQ(Histogram::bucket_of(258), 257u);
  EXPECT_EQ(Histogram::bucket_low(257), 258u);
  EXPECT_EQ(Histogram::bucket_high(257), 260u);
  // 1'000'000 lies in [2^19, 2^20): width 2^12 = 4096; 1e6 / 4096 = 244.14 -> low 244 * 4096.
  const std::uint32_t b = Histogram::bucket_of(1'000'000);
  EXPECT_EQ(Histogram::bucket_low(b), 244u * 4096u);
  EXPECT_EQ(Histogram::bucket_high(b), 245u * 4096u);
  EXPECT_EQ(b, (19u - 7u + 1u) * 128u + (244u - 128u));
}

TEST(HistogramBuckets, SweepValuesFallInsideTheirBucket) {
  for (std::uint64_t v = 0; v < 70'000; ++v) expect_in_bucket(v);
  for (int e = 0; e <= Histogram::kMaxExponent; ++e) {
    const std::uint64_t p = 1ull << e;
    for (std::uint64_t d : {0ull, 1ull, 2ull, 3ull}) {
      expect_in_bucket(p + d);
      if (p > d) expect_in_bucket(p - d);
    }
    expect_in_bucket(p + p / 2);
    expect_in_bucket(2 * p - 1);
  }
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 200'000; ++i) {
    const int bits = static_cast<int>(rng() % 48) + 1;
    expect_in_bucket(rng() >> (64 - bits));
  }
}

TEST(HistogramBuckets, EveryBucketIsContiguousAndNarrow) {
  for (std::uint32_t b = 0; b < Histogram::kBuckets; ++b) {
    const std::uint64_t lo = Histogram::bucket_low(b), hi = Histogram::bucket_high(b);
    ASSERT_LT(lo, hi) << "bucket " << b;
    EXPECT_EQ(Histogram::bucket_of(lo), b);
    EXPECT_EQ(Histogram::bucket_of(hi - 1), b);
    if (b + 1 < Histogram::kBuckets) {
      EXPECT_EQ(hi, Histogram::bucket_low(b + 1)) << "gap after bucket " << b;
    }
    if (lo >= 128) {
      EXPECT_LE((hi - lo) * 128, lo) << "bucket " << b << " wider than 1/128 of " << lo;
    }
  }
  EXPECT_EQ(Histogram::bucket_low(0), 0u);
  EXPECT_EQ(Histogram::bucket_high(Histogram::kBuckets - 1), kTop);
}

TEST(HistogramBuckets, ValuesPastTheTopGoToTheLastBucket) {
  EXPECT_EQ(Histogram::bucket_of(kTop - 1), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::bucket_of(kTop), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::bucket_of(UINT64_MAX), Histogram::kBuckets - 1);
  Histogram h;
  h.record(UINT64_MAX);
  EXPECT_EQ(h.total(), 1u);
  EXPECT_EQ(h.count_at(Histogram::kBuckets - 1), 1u);
}

// ---- nearest rank -----------------------------------------------------------------------

TEST(NearestRank, KnownRanks) {
  EXPECT_EQ(nearest_rank(50, 100), 50u);
  EXPECT_EQ(nearest_rank(50, 3), 2u);  // ceil(1.5)
  EXPECT_EQ(nearest_rank(25, 4), 1u);
  EXPECT_EQ(nearest_rank(26, 4), 2u);  // ceil(1.04)
  EXPECT_EQ(nearest_rank(99, 100), 99u);
  EXPECT_EQ(nearest_rank(99.9, 1000), 999u);
  EXPECT_EQ(nearest_rank(99.9, 10000), 9990u);
  EXPECT_EQ(nearest_rank(90, 10), 9u);
  EXPECT_EQ(nearest_rank(0, 10), 1u);     // p0 is the minimum
  EXPECT_EQ(nearest_rank(100, 10), 10u);  // p100 is the maximum
  EXPECT_EQ(nearest_rank(-5, 10), 1u);    // clamped
  EXPECT_EQ(nearest_rank(150, 10), 10u);  // clamped
  EXPECT_EQ(nearest_rank(50, 1), 1u);
  EXPECT_EQ(nearest_rank(50, 0), 1u);
}

// ---- percentiles --------------------------------------------------------------------------

TEST(HistogramPercentile, EmptyHistogram) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.total(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(0), 0u);
  EXPECT_EQ(h.percentile(100), 0u);
  EXPECT_EQ(h.first_bucket(), h.end_bucket());
  EXPECT_TRUE(h.counts().empty());
  EXPECT_EQ(h.count_at(0), 0u);
  EXPECT_EQ(h.count_at(1000), 0u);
  EXPECT_EQ(h, Histogram{});
}

TEST(HistogramPercentile, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.total(), 100u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(90), 90u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(99.9), 100u);  // rank ceil(99.9) = 100
  EXPECT_EQ(h.percentile(100), 100u);
}

TEST(HistogramPercentile, ReadsTheBucketMidpoint) {
  Histogram h;
  h.record(1'000'000);  // bucket [999424, 1003520): midpoint 1001472
  EXPECT_EQ(h.percentile(50), 999'424u + 2'048u);
}

TEST(HistogramPercentile, RecordWithCount) {
  Histogram h;
  h.record(10, 3);
  h.record(20, 0);  // no-op
  h.record(30, 1);
  EXPECT_EQ(h.total(), 4u);
  EXPECT_EQ(h.count_at(10), 3u);
  EXPECT_EQ(h.count_at(20), 0u);
  EXPECT_EQ(h.first_bucket(), 10u);
  EXPECT_EQ(h.end_bucket(), 31u);
  EXPECT_EQ(h.percentile(75), 10u);
  EXPECT_EQ(h.percentile(76), 30u);
}

struct Distribution {
  std::string name;
  std::function<std::uint64_t(std::mt19937_64&)> draw;
};

std::vector<Distribution> distributions() {
  return {
      {"uniform",
       [](std::mt19937_64& g) {
         return std::uniform_int_distribution<std::uint64_t>(1'000, 1'000'000)(g);
       }},
      {"exponential",
       [](std::mt19937_64& g) {
         return 1 +
                static_cast<std::uint64_t>(std::exponential_distribution<double>(1.0 / 50e3)(g));
       }},
      {"lognormal",
       [](std::mt19937_64& g) {
         return 1 + static_cast<std::uint64_t>(
                        std::lognormal_distribution<double>(std::log(1e5), 1.0)(g));
       }},
      {"bimodal",
       [](std::mt19937_64& g) {
         const bool slow = std::bernoulli_distribution(0.1)(g);
         const double v = slow ? std::normal_distribution<double>(2e6, 2e5)(g)
                               : std::normal_distribution<double>(20e3, 2e3)(g);
         return static_cast<std::uint64_t>(std::max(1.0, v));
       }},
      {"constant", [](std::mt19937_64&) { return std::uint64_t{123'456}; }},
      {"wide",
       [](std::mt19937_64& g) {  // spans ns to hours
         return (std::uint64_t{1} << std::uniform_int_distribution<int>(0, 42)(g)) |
                std::uniform_int_distribution<std::uint64_t>(0, 1000)(g);
       }},
  };
}

void expect_percentiles_close(const Histogram& h, std::vector<std::uint64_t> values,
                              const std::string& what) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<std::uint64_t>(values.size());
  ASSERT_EQ(h.total(), n);
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const std::uint64_t exact = values[nearest_rank(p, n) - 1];
    const std::uint64_t got = h.percentile(p);
    const double err = std::abs(static_cast<double>(got) - static_cast<double>(exact)) /
                       static_cast<double>(exact);
    EXPECT_LE(err, 0.01) << what << " p" << p << ": histogram " << got << ", exact " << exact;
  }
}

TEST(HistogramPercentile, KnownDistributionsWithinOnePercent) {
  std::mt19937_64 rng(20240601);
  for (const auto& d : distributions()) {
    for (std::size_t n : {1u, 7u, 1000u, 100'000u}) {
      Histogram h;
      std::vector<std::uint64_t> values(n);
      for (auto& v : values) {
        v = d.draw(rng);
        h.record(v);
      }
      expect_percentiles_close(h, values, d.name + " n=" + std::to_string(n));
    }
  }
}

TEST(HistogramPercentile, SingleValue) {
  for (std::uint64_t v : {1ull, 127ull, 128ull, 4'095ull, 777'777ull, 3'600'000'000'000ull}) {
    Histogram h;
    h.record(v);
    for (double p : {0.0, 50.0, 100.0}) {
      const double got = static_cast<double>(h.percentile(p));
      EXPECT_NEAR(got, static_cast<double>(v), 0.01 * static_cast<double>(v)) << v << " p" << p;
    }
  }
}

TEST(HistogramPercentile, BimodalSeparatesModes) {
  // 90% at ~20us, 10% at ~2ms: p50 must sit in the fast mode and p99 in the slow one.
  Histogram h;
  for (int i = 0; i < 900; ++i) h.record(20'000);
  for (int i = 0; i < 100; ++i) h.record(2'000'000);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 20e3, 200);
  EXPECT_NEAR(static_cast<double>(h.percentile(90)), 20e3, 200);
  EXPECT_NEAR(static_cast<double>(h.percentile(90.1)), 2e6, 2e4);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 2e6, 2e4);
}

// ---- merging ------------------------------------------------------------------------------

TEST(HistogramMerge, EqualsRecordingEverythingIntoOne) {
  std::mt19937_64 rng(7);
  for (int parts : {1, 2, 3, 8}) {
    Histogram all;
    std::vector<Histogram> part(static_cast<std::size_t>(parts));
    for (int i = 0; i < 20'000; ++i) {
      // Each part has its own range so the merge has to widen on both sides.
      const auto p = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(parts));
      const std::uint64_t v = (rng() % 100'000) * (p + 1) + 50 * p;
      all.record(v);
      part[p].record(v);
    }
    Histogram merged;
    for (std::size_t p = part.size(); p-- > 0;) merged.merge(part[p]);  // high ranges first
    EXPECT_EQ(merged, all) << parts << " parts";
    EXPECT_EQ(merged.total(), 20'000u);
  }
}

TEST(HistogramMerge, DisjointRangesAndEmpty) {
  Histogram a, b, all;
  for (std::uint64_t v : {5ull, 6ull, 6ull}) {
    a.record(v);
    all.record(v);
  }
  for (std::uint64_t v : {1'000'000ull, 2'000'000ull}) {
    b.record(v);
    all.record(v);
  }
  Histogram m = b;
  m.merge(a);  // widens downwards
  EXPECT_EQ(m, all);
  EXPECT_EQ(m.first_bucket(), 5u);
  EXPECT_EQ(m.count_at(6), 2u);
  Histogram e;
  m.merge(e);  // merging an empty histogram changes nothing
  EXPECT_EQ(m, all);
  e.merge(all);  // merging into an empty one copies
  EXPECT_EQ(e, all);
}

TEST(HistogramAddCounts, TrimsZeroEnds) {
  Histogram h;
  const std::uint64_t counts[] = {0, 0, 3, 0, 5, 0, 0};
  h.add_counts(200, counts, 7);
  EXPECT_EQ(h.first_bucket(), 202u);
  EXPECT_EQ(h.end_bucket(), 205u);
  EXPECT_EQ(h.total(), 8u);
  EXPECT_EQ(h.count_at(202), 3u);
  EXPECT_EQ(h.count_at(203), 0u);
  EXPECT_EQ(h.count_at(204), 5u);
  EXPECT_EQ(h.count_at(201), 0u);
  EXPECT_EQ(h.count_at(205), 0u);

  Histogram same;
  same.record(Histogram::bucket_low(202), 3);
  same.record(Histogram::bucket_low(204), 5);
  EXPECT_EQ(h, same);

  // Adding again onto an existing range, and an overlapping wider one.
  const std::uint64_t more[] = {1, 0, 0, 0, 0, 0, 0, 2};
  h.add_counts(200, more, 8);
  EXPECT_EQ(h.first_bucket(), 200u);
  EXPECT_EQ(h.end_bucket(), 208u);
  EXPECT_EQ(h.total(), 11u);
  EXPECT_EQ(h.count_at(200), 1u);
  EXPECT_EQ(h.count_at(202), 3u);
  EXPECT_EQ(h.count_at(207), 2u);
}

TEST(HistogramAddCounts, AllZeroOrNothingIsANoOp) {
  Histogram h;
  const std::uint64_t zeros[] = {0, 0, 0, 0};
  h.add_counts(300, zeros, 4);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h, Histogram{});
  h.add_counts(300, zeros, 0);
  EXPECT_EQ(h, Histogram{});
  h.record(42);
  const Histogram before = h;
  h.add_counts(4000, zeros, 4);  // must not widen the range towards bucket 4000
  EXPECT_EQ(h, before);
  EXPECT_EQ(h.end_bucket(), 43u);
}

}  // namespace
