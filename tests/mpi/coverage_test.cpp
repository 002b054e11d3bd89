// Multi-rank check that every call number is used exactly once, run under mpiexec at 1, 2
// and 4 ranks. For several (seed, N, threads), including N = 1 and N smaller than
// ranks x threads, under each schedule (static, dynamic, guided), it calls gorgon::execute_run on
// MPI_COMM_WORLD, gathers every rank's recorded numbers to rank 0 and checks that [seed, seed + N)
// is covered exactly once. It also checks, per recorded call, the label and the one sub-call the
// operation made under the same number, and that reduce_run's summary counts agree. One GoogleTest
// case per configuration (main: tests/mpi_gtest_main.cpp, which makes a failure on any rank fail
// every rank).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <tuple>
#include <vector>

#include "gorgon/op/operation.hpp"
#include "gorgon/reduce/reduce.hpp"
#include "gorgon/run/runner.hpp"
#include "gorgon/run/runspec.hpp"

namespace {

int g_rank = 0;

void check(bool ok, const std::string& what) {
  if (!ok) ADD_FAILURE() << what;
}

const char* label_of(std::uint64_t n) { return n % 2 != 0 ? "odd" : "even"; }

/// The operation under test: one sub-call named "step" per call, labelled by parity.
gorgon::OperationInfo parity_operation() {
  return {"parity",
          "labels a call odd or even, with one sub-call",
          {},
          [](const gorgon::Params&) -> gorgon::OperationFn {
            return [](std::uint64_t n, gorgon::Context& g) -> gorgon::Result {
              auto step = g.measurement("step");
              return label_of(n);
            };
          }};
}

/// The same, with the last rank of several slow: 200 us more per call.
gorgon::OperationInfo slow_last_rank_operation() {
  gorgon::OperationInfo op = parity_operation();
  op.name = "parity_slow_last_rank";
  op.make = [](const gorgon::Params&) -> gorgon::OperationFn {
    return [](std::uint64_t n, gorgon::Context& g) -> gorgon::Result {
      auto step = g.measurement("step");
      if (g.ranks() > 1 && g.rank() == g.ranks() - 1) {
        timespec nap{0, 200'000};
        nanosleep(&nap, nullptr);
      }
      return label_of(n);
    };
  };
  return op;
}

struct Case {
  std::uint64_t seed;
  std::uint64_t ops;
  int threads;
};

/// This rank's recorded call numbers, checking each call's label and its sub-call on the way.
std::vector<std::uint64_t> local_numbers(const gorgon::RankRun& run, const std::string& tag) {
  std::vector<std::uint64_t> numbers;
  for (const auto& rec : run.records) {
    check(rec != nullptr, tag + ": a thread left no record");
    if (!rec) continue;
    const auto& labels = rec->labels.strings();
    std::vector<std::uint64_t> mine;
    std::vector<const gorgon::RecordRows*> rows;  // the thread's rows, as it handed them over
    for (const auto& seg : run.kept)
      if (seg->thread == rec->thread && !seg->warmup) rows.push_back(&seg->rows);
    for (const auto* r : rows)
      r->calls.for_each_block([&](const gorgon::CallBlock& b, std::size_t used) {
        for (std::size_t i = 0; i < used; ++i) {
          mine.push_back(b.number[i]);
          const bool known = b.label[i] < labels.size();
          check(known && labels[b.label[i]] == label_of(b.number[i]),
                tag + ": call " + std::to_string(b.number[i]) + " has the wrong label");
        }
      });
    std::vector<std::uint64_t> sub_numbers;
    const auto& names = rec->subcall_names.strings();
    for (const auto* r : rows)
      r->subcalls.for_each_block([&](const gorgon::SubCallBlock& b, std::size_t used) {
        for (std::size_t i = 0; i < used; ++i) {
          sub_numbers.push_back(b.call_number[i]);
          check(b.name[i] < names.size() && names[b.name[i]] == "step",
                tag + ": a sub-call has the wrong name");
        }
      });
    // One sub-call per call, recorded in call order under the call's number.
    check(sub_numbers == mine, tag + ": thread " + std::to_string(rec->thread) +
                                   " sub-call numbers differ from its call numbers");
    check(rec->call_count() == mine.size(), tag + ": call_count() disagrees with the blocks");
    numbers.insert(numbers.end(), mine.begin(), mine.end());
  }
  return numbers;
}

/// Runs the case and checks it; returns the calls per rank (on rank 0).
std::vector<int> run_case(const Case& c, gorgon::Schedule schedule, const gorgon::OperationInfo& op,
                          int ranks) {
  const std::string tag = "seed " + std::to_string(c.seed) + ", N " + std::to_string(c.ops) + ", " +
                          std::to_string(ranks) + "x" + std::to_string(c.threads) + ", " +
                          std::string(gorgon::name_of(schedule));
  gorgon::RunSpec spec;
  spec.schedule = schedule;
  spec.schedule_given = true;
  spec.operation = op.name;
  spec.ops = c.ops;
  spec.seed = c.seed;
  spec.ranks = ranks;
  spec.threads = c.threads;

  // Small blocks: each thread hands its rows to the record stream many times over.
  gorgon::RunControl control;
  control.keep_rows = true;
  control.records.block_rows = 1024;
  const gorgon::RankRun run = gorgon::execute_run(spec, op, MPI_COMM_WORLD, control);
  check(run.ranks == ranks, tag + ": RankRun.ranks is " + std::to_string(run.ranks));
  check(run.rank == g_rank, tag + ": RankRun.rank is " + std::to_string(run.rank));
  check(run.threads == c.threads, tag + ": RankRun.threads is " + std::to_string(run.threads));
  check(run.records.size() == static_cast<std::size_t>(c.threads),
        tag + ": " + std::to_string(run.records.size()) + " thread records");

  // Gather every rank's numbers to rank 0.
  const std::vector<std::uint64_t> numbers = local_numbers(run, tag);
  const int count = static_cast<int>(numbers.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks), 0), displs(counts.size(), 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r] = total;
    total += counts[r];
  }
  std::vector<std::uint64_t> all(g_rank == 0 ? static_cast<std::size_t>(total) : 0);
  MPI_Gatherv(numbers.data(), count, MPI_UINT64_T, all.data(), counts.data(), displs.data(),
              MPI_UINT64_T, 0, MPI_COMM_WORLD);

