// The live progress display: the text of a line, when lines are drawn, the terminal bar.
#include "gorgon/report/progress.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {
using gorgon::ProgressDisplay;
using gorgon::ProgressSnapshot;
using Names = std::vector<std::pair<std::uint64_t, std::string>>;

ProgressSnapshot snapshot(std::uint64_t calls, std::uint64_t elapsed_ns) {
  ProgressSnapshot s;
  s.calls = calls;
  s.elapsed_ns = elapsed_ns;
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Progress, LineHasCallsRatesEtaErrorsAndLabelsLargestFirst) {
  std::ostringstream out;
  ProgressDisplay d(out, false, 1'000'000'000, 1000, 0);
  d.update(snapshot(200, 1'000'000'000), {});  // 200 calls in the first second
  ProgressSnapshot s = snapshot(500, 2'000'000'000);
  s.errors = 3;
  s.late = 7;
  s.slot_calls[0] = 120, s.slot_hash_min[0] = s.slot_hash_max[0] = 11;
  s.slot_calls[5] = 380, s.slot_hash_min[5] = s.slot_hash_max[5] = 22;
  const Names names = {{11, "FAIL"}, {22, "SUCCESS"}};
  d.update(s, names);
  const std::string line = d.line(s, names);
  EXPECT_NE(line.find(" 50% 500/1000 calls"), std::string::npos) << line;
  EXPECT_NE(line.find("300 calls/s now"), std::string::npos) << line;  // 300 in the last second
  EXPECT_NE(line.find("250 calls/s avg"), std::string::npos) << line;  // 500 in two seconds
  EXPECT_NE(line.find("ETA 2s 0ms"), std::string::npos) << line;       // 500 more at 250/s
  EXPECT_NE(line.find("errors 3"), std::string::npos) << line;
  EXPECT_NE(line.find("late 7"), std::string::npos) << line;
  EXPECT_NE(line.find("; SUCCESS 380, FAIL 120"), std::string::npos) << line;
}

TEST(Progress, ASharedSlotAndAnUnknownLabelAreSaidSo) {
  std::ostringstream out;
  ProgressDisplay d(out, false, 1'000'000'000, 0, 10'000'000'000);
  ProgressSnapshot s = snapshot(40, 4'000'000'000);
  s.slot_calls[1] = 30, s.slot_hash_min[1] = 5, s.slot_hash_max[1] = 9;    // two labels
  s.slot_calls[2] = 10, s.slot_hash_min[2] = s.slot_hash_max[2] = 0xabcd;  // never named
  const std::string line = d.line(s, {});
  EXPECT_NE(line.find("40 calls,"), std::string::npos) << line;   // timed: no total
  EXPECT_NE(line.find("ETA 6s 0ms"), std::string::npos) << line;  // 10 s asked, 4 s gone
  EXPECT_NE(line.find("(several labels) 30"), std::string::npos) << line;
  EXPECT_NE(line.find("label#abcd 10"), std::string::npos) << line;
  EXPECT_EQ(line.find("late"), std::string::npos) << line;  // none late: not shown
}

TEST(Progress, PlainLinesComeEveryIntervalAndNotAtTheEnd) {
  std::ostringstream out;
  ProgressDisplay d(out, false, 1'000'000'000, 100, 0);
  for (std::uint64_t ms = 200; ms <= 3000; ms += 200)
    d.update(snapshot(ms / 100, ms * 1'000'000), {});
  EXPECT_EQ(count(out.str(), "progress: "), 3u) << out.str();  // at 1 s, 2 s and 3 s
  EXPECT_EQ(count(out.str(), "\n"), 3u);
  // Each line of a batch log carries its time: "progress: 2026-12-02T21:40:03Z  30% ...".
  EXPECT_TRUE(std::regex_search(out.str(),
                                std::regex(R"(^progress: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +\d+% )")))
      << out.str();
  ProgressSnapshot last = snapshot(100, 9'000'000'000);
  last.finished = true;
  d.update(last, {});
  d.finish();
  EXPECT_EQ(count(out.str(), "progress: "), 3u) << "the report follows; no last line";
}

TEST(Progress, ATerminalGetsABarRedrawnInPlaceAndClearedAtTheEnd) {
  std::ostringstream out;
  ProgressDisplay d(out, true, 10'000'000'000, 100, 0);  // a terminal redraws every 0.5 s
  d.update(snapshot(25, 600'000'000), {});
  d.update(snapshot(50, 1'200'000'000), {});
  const std::string drawn = out.str();
  EXPECT_EQ(count(drawn, "\r["), 2u) << drawn;
  EXPECT_EQ(count(drawn, "\n"), 0u) << "redrawn in place, no new lines";
  EXPECT_NE(drawn.find("[######..................]"), std::string::npos) << drawn;  // 25%
  EXPECT_NE(drawn.find("[############............]"), std::string::npos) << drawn;  // 50%
  d.finish();
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\x1b[K");
}

}  // namespace
