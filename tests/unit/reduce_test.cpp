// Cross-rank reduction: merge_dictionary and reduce_run on records built by hand, checked
// against a direct computation over the union of every rank's records. Runs under mpiexec
// (1, 2 and 4 ranks); every rank runs every test, and the exit status is agreed by all ranks.
#include "gorgon/reduce/reduce.hpp"
#include "gorgon/run/runner.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace {

using gorgon::Histogram;
using gorgon::RankRun;
using gorgon::RunSummary;
using gorgon::Summary;
using gorgon::ThreadRecord;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// ---- merge_dictionary ---------------------------------------------------------------------------

std::vector<std::string> local_words(int rank) {
  std::vector<std::string> w = {"common", "rank " + std::to_string(rank), "common", "zeta"};
  if (rank % 2 == 0) w.push_back("even ranks");
  if (rank == 1) w.push_back("");  // the empty string is a word like any other
  for (int i = 0; i < rank; ++i) w.push_back("upto " + std::to_string(i));
  return w;
}

TEST(MergeDictionary, SortedUnionOfRankDependentStrings) {
  const int size = world_size();
  const auto merged = gorgon::merge_dictionary(MPI_COMM_WORLD, local_words(world_rank()));
  std::vector<std::string> want;
  for (int r = 0; r < size; ++r) {
    const auto w = local_words(r);
    want.insert(want.end(), w.begin(), w.end());
  }
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  EXPECT_EQ(merged, want);  // on every rank, not only the root
  EXPECT_TRUE(std::is_sorted(merged.begin(), merged.end()));
  EXPECT_EQ(std::count(merged.begin(), merged.end(), "common"), 1);
}

TEST(BoundedLabel, CutsLongLabelsOnACharacterBoundaryWithAMarker) {
  const std::string marker(gorgon::kCutMarker);
  EXPECT_EQ(gorgon::bounded_label("short"), "short");
  const std::string exact(gorgon::kMaxLabelBytes, 'a');
  EXPECT_EQ(gorgon::bounded_label(exact), exact);  // at the bound: kept whole
  const std::string cut = gorgon::bounded_label(exact + "b");
  EXPECT_EQ(cut.size(), gorgon::kMaxLabelBytes);
  EXPECT_EQ(cut, std::string(gorgon::kMaxLabelBytes - marker.size(), 'a') + marker);
  // A 3-byte character (U+20AC) across the cut: dropped whole, never split.
  const std::size_t keep = gorgon::kMaxLabelBytes - marker.size();
  const std::string euro = std::string(keep - 1, 'a') + "\xe2\x82\xac" + std::string(100, 'z');
  EXPECT_EQ(gorgon::bounded_label(euro), std::string(keep - 1, 'a') + marker);
}

TEST(MergeDictionary, EmptyOnSomeOrAllRanks) {
  const int rank = world_rank();
  std::vector<std::string> mine;
  if (rank == world_size() - 1) mine = {"last", "b", "a", "b"};
  EXPECT_EQ(gorgon::merge_dictionary(MPI_COMM_WORLD, mine),
            (std::vector<std::string>{"a", "b", "last"}));
  EXPECT_TRUE(gorgon::merge_dictionary(MPI_COMM_WORLD, {}).empty());
}

// ---- hand-built records -------------------------------------------------------------------------