  if (g_rank == 0) {
    check(all.size() == c.ops, tag + ": " + std::to_string(all.size()) + " calls recorded, " +
                                   std::to_string(c.ops) + " expected");
    std::sort(all.begin(), all.end());
    std::uint64_t missing_or_repeated = 0;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i] != c.seed + i) ++missing_or_repeated;
    check(missing_or_repeated == 0, tag + ": the numbers are not exactly [seed, seed + N) (" +
                                        std::to_string(missing_or_repeated) + " misplaced)");
    // Static: no rank idles while another has two more calls than it (remainders are
    // spread). The shared schedules give each rank what it takes.
    const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
    if (schedule == gorgon::Schedule::static_)
      check(*hi - *lo <= 1,
            tag + ": calls per rank range " + std::to_string(*lo) + ".." + std::to_string(*hi));
  }

  // The reduction sees the same calls.
  const gorgon::RunSummary s = gorgon::reduce_run(run, MPI_COMM_WORLD);
  if (g_rank == 0) {
    std::uint64_t odd = 0;
    for (std::uint64_t n = c.seed; n < c.seed + c.ops; ++n) odd += n % 2;
    const std::uint64_t even = c.ops - odd;
    check(s.total.count == c.ops, tag + ": summary total " + std::to_string(s.total.count));
    for (const auto& l : s.labels) {
      const std::uint64_t want = l.label == "odd" ? odd : l.label == "even" ? even : 0;
      check(l.stats.count == want, tag + ": summary label " + l.label + " count " +
                                       std::to_string(l.stats.count) + ", expected " +
                                       std::to_string(want));
      check(l.subcalls.size() == 1 && l.subcalls[0].name == "step" &&
                l.subcalls[0].stats.count == want,
            tag + ": summary sub-calls of label " + l.label);
    }
    check(s.labels.size() == static_cast<std::size_t>((odd > 0) + (even > 0)),
          tag + ": summary has " + std::to_string(s.labels.size()) + " labels");
    check(s.rank_balance.size() == static_cast<std::size_t>(ranks) &&
              s.thread_balance.size() == static_cast<std::size_t>(ranks * c.threads),
          tag + ": balance lists the wrong number of ranks or threads");
  }
  return counts;
}

