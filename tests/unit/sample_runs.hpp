#pragma once
// Hand-built run summaries for the report tests: known durations recorded into Summaries,
// so every number a report prints can be worked out by hand.
#include <cstdint>
#include <string>
#include <vector>

#include "gorgon/stats/summary.hpp"

namespace gorgon::test {

inline constexpr std::uint64_t kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000;

inline Summary summary_of(const std::vector<std::uint64_t>& values) {
  Summary s;
  for (auto v : values) s.record(v);
  return s;
}

inline std::vector<std::uint64_t> concat(std::vector<std::uint64_t> a,
                                         const std::vector<std::uint64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Run A: "hash" over 15 numbers on 2 ranks x 2 threads, 4 s of wall time; FAIL is an error.
//   FAIL (3 calls):     2, 3, 4 ms              mean 3 ms, stddev 1 ms exactly
//     digest< (3):      1, 1.5, 2 ms            mean 1.5 ms, stddev 0.5 ms exactly
//   SUCCESS (12 calls): 1.52 us .. 3.621 s, one per display format
//     digest< (12):     half of each call
//     init< (12):       87, 90, 93 ns four times  mean 90 ns (below 128 ns: exact buckets)
inline const std::vector<std::uint64_t> kFail = {2 * kMs, 3 * kMs, 4 * kMs};
inline const std::vector<std::uint64_t> kFailDigest = {1 * kMs, 1'500 * kUs, 2 * kMs};
inline const std::vector<std::uint64_t> kSuccess = {
    1'520,   15'200,  152'000,  1 * kMs,  2 * kMs,   3 * kMs,
    5 * kMs, 8 * kMs, 13 * kMs, 21 * kMs, 725 * kMs, 3 * kS + 621 * kMs};
inline std::vector<std::uint64_t> success_digest() {
  std::vector<std::uint64_t> v;
  for (auto d : kSuccess) v.push_back(d / 2);
  return v;
}
inline const std::vector<std::uint64_t> kInit = {87, 90, 93, 87, 90, 93, 87, 90, 93, 87, 90, 93};

inline RunSummary run_a() {
  RunSummary r;
  r.operation = "hash";
  r.params = {{"iterations", "4000"}};
  r.params_given = {"iterations"};
  r.error_rule = "errors: FAIL";
  r.ops = 15;
  r.seed = 0;
  r.ranks = 2;
  r.threads = 2;
  r.wall_ns = 4 * kS;
  r.total = summary_of(concat(kFail, kSuccess));
  r.labels = {
      {"FAIL", summary_of(kFail), {{"digest", summary_of(kFailDigest)}}, true},
      {"SUCCESS",
       summary_of(kSuccess),
       {{"digest", summary_of(success_digest())}, {"init", summary_of(kInit)}}},
  };
  // Calls by thread: (0,0) 725 ms, 1 ms, 4 ms, 1.52 us; (0,1) 21, 13, 8 ms, 15.2 us;
  // (1,0) 3.621 s, 2 ms, 3 ms; (1,1) 5, 3, 2 ms, 152 us. Busy is each thread's sum.
  //               rank calls busy               wall      offset  rtt    host
  r.rank_balance = {{0, 8, 772'016'720, 800 * kMs, 0, 0, "node1"},
                    {1, 7, 3'636'152'000, 4 * kS, -1'234, 5'678, "node1"}};
  //                 rank thread calls busy
  r.thread_balance = {{0, 0, 4, 730'001'520},
                      {0, 1, 4, 42'015'200},
                      {1, 0, 3, 3'626'000'000},
                      {1, 1, 4, 10'152'000}};
  return r;
}

// Run B: "noop", 1000 calls on 1 rank x 1 thread in 1 ms, durations 50..59 ns (exact
// buckets), no balance data.
inline std::vector<std::uint64_t> noop_durations() {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < 1000; ++i) v.push_back(50 + i % 10);
  return v;
}

inline RunSummary run_b() {
  RunSummary r;
  r.operation = "noop";
  r.ops = 1000;
  r.seed = 1000;
  r.ranks = 1;
  r.threads = 1;
  r.wall_ns = 1 * kMs;
  r.total = summary_of(noop_durations());
  r.labels = {{"ok", summary_of(noop_durations()), {}}};
  return r;
}

}  // namespace gorgon::test