struct SubPlan {
  std::string name;
  std::uint64_t duration;
};
struct CallPlan {
  std::uint64_t number;
  std::string label;
  std::uint64_t duration;
  std::vector<SubPlan> subs;
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int threads_of(int rank) { return 1 + rank % 3; }

/// The calls thread `t` of rank `r` makes: counts that cross block boundaries, labels and
/// sub-call names that depend on the rank, durations from 0 ns to seconds.
std::vector<CallPlan> plan_thread(int r, int t, bool empty_above_rank0 = false) {
  if (empty_above_rank0 && r > 0) return {};
  const int threads = threads_of(r);
  const std::size_t n =
      1'500 + 700 * static_cast<std::size_t>(t) + 300 * static_cast<std::size_t>(r);
  std::vector<CallPlan> calls;
  for (std::size_t i = 0; i < n; ++i) {
    CallPlan c;
    c.number = 1'000'000 * static_cast<std::uint64_t>(r) + i * static_cast<std::uint64_t>(threads) +
               static_cast<std::uint64_t>(t);
    const std::uint64_t h = mix(c.number * 31 + 7);
    if (c.number % 5 == 0) c.label = "FAIL";
    else if (c.number % 7 == 3) c.label = "rank " + std::to_string(r) + " only";
    else if (c.number % 11 == 0) c.label = "exception: boom";
    else c.label = "SUCCESS";
    c.duration = h % 97 == 0   ? 1'000'000'000 + h % 3'000'000'000  // a few slow calls
                 : h % 13 == 0 ? h % 128                            // some exact tiny ones
                               : 100 + h % 50'000'000;
    if (i % 2 == 0) c.subs.push_back({"init", c.duration / 3});
    if (c.label == "FAIL") c.subs.push_back({"net", c.duration / 2});
    if (i % 5 == 1) c.subs.push_back({"step of rank " + std::to_string(r), c.duration / 4});
    if (i % 13 == 0) {  // the same name twice in one call
      c.subs.push_back({"retry", c.duration / 8});
      c.subs.push_back({"retry", c.duration / 9});
    }
    calls.push_back(std::move(c));
  }
  return calls;
}

/// Fills a ThreadRecord the way the runner does: a call's sub-calls, then the call.
std::unique_ptr<ThreadRecord> record_thread(int r, int t, const std::vector<CallPlan>& plan) {
  auto rec = std::make_unique<ThreadRecord>();
  rec->rank = r;
  rec->thread = t;
  std::uint64_t clock = 1'000;
  for (const auto& c : plan) {
    for (const auto& s : c.subs)
      rec->subcalls.push(c.number, rec->subcall_names.intern(s.name), clock, s.duration);
    rec->calls.push(c.number, clock, c.duration, rec->labels.intern(c.label));
    rec->busy_ns += c.duration;
    clock += c.duration + 10;
  }
  return rec;
}

/// The node rank r says it ran on: a name of its own, so a host the balance took from
/// another rank (rank 0's, a neighbour's) shows.
std::string host_of(int r) { return "host-of-rank-" + std::to_string(r); }

RankRun make_run(int r, int ranks, bool empty_above_rank0 = false) {
  RankRun run;
  run.spec.operation = "hand built";
  run.spec.params = {{"k", "v"}, {"n", "3"}};
  run.spec.ops = 123'456;
  run.spec.seed = 77;
  run.spec.ranks = ranks;
  run.spec.threads = 3;
  run.rank = r;
  run.ranks = ranks;
  run.threads = threads_of(r);
  run.host = host_of(r);
  for (int t = 0; t < run.threads; ++t)
    run.records.push_back(record_thread(r, t, plan_thread(r, t, empty_above_rank0)));
  run.start_ns = 5'000 + 17 * static_cast<std::uint64_t>(r);
  run.end_ns = run.start_ns + 2'000'000'000 + 3'000'000 * static_cast<std::uint64_t>(r % 3);
  if (r == 0)
    for (int p = 0; p < ranks; ++p)
      run.offsets.push_back({100 * p - 50, 10 + static_cast<std::uint64_t>(p)});
  gorgon::fold_held_rows(run, false);  // as the run's record stream would have
  return run;
}

/// Every duration of the union, as a direct computation sees it.
struct Expected {
  std::vector<std::uint64_t> total;
  std::map<std::string, std::vector<std::uint64_t>> labels;
  std::map<std::string, std::map<std::string, std::vector<std::uint64_t>>> subs;
  /// Per sub-call name, the earliest position any thread first met it at: sub-calls are
  /// listed in that order (then by name).
  std::map<std::string, std::size_t> first_seen;
  [[nodiscard]] std::vector<std::string> sub_order(const std::string& label) const {
    std::vector<std::string> names;
    for (const auto& [name, durations] : subs.at(label)) names.push_back(name);
    std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) {
      return first_seen.at(a) < first_seen.at(b);
    });
    return names;
  }
};

Expected expected_union(int ranks, bool empty_above_rank0 = false) {
  Expected e;
  for (int r = 0; r < ranks; ++r)
    for (int t = 0; t < threads_of(r); ++t) {
      std::vector<std::string> met;  // this thread's sub-call names, first seen first
      for (const auto& c : plan_thread(r, t, empty_above_rank0)) {
        e.total.push_back(c.duration);
        e.labels[c.label].push_back(c.duration);
        for (const auto& s : c.subs) {
          e.subs[c.label][s.name].push_back(s.duration);
          if (std::find(met.begin(), met.end(), s.name) == met.end()) met.push_back(s.name);
        }
      }
      for (std::size_t i = 0; i < met.size(); ++i) {
        auto [it, fresh] = e.first_seen.emplace(met[i], i);
        if (!fresh) it->second = std::min(it->second, i);
      }
    }
  return e;
}