constexpr gorgon::Schedule kSchedules[] = {gorgon::Schedule::static_, gorgon::Schedule::dynamic,
                                           gorgon::Schedule::guided};

class Coverage : public ::testing::TestWithParam<std::tuple<Case, gorgon::Schedule>> {};

TEST_P(Coverage, EveryNumberExactlyOnce) {
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  try {
    run_case(std::get<0>(GetParam()), std::get<1>(GetParam()), parity_operation(), ranks);
  } catch (const std::exception& e) {
    // execute_run throws on every rank alike, so the collectives stay matched.
    ADD_FAILURE() << "exception: " << e.what();
  }
}

// A slow last rank: every number still exactly once under each schedule; static gives it its
// slice, the shared schedules let the other ranks take most of the calls.
class SlowRank : public ::testing::TestWithParam<gorgon::Schedule> {};

TEST_P(SlowRank, EveryNumberOnceAndTheFastRanksTakeMore) {
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  try {
    const Case c{11, 6000, 2};
    const std::vector<int> counts = run_case(c, GetParam(), slow_last_rank_operation(), ranks);
    if (g_rank == 0 && ranks > 1) {
      const int slow = counts.back();
      const int fastest = *std::max_element(counts.begin(), counts.end() - 1);
      if (GetParam() == gorgon::Schedule::static_)
        EXPECT_LE(fastest - slow, 1) << "static gives every rank its slice";
      else if (GetParam() == gorgon::Schedule::dynamic)  // 200 us a call against far less
        EXPECT_LT(2 * slow, fastest) << "slow rank " << slow << " calls, fastest " << fastest;
      else  // guided: the first blocks are each 1/(2R) of the calls, whoever takes them
        EXPECT_LT(slow, fastest) << "slow rank " << slow << " calls, fastest " << fastest;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "exception: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, SlowRank, ::testing::ValuesIn(kSchedules),
                         [](const auto& p) { return std::string(gorgon::name_of(p.param)); });

// Run with OMP_THREAD_LIMIT=1 (mpi.coverage.thread_limit.np2): a team smaller than asked is
// an error on every rank, with a message, never a crash (it dereferenced the rounds that the
// failed team had cancelled).
TEST(TeamNotReady, FewerThreadsThanAskedIsAnErrorOnEveryRank) {
  const char* limit = std::getenv("OMP_THREAD_LIMIT");
  if (limit == nullptr || std::string(limit) != "1") GTEST_SKIP() << "needs OMP_THREAD_LIMIT=1";
  gorgon::RunSpec spec;
  spec.operation = "parity";
  spec.ops = 100;
  spec.threads = 2;
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  spec.ranks = ranks;
  try {
    (void)gorgon::execute_run(spec, parity_operation(), MPI_COMM_WORLD);
    ADD_FAILURE() << "a team of 1 thread ran a 2-thread run";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("OpenMP started 1 threads instead of 2"),
              std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Coverage,
    ::testing::Combine(::testing::Values(Case{0, 1, 1},  // a single call
                                         Case{0, 1, 4},  // a single call, more threads than calls
                                         Case{7, 3, 4},  // N < ranks x threads (and N < ranks at 4)
                                         Case{100, 7, 2},   // N < ranks x threads at 4 ranks
                                         Case{0, 1000, 1},  //
                                         Case{5, 1001, 3},  // N not divisible by ranks x threads
                                         Case{123456789, 9973, 2},  // prime N, non-zero seed
                                         Case{1ull << 40, 40000, 4},
                                         Case{0, 100003, 2}),  // several record blocks per thread
                       ::testing::ValuesIn(kSchedules)));

}  // namespace
// main: tests/mpi_gtest_main.cpp
