// --fail-if: what parses, what is refused, and what a limit measures on a known run.
#include "gorgon/report/thresholds.hpp"

#include <gtest/gtest.h>

#include <string>

#include "gorgon/base/error.hpp"
#include "sample_runs.hpp"

namespace {

using gorgon::parse_threshold;

TEST(Threshold, ParsesEachForm) {
  const auto p99 = parse_threshold("p99<50ms");
  EXPECT_EQ(p99.metric, "p99");
  EXPECT_EQ(p99.op, "<");
  EXPECT_DOUBLE_EQ(p99.value, 50e6);
  const auto label = parse_threshold("SUCCESS:p99.9<=200ms");
  EXPECT_EQ(label.label, "SUCCESS");
  EXPECT_EQ(label.op, "<=");
  const auto errors = parse_threshold("errors<1%");
  EXPECT_TRUE(errors.percent);
  EXPECT_DOUBLE_EQ(errors.value, 1);
  EXPECT_DOUBLE_EQ(parse_threshold("rate>=1000").value, 1000);
}

TEST(Threshold, RefusesValuesThatAreNotFiniteNumbers) {
  for (const char* bad : {"count<nan", "count<inf", "count<-1", "errors<nan%", "rate>1e999",
                          "p99<fast", "latency<5ms", "p99", "count<", "rate%>5", "FAIL:errors<1"}) {
    EXPECT_THROW(parse_threshold(bad), gorgon::ConfigError) << bad;
  }
}

TEST(Threshold, ChecksEachLimitOnTheRunAndSaysWhatItMeasured) {
  const gorgon::RunSummary run = gorgon::test::run_a();  // 15 calls, 3 of them FAIL errors
  const auto results = gorgon::check_limits(
      {parse_threshold("count>=15"), parse_threshold("errors<10%"), parse_threshold("errors<=3")},
      run);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].passed);
  EXPECT_FALSE(results[1].passed);  // 3 of 15 = 20%
  EXPECT_NE(results[1].measured.find("20"), std::string::npos) << results[1].measured;
  EXPECT_TRUE(results[2].passed);
  EXPECT_EQ(results[1].limit, "errors<10%");
}

}  // namespace