void expect_summary(const Summary& s, const std::vector<std::uint64_t>& v,
                    const std::string& what) {
  ASSERT_EQ(s.count, v.size()) << what;
  EXPECT_EQ(s.sum_ns, std::accumulate(v.begin(), v.end(), std::uint64_t{0})) << what;
  EXPECT_EQ(s.min_ns, *std::min_element(v.begin(), v.end())) << what;
  EXPECT_EQ(s.max_ns, *std::max_element(v.begin(), v.end())) << what;
  long double sum = 0;
  for (auto x : v) sum += static_cast<long double>(x);
  const long double mean = sum / static_cast<long double>(v.size());
  long double m2 = 0;
  for (auto x : v)
    m2 += (static_cast<long double>(x) - mean) * (static_cast<long double>(x) - mean);
  const double stddev =
      v.size() < 2 ? 0.0
                   : std::sqrt(static_cast<double>(m2 / static_cast<long double>(v.size() - 1)));
  EXPECT_NEAR(s.mean_ns(), static_cast<double>(mean), 1e-12 * static_cast<double>(mean)) << what;
  EXPECT_NEAR(s.stddev_ns(), stddev, 1e-9 * stddev) << what;
  Histogram h;
  for (auto x : v) h.record(x);
  EXPECT_EQ(s.histogram, h) << what;
  for (double p : gorgon::kReportPercentiles) {
    const std::uint64_t want = std::clamp(h.percentile(p), s.min_ns, s.max_ns);
    EXPECT_EQ(s.percentile_ns(p), want) << what << " p" << p;
  }
}

