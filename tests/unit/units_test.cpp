// Durations and counts as users type them, and durations as the report prints them.
#include "gorgon/base/units.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "config_error.hpp"
#include "gorgon/base/error.hpp"

namespace {

using gorgon::ConfigError;
using gorgon::format_duration;
using gorgon::format_elapsed;
using gorgon::parse_count;
using gorgon::parse_duration_ns;

constexpr std::uint64_t kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000;

// ---- parse_duration_ns ------------------------------------------------------------------------

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parse_duration_ns("750ns"), 750u);
  EXPECT_EQ(parse_duration_ns("10us"), 10 * kUs);
  EXPECT_EQ(parse_duration_ns("250ms"), 250 * kMs);
  EXPECT_EQ(parse_duration_ns("2s"), 2 * kS);
  EXPECT_EQ(parse_duration_ns("2m"), 120 * kS);
  EXPECT_EQ(parse_duration_ns("3min"), 180 * kS);
  EXPECT_EQ(parse_duration_ns("1h"), 3'600 * kS);
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(parse_duration_ns("3"), 3 * kS);
  EXPECT_EQ(parse_duration_ns("0"), 0u);
  EXPECT_EQ(parse_duration_ns("0.25"), 250 * kMs);
}

TEST(ParseDuration, Decimals) {
  EXPECT_EQ(parse_duration_ns("1.5s"), 1'500 * kMs);
  EXPECT_EQ(parse_duration_ns("0.5ms"), 500 * kUs);
  EXPECT_EQ(parse_duration_ns("1.25us"), 1'250u);
  EXPECT_EQ(parse_duration_ns("2.5m"), 150 * kS);
  EXPECT_EQ(parse_duration_ns("0.001s"), kMs);
  EXPECT_EQ(parse_duration_ns(".5s"), 500 * kMs);
  EXPECT_EQ(parse_duration_ns("0.4ns"), 0u);  // rounded to the nearest nanosecond
  EXPECT_EQ(parse_duration_ns("0.6ns"), 1u);
}

TEST(ParseDuration, LargeValues) {
  // 5e9 s = 5e18 ns fits a signed 64-bit integer; 1e10 s = 1e19 ns only an unsigned one.
  EXPECT_EQ(parse_duration_ns("5000000000s"), 5'000'000'000 * kS);
  EXPECT_EQ(parse_duration_ns("10000000000s"), 10'000'000'000 * kS);
  EXPECT_EQ(parse_duration_ns("1000000h"), 3'600'000'000 * kS);
}

TEST(ParseDuration, Errors) {
  EXPECT_NE(config_error([] { (void)parse_duration_ns(""); }).find("invalid duration ''"),
            std::string::npos);
  EXPECT_NE(config_error([] { (void)parse_duration_ns("-1s"); }).find("'-1s'"), std::string::npos);
  const std::string parsecs = config_error([] { (void)parse_duration_ns("10parsecs"); });
  EXPECT_NE(parsecs.find("'10parsecs'"), std::string::npos) << parsecs;
  EXPECT_NE(parsecs.find("unknown unit 'parsecs'"), std::string::npos) << parsecs;
  EXPECT_NE(config_error([] { (void)parse_duration_ns("ms"); }).find("'ms'"), std::string::npos);
  (void)config_error([] { (void)parse_duration_ns("s"); });
  (void)config_error([] { (void)parse_duration_ns("1.2.3s"); });
  (void)config_error([] { (void)parse_duration_ns("1 s"); });
  (void)config_error([] { (void)parse_duration_ns("1e3s"); });
  (void)config_error([] { (void)parse_duration_ns("+1s"); });
  (void)config_error([] { (void)parse_duration_ns("1S"); });
  (void)config_error([] { (void)parse_duration_ns("."); });
  // 2e10 s = 2e19 ns does not fit 64 bits.
  EXPECT_NE(config_error([] { (void)parse_duration_ns("20000000000s"); }).find("too long"),
            std::string::npos);
}

// ---- parse_count ------------------------------------------------------------------------------

TEST(ParseCount, Plain) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("40000"), 40'000u);
  EXPECT_EQ(parse_count("18446744073709551615"), UINT64_MAX);  // exact, not through a double
}

TEST(ParseCount, ENotationAndSuffixes) {
  EXPECT_EQ(parse_count("4e6"), 4'000'000u);
  EXPECT_EQ(parse_count("4E6"), 4'000'000u);
  EXPECT_EQ(parse_count("1.5e3"), 1'500u);
  EXPECT_EQ(parse_count("10k"), 10'000u);
  EXPECT_EQ(parse_count("1M"), 1'000'000u);
  EXPECT_EQ(parse_count("2G"), 2'000'000'000u);
  EXPECT_EQ(parse_count("1.5k"), 1'500u);
  EXPECT_EQ(parse_count("0k"), 0u);
}

TEST(ParseCount, Errors) {
  for (const char* bad : {"-3", "1.5", "abc", "", "+3", "k", "10K", "1.0001k", "1e-3", "inf", "nan",
                          "0x10", " 5", "5 ", "1e20", "99999999999999999999"}) {
    const std::string msg = config_error([&] { (void)parse_count(bad); });
    EXPECT_NE(msg.find("'" + std::string(bad) + "'"), std::string::npos)
        << "'" << bad << "': " << msg;
  }
}

// ---- format_duration -----------------------------------------------------------------------

TEST(FormatDuration, BelowAMicrosecond) {
  EXPECT_EQ(format_duration(0), "0ns");
  EXPECT_EQ(format_duration(1), "1ns");
  EXPECT_EQ(format_duration(87), "87ns");
  EXPECT_EQ(format_duration(999), "999ns");
}

TEST(FormatDuration, ThreeSignificantDigitsRoundedAtEveryScale) {
  EXPECT_EQ(format_duration(1'000), "1.00us");
  EXPECT_EQ(format_duration(1'004), "1.00us");
  EXPECT_EQ(format_duration(1'005), "1.01us");  // rounded half up
  EXPECT_EQ(format_duration(1'520), "1.52us");
  EXPECT_EQ(format_duration(9'994), "9.99us");
  EXPECT_EQ(format_duration(9'995), "10.0us");  // rounding carries into the next width
  EXPECT_EQ(format_duration(15'249), "15.2us");
  EXPECT_EQ(format_duration(15'250), "15.3us");
  EXPECT_EQ(format_duration(99'949), "99.9us");
  EXPECT_EQ(format_duration(99'950), "100us");
  EXPECT_EQ(format_duration(512'499), "512us");
  EXPECT_EQ(format_duration(999'499), "999us");
  EXPECT_EQ(format_duration(999'500), "1.00ms");    // and into the next unit
  EXPECT_EQ(format_duration(1'390'000), "1.39ms");  // not "1ms"
  EXPECT_EQ(format_duration(1'930'000), "1.93ms");
  EXPECT_EQ(format_duration(5'494'999), "5.49ms");
  EXPECT_EQ(format_duration(15'200'000), "15.2ms");
  EXPECT_EQ(format_duration(725 * kMs), "725ms");
  EXPECT_EQ(format_duration(kS - 1), "1.00s");
  EXPECT_EQ(format_duration(3 * kS + 621 * kMs), "3.62s");
  EXPECT_EQ(format_duration(36 * kS + 210 * kMs), "36.2s");
  EXPECT_EQ(format_duration(362 * kS), "362s");
  EXPECT_EQ(format_duration(999 * kS + 499 * kMs), "999s");
}

TEST(FormatDuration, MinutesAndHoursFromAThousandSeconds) {
  EXPECT_EQ(format_duration(999 * kS + 500 * kMs), "16m 40s");
  EXPECT_EQ(format_duration(3'599 * kS + 499 * kMs), "59m 59s");
  EXPECT_EQ(format_duration(3'599 * kS + 500 * kMs), "1h 0m");
  EXPECT_EQ(format_duration((3'600 + 2 * 60 + 29) * kS), "1h 2m");
  EXPECT_EQ(format_duration((3'600 + 2 * 60 + 30) * kS), "1h 3m");
  EXPECT_EQ(format_duration(99 * 3'600 * kS + 59 * 60 * kS), "99h 59m");
  EXPECT_EQ(format_duration(100 * 3'600 * kS), "100h");
  // 2^64 - 1 ns = 5124095.58 h.
  EXPECT_EQ(format_duration(UINT64_MAX), "5124096h");
}

TEST(FormatDuration, AtMostSevenCharactersBelowAHundredHours) {
  for (std::uint64_t ns = 1; ns < 100 * 3'600 * kS; ns = ns * 3 / 2 + 1)
    EXPECT_LE(format_duration(ns).size(), 7u) << ns << " ns: " << format_duration(ns);
}

TEST(FormatElapsed, TheOriginalToolsForm) {
  EXPECT_EQ(format_elapsed(725 * kMs), "725ms");
  EXPECT_EQ(format_elapsed(1'930'000), "1.93ms");
  EXPECT_EQ(format_elapsed(kS), "1s 0ms");
  EXPECT_EQ(format_elapsed(3 * kS + 621 * kMs), "3s 621ms");
  EXPECT_EQ(format_elapsed(31 * kS + 226 * kMs + 999), "31s 226ms");  // truncated
  EXPECT_EQ(format_elapsed(60 * kS - 1), "59s 999ms");
  EXPECT_EQ(format_elapsed(60 * kS), "1m 0s");
  EXPECT_EQ(format_elapsed(125 * kS + 999 * kMs), "2m 5s");
  EXPECT_EQ(format_elapsed((3'600 + 2 * 60 + 5) * kS), "1h 2m 5s");
  EXPECT_EQ(format_elapsed(UINT64_MAX), "5124095h 34m 33s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (const char* text : {"725ms", "1.00ms", "999ns", "152us", "1.93ms", "3.62s"})
    EXPECT_EQ(format_duration(parse_duration_ns(text)), text);
}

}  // namespace

TEST(ParseBytes, SuffixesAreBinary) {
  EXPECT_EQ(gorgon::parse_bytes("65536"), 65536u);
  EXPECT_EQ(gorgon::parse_bytes("64K"), 65536u);
  EXPECT_EQ(gorgon::parse_bytes("64KiB"), 65536u);
  EXPECT_EQ(gorgon::parse_bytes("512M"), 512ull << 20);
  EXPECT_EQ(gorgon::parse_bytes("2G"), 2ull << 30);
  EXPECT_EQ(gorgon::parse_bytes("2GB"), 2ull << 30);
  EXPECT_EQ(gorgon::parse_bytes("1T"), 1ull << 40);
  EXPECT_EQ(gorgon::parse_bytes("100B"), 100u);
}

TEST(ParseBytes, Errors) {
  for (const char* bad : {"", "M", "-1M", "1.5G", "12X", "G1", "99999999999T", " 1M"})
    EXPECT_THROW(gorgon::parse_bytes(bad), gorgon::ConfigError) << bad;
}

TEST(FormatBytes, ThreeSignificantDigits) {
  EXPECT_EQ(gorgon::format_bytes(512), "512 B");
  EXPECT_EQ(gorgon::format_bytes(65536), "64 KiB");
  EXPECT_EQ(gorgon::format_bytes(1536ull << 20), "1.5 GiB");
  EXPECT_EQ(gorgon::format_bytes(5505024), "5.25 MiB");
}