/// Checks rank 0's summary of a reduction over `comm` against the union of ranks 0..ranks-1.
void expect_reduced(const RunSummary& s, int ranks, bool empty_above_rank0) {
  const Expected e = expected_union(ranks, empty_above_rank0);
  const RankRun root = make_run(0, ranks, empty_above_rank0);
  EXPECT_EQ(s.operation, "hand built");
  EXPECT_EQ(s.params, (std::vector<std::pair<std::string, std::string>>{{"k", "v"}, {"n", "3"}}));
  EXPECT_EQ(s.ops, 123'456u);
  EXPECT_EQ(s.seed, 77u);
  EXPECT_EQ(s.ranks, ranks);
  EXPECT_EQ(s.threads, threads_of(0));
  expect_summary(s.total, e.total, "total");

  ASSERT_EQ(s.labels.size(), e.labels.size());
  auto want_label = e.labels.begin();
  for (const auto& l : s.labels) {
    EXPECT_EQ(l.label, want_label->first);
    expect_summary(l.stats, want_label->second, l.label);
    const auto want_subs = e.subs.find(l.label);
    const std::size_t n_subs = want_subs == e.subs.end() ? 0 : want_subs->second.size();
    ASSERT_EQ(l.subcalls.size(), n_subs) << l.label;
    if (n_subs > 0) {
      const std::vector<std::string> order = e.sub_order(l.label);
      for (std::size_t i = 0; i < l.subcalls.size(); ++i) {
        const auto& sub = l.subcalls[i];
        EXPECT_EQ(sub.name, order[i]) << l.label;
        expect_summary(sub.stats, want_subs->second.at(sub.name), l.label + " / " + sub.name);
      }
    }
    ++want_label;
  }

  std::vector<gorgon::ThreadBalance> threads;
  std::uint64_t wall = 0;
  ASSERT_EQ(s.rank_balance.size(), static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    const RankRun run = make_run(r, ranks, empty_above_rank0);
    std::uint64_t calls = 0, busy = 0;
    for (const auto& rec : run.records) {
      threads.push_back({r, rec->thread, rec->call_count(), rec->busy_ns});
      calls += rec->call_count();
      busy += rec->busy_ns;
    }
    const auto& rb = s.rank_balance[static_cast<std::size_t>(r)];
    EXPECT_EQ(rb.rank, r);
    EXPECT_EQ(rb.calls, calls) << "rank " << r;
    EXPECT_EQ(rb.busy_ns, busy) << "rank " << r;
    EXPECT_EQ(rb.wall_ns, run.end_ns - run.start_ns) << "rank " << r;
    EXPECT_EQ(rb.clock_offset_ns, root.offsets[static_cast<std::size_t>(r)].offset_ns);
    EXPECT_EQ(rb.clock_rtt_ns, r == 0 ? 0u : root.offsets[static_cast<std::size_t>(r)].rtt_ns);
    EXPECT_EQ(rb.host, host_of(r));
    wall = std::max(wall, run.end_ns - run.start_ns);
  }
  EXPECT_EQ(s.wall_ns, wall);
  ASSERT_EQ(s.thread_balance.size(), threads.size());
  for (std::size_t i = 0; i < threads.size(); ++i) {
    EXPECT_EQ(s.thread_balance[i].rank, threads[i].rank) << i;
    EXPECT_EQ(s.thread_balance[i].thread, threads[i].thread) << i;
    EXPECT_EQ(s.thread_balance[i].calls, threads[i].calls) << i;
    EXPECT_EQ(s.thread_balance[i].busy_ns, threads[i].busy_ns) << i;
  }
}

void expect_empty(const RunSummary& s) {
  EXPECT_EQ(s.total.count, 0u);
  EXPECT_TRUE(s.labels.empty());
  EXPECT_TRUE(s.rank_balance.empty());
  EXPECT_TRUE(s.operation.empty());
}

// ---- reduce_run ---------------------------------------------------------------------------------

TEST(ReduceRun, PlanSanity) {
  // The plan must exercise what the reduction has to get right.
  const Expected e = expected_union(world_size());
  EXPECT_EQ(e.labels.size(), 3u + static_cast<std::size_t>(world_size()));  // and one per rank
  EXPECT_GE(e.total.size(), 1'500u);
  EXPECT_TRUE(e.subs.at("FAIL").count("net"));
  EXPECT_FALSE(e.subs.at("SUCCESS").count("net"));  // names attach to some labels only
  EXPECT_LT(*std::min_element(e.total.begin(), e.total.end()), 128u);
  EXPECT_GT(*std::max_element(e.total.begin(), e.total.end()), 1'000'000'000u);
}

TEST(ReduceRun, MatchesDirectComputationOverTheUnion) {
  const int rank = world_rank(), size = world_size();
  const RankRun run = make_run(rank, size);
  const RunSummary s = gorgon::reduce_run(run, MPI_COMM_WORLD);
  if (rank == 0) expect_reduced(s, size, false);
  else expect_empty(s);
}

TEST(ReduceRun, RanksWithoutCalls) {
  // Only rank 0 made calls; the others ran threads that got no numbers.
  const int rank = world_rank(), size = world_size();
  const RankRun run = make_run(rank, size, true);
  const RunSummary s = gorgon::reduce_run(run, MPI_COMM_WORLD);
  if (rank == 0) {
    expect_reduced(s, size, true);
    for (int r = 1; r < size; ++r) EXPECT_EQ(s.rank_balance[static_cast<std::size_t>(r)].calls, 0u);
  } else {
    expect_empty(s);
  }
}

TEST(ReduceRun, NoCallsAnywhere) {
  const int rank = world_rank(), size = world_size();
  RankRun run;
  run.spec.operation = "idle";
  run.rank = rank;
  run.ranks = size;
  run.threads = 2;
  for (int t = 0; t < 2; ++t) {
    run.records.push_back(std::make_unique<ThreadRecord>());
    run.records.back()->thread = t;
  }
  const RunSummary s = gorgon::reduce_run(run, MPI_COMM_WORLD);
  if (rank == 0) {
    EXPECT_EQ(s.operation, "idle");
    EXPECT_EQ(s.total.count, 0u);
    EXPECT_TRUE(s.total.histogram.empty());
    EXPECT_TRUE(s.labels.empty());
    EXPECT_EQ(s.rank_balance.size(), static_cast<std::size_t>(size));
    EXPECT_EQ(s.thread_balance.size(), 2u * static_cast<std::size_t>(size));
    EXPECT_EQ(s.total.percentile_ns(50), 0u);
  }
}

TEST(ReduceRun, OnASubCommunicator) {
  // Ranks split by parity; each half reduces on its own communicator, its rank 0 sees only
  // its half.
  const int rank = world_rank();
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  int sub_rank = 0, sub_size = 1;
  MPI_Comm_rank(half, &sub_rank);
  MPI_Comm_size(half, &sub_size);
  const RankRun run = make_run(sub_rank, sub_size);
  const RunSummary s = gorgon::reduce_run(run, half);
  MPI_Comm_free(&half);
  if (sub_rank == 0) expect_reduced(s, sub_size, false);
  else expect_empty(s);
}

}  // namespace
// main: tests/mpi_gtest_main.cpp
