// How call numbers are shared: rank slices, chunk sizes and the lock-free chunk dispenser.
#include "gorgon/run/partition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace {

using gorgon::chunk_size;
using gorgon::ChunkDispenser;
using gorgon::ClaimPacing;
using gorgon::NumberRange;
using gorgon::rank_slice;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// ---- rank_slice ------------------------------------------------------------------------------

TEST(RankSlice, KnownSlices) {
  // 10 over 3: the remainder 1 goes to rank 0.
  EXPECT_EQ(rank_slice(0, 10, 3, 0).begin, 0u);
  EXPECT_EQ(rank_slice(0, 10, 3, 0).end, 4u);
  EXPECT_EQ(rank_slice(0, 10, 3, 1).begin, 4u);
  EXPECT_EQ(rank_slice(0, 10, 3, 1).end, 7u);
  EXPECT_EQ(rank_slice(0, 10, 3, 2).begin, 7u);
  EXPECT_EQ(rank_slice(0, 10, 3, 2).end, 10u);
  // 2 over 4 from 100: two ranks get one number, two get none (empty, at the end).
  EXPECT_EQ(rank_slice(100, 2, 4, 0).begin, 100u);
  EXPECT_EQ(rank_slice(100, 2, 4, 0).end, 101u);
  EXPECT_EQ(rank_slice(100, 2, 4, 1).begin, 101u);
  EXPECT_EQ(rank_slice(100, 2, 4, 1).end, 102u);
  EXPECT_EQ(rank_slice(100, 2, 4, 2).size(), 0u);
  EXPECT_EQ(rank_slice(100, 2, 4, 3).size(), 0u);
  // One rank takes everything.
  EXPECT_EQ(rank_slice(5, 1, 1, 0).begin, 5u);
  EXPECT_EQ(rank_slice(5, 1, 1, 0).end, 6u);
}

void check_slices(std::uint64_t seed, std::uint64_t n, int ranks) {
  const std::string what = "seed " + std::to_string(seed) + " n " + std::to_string(n) + " ranks " +
                           std::to_string(ranks);
  std::uint64_t expect_begin = seed, total = 0, smallest = kMax, largest = 0, previous = kMax;
  for (int r = 0; r < ranks; ++r) {
    const NumberRange s = rank_slice(seed, n, ranks, r);
    ASSERT_EQ(s.begin, expect_begin) << what << ": rank " << r << " not contiguous";
    ASSERT_LE(s.begin, s.end) << what;
    EXPECT_LE(s.size(), previous) << what << ": remainders go to the first ranks";
    previous = s.size();
    smallest = std::min(smallest, s.size());
    largest = std::max(largest, s.size());
    total += s.size();
    expect_begin = s.end;
  }
  EXPECT_EQ(expect_begin, seed + n) << what;
  EXPECT_EQ(total, n) << what;
  EXPECT_LE(largest - smallest, 1u) << what;
  EXPECT_EQ(smallest, n / static_cast<std::uint64_t>(ranks)) << what;
}

TEST(RankSlice, CoversTheRangeExactlyOnceForManyShapes) {
  const std::uint64_t sizes[] = {0,  1,  2,   3,   4,    5,    7,      8,        15,
                                 16, 17, 100, 999, 1000, 1001, 65'537, 1'000'003};
  const int rank_counts[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 64, 1000};
  for (std::uint64_t n : sizes)
    for (int ranks : rank_counts)
      for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{42}, kMax - n})
        check_slices(seed, n, ranks);
}

TEST(RankSlice, HugeCountsAndSeeds) {
  check_slices(0, kMax, 3);        // every 64-bit number but the last
  check_slices(1, kMax - 1, 7);    // ends exactly at 2^64 - 1
  check_slices(kMax - 10, 10, 4);  // a small range at the very top
  const NumberRange last = rank_slice(kMax - 10, 10, 4, 3);
  EXPECT_EQ(last.end, kMax);
  EXPECT_EQ(last.size(), 2u);  // 10 over 4: 3, 3, 2, 2
}

TEST(RankSlice, EveryNumberOnceByMarking) {
  for (std::uint64_t n : {1u, 9u, 97u, 256u})
    for (int ranks = 1; ranks <= 12; ++ranks) {
      std::vector<int> hits(n, 0);
      const std::uint64_t seed = 1'000'000;
      for (int r = 0; r < ranks; ++r) {
        const NumberRange s = rank_slice(seed, n, ranks, r);
        for (std::uint64_t x = s.begin; x < s.end; ++x) ++hits.at(x - seed);
      }
      for (std::uint64_t i = 0; i < n; ++i)
        EXPECT_EQ(hits[i], 1) << "n " << n << " ranks " << ranks << " number " << seed + i;
    }
}

// ---- chunk_size ------------------------------------------------------------------------------

TEST(ChunkSize, KnownValues) {
  EXPECT_EQ(chunk_size(0, 1), 1u);  // never zero
  EXPECT_EQ(chunk_size(15, 1), 1u);
  EXPECT_EQ(chunk_size(32, 1), 2u);          // 32 / 16
  EXPECT_EQ(chunk_size(1'000, 4), 15u);      // 250 per thread / 16
  EXPECT_EQ(chunk_size(320, 0), 20u);        // threads < 1 count as one
  EXPECT_EQ(chunk_size(16'384, 1), 1'024u);  // exactly the cap
  EXPECT_EQ(chunk_size(1'000'000'000, 1), 1'024u);
  EXPECT_EQ(chunk_size(kMax, 64), 1'024u);
}

TEST(ChunkSize, BoundsAndEnoughChunksPerThread) {
  for (std::uint64_t slice :
       {0ull, 1ull, 10ull, 100ull, 1'000ull, 12'345ull, 100'000ull, 10'000'000ull}) {
    for (int threads = 1; threads <= 64; threads *= 2) {
      const std::uint64_t c = chunk_size(slice, threads);
      EXPECT_GE(c, 1u);
      EXPECT_LE(c, 1'024u);
      // Below the cap every thread gets at least 16 chunks of its share.
      const std::uint64_t per_thread = slice / static_cast<std::uint64_t>(threads);
      if (per_thread >= 16 && c < 1'024) {
        EXPECT_GE(per_thread / c, 16u) << slice << " / " << threads;
      }
    }
  }
}

// ---- ChunkDispenser ---------------------------------------------------------------------------

TEST(ChunkDispenser, HandsOutConsecutiveChunks) {
  ChunkDispenser d({10, 20}, 3);
  const std::uint64_t want[][2] = {{10, 13}, {13, 16}, {16, 19}, {19, 20}};
  for (const auto& w : want) {
    const NumberRange c = d.next();
    EXPECT_EQ(c.begin, w[0]);
    EXPECT_EQ(c.end, w[1]);
  }
  for (int i = 0; i < 3; ++i) {  // used up: empty, at the end, however often asked
    const NumberRange c = d.next();
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.begin, 20u);
  }
}

TEST(ChunkDispenser, EmptyRange) {
  ChunkDispenser d({7, 7}, 4);
  EXPECT_EQ(d.next().size(), 0u);
}

TEST(ChunkDispenser, ChunkLargerThanRange) {
  ChunkDispenser d({kMax - 5, kMax}, 1'024);
  const NumberRange c = d.next();
  EXPECT_EQ(c.begin, kMax - 5);
  EXPECT_EQ(c.end, kMax);
  EXPECT_EQ(d.next().size(), 0u);
}

// Every number of [seed, seed + n) split over `ranks` slices, each pulled by `threads`
// std::threads: each number must be handed out exactly once, within its rank's slice.
void check_dispensed(std::uint64_t seed, std::uint64_t n, int ranks, int threads) {
  const std::string what = "n " + std::to_string(n) + " ranks " + std::to_string(ranks) +
                           " threads " + std::to_string(threads);
  std::vector<std::atomic<int>> hits(n);
  std::atomic<int> outside{0}, oversize{0};
  for (int r = 0; r < ranks; ++r) {
    const NumberRange slice = rank_slice(seed, n, ranks, r);
    const std::uint64_t chunk = chunk_size(slice.size(), threads);
    ChunkDispenser d(slice, chunk);
    std::vector<std::thread> team;
    for (int t = 0; t < threads; ++t)
      team.emplace_back([&] {
        for (NumberRange c = d.next(); c.size() > 0; c = d.next()) {
          if (c.begin < slice.begin || c.end > slice.end) ++outside;
          if (c.size() > chunk) ++oversize;
          for (std::uint64_t x = c.begin; x < c.end; ++x)
            hits[x - seed].fetch_add(1, std::memory_order_relaxed);
        }
      });
    for (auto& th : team) th.join();
  }
  EXPECT_EQ(outside.load(), 0) << what;
  EXPECT_EQ(oversize.load(), 0) << what;
  std::uint64_t bad = 0, first_bad = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    if (hits[i].load() != 1 && bad++ == 0) first_bad = i;
  EXPECT_EQ(bad, 0u) << what << ": number " << seed + first_bad << " handed out "
                     << (bad ? hits[first_bad].load() : 1) << " times";
}

TEST(ChunkDispenser, EveryNumberExactlyOnceAcrossRanksAndThreads) {
  for (std::uint64_t n : {0u, 1u, 2u, 7u, 100u, 1'000u, 10'007u})
    for (int ranks : {1, 2, 3, 4, 7})
      for (int threads = 1; threads <= 8; ++threads) check_dispensed(12'345, n, ranks, threads);
}

TEST(ChunkDispenser, UnboundedInterleavesRanks) {
  // Rank r of R takes chunk k as [base + (k * R + r) * chunk, + chunk).
  auto d = ChunkDispenser::unbounded(100, 3, 1, 10);
  NumberRange c = d.next();
  EXPECT_EQ(c.begin, 110u);
  EXPECT_EQ(c.end, 120u);
  c = d.next();
  EXPECT_EQ(c.begin, 140u);
  EXPECT_EQ(c.end, 150u);
  auto first = ChunkDispenser::unbounded(100, 3, 0, 10);
  EXPECT_EQ(first.next().begin, 100u);
  EXPECT_EQ(first.next().begin, 130u);
}

TEST(ChunkDispenser, UnboundedStopsBeforeWrapping) {
  auto d = ChunkDispenser::unbounded(kMax - 25, 1, 0, 10);
  NumberRange c = d.next();
  EXPECT_EQ(c.begin, kMax - 25);
  EXPECT_EQ(c.end, kMax - 15);
  c = d.next();
  EXPECT_EQ(c.end, kMax - 5);
  EXPECT_EQ(d.next().size(), 0u);  // [max - 5, max + 5) would wrap
  EXPECT_EQ(d.next().size(), 0u);
}

TEST(ChunkDispenser, UnboundedNumbersUniqueAcrossRanksAndThreads) {
  for (int ranks : {1, 2, 3, 5})
    for (int threads : {1, 3, 8}) {
      constexpr int kChunksPerThread = 200;
      const std::uint64_t chunk = 7;
      std::vector<std::vector<std::uint64_t>> got(static_cast<std::size_t>(ranks * threads));
      for (int r = 0; r < ranks; ++r) {
        auto d = ChunkDispenser::unbounded(1'000, ranks, r, chunk);
        std::vector<std::thread> team;
        for (int t = 0; t < threads; ++t)
          team.emplace_back([&, slot = static_cast<std::size_t>(r * threads + t)] {
            for (int k = 0; k < kChunksPerThread; ++k) {
              const NumberRange c = d.next();
              for (std::uint64_t x = c.begin; x < c.end; ++x) got[slot].push_back(x);
            }
          });
        for (auto& th : team) th.join();
      }
      std::vector<std::uint64_t> all;
      for (auto& g : got) all.insert(all.end(), g.begin(), g.end());
      std::sort(all.begin(), all.end());
      const auto n = static_cast<std::uint64_t>(ranks) * static_cast<std::uint64_t>(threads) *
                     kChunksPerThread * chunk;
      ASSERT_EQ(all.size(), n);
      // Every rank used its first chunks, so together they tile [1000, 1000 + n) exactly.
      for (std::uint64_t i = 0; i < n; ++i)
        ASSERT_EQ(all[i], 1'000 + i) << ranks << " ranks " << threads << " threads";
    }
}

TEST(ChunkDispenser, ManyThreadsSmallChunksUnderContention) {
  // Chunk 1 maximises contention on the shared counter.
  constexpr std::uint64_t n = 200'000;
  for (int threads : {2, 4, 8}) {
    ChunkDispenser d({0, n}, 1);
    std::vector<std::vector<std::uint64_t>> got(static_cast<std::size_t>(threads));
    std::vector<std::thread> team;
    for (int t = 0; t < threads; ++t)
      team.emplace_back([&, t] {
        for (NumberRange c = d.next(); c.size() > 0; c = d.next())
          got[static_cast<std::size_t>(t)].push_back(c.begin);
      });
    for (auto& th : team) th.join();
    std::vector<std::uint64_t> all;
    for (auto& g : got) {
      EXPECT_TRUE(std::is_sorted(g.begin(), g.end()));  // each thread sees increasing chunks
      all.insert(all.end(), g.begin(), g.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), n) << threads << " threads";
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(all[i], i) << threads << " threads";
  }
}

// How far ahead a rank claims: the reserve after each answered claim, and the blocks a claim
// takes to cover it.
TEST(ClaimPacing, AClaimTakesTheBlocksThatCoverTheReserveOneWhileTheirSizeIsUnknown) {
  EXPECT_EQ(ClaimPacing::blocks_for(100000, 0), 1u);  // no block seen yet
  EXPECT_EQ(ClaimPacing::blocks_for(0, 500), 1u);
  EXPECT_EQ(ClaimPacing::blocks_for(500, 500), 1u);
  EXPECT_EQ(ClaimPacing::blocks_for(501, 500), 2u);
  EXPECT_EQ(ClaimPacing::blocks_for(1000000, 500), ClaimPacing::most_blocks);
}

TEST(ClaimPacing, TheReserveCoversTheClaimsLatencyAtTheRanksRate) {
  ClaimPacing p;
  // 1 ms claims at 1 call/us, none made during the claim: 1000 calls by the rate, + 2 threads.
  EXPECT_EQ(p.answered(1'000'000, 0, false, 1e-3, 2), 1002u);
  // The latency is a moving average (weight 1/8): 3 ms next gives (1*7 + 3)/8 = 1.25 ms.
  EXPECT_EQ(p.answered(3'000'000, 0, false, 1e-3, 2), 1252u);
}

TEST(ClaimPacing, BurstsDuringAClaimRaiseTheReserveAboveTheRate) {
  ClaimPacing p;
  // A rank that averages 1 call/us but made 4000 calls during a 1 ms claim (a burst).
  EXPECT_EQ(p.answered(1'000'000, 4000, false, 1e-3, 1), 6001u);  // 1.5 x 4000 + 1
  EXPECT_EQ(p.need(), 4000u);
  // Quiet claims after it: the need decays by 1/16 a claim, never below the last claim's.
  p.answered(1'000'000, 100, false, 1e-3, 1);
  EXPECT_EQ(p.need(), 3750u);
  p.answered(1'000'000, 3900, false, 1e-3, 1);
  EXPECT_EQ(p.need(), 3900u);
}

TEST(ClaimPacing, AQueueFoundEmptyDoublesTheNeedUpToASecondsCalls) {
  ClaimPacing p;
  p.answered(1'000'000, 300, false, 1e-3, 1);
  EXPECT_EQ(p.need(), 300u);
  p.answered(1'000'000, 200, true, 1e-3, 1);  // the threads waited: twice the most seen
  EXPECT_EQ(p.need(), 600u);
  p.answered(1'000'000, 200, true, 1e-3, 1);
  EXPECT_EQ(p.need(), 1200u);
  for (int i = 0; i < 20; ++i) p.answered(1'000'000, 200, true, 1e-3, 1);
  EXPECT_EQ(p.need(), 1'000'000u);  // a second's calls at 1 call/us
  // ... unless one claim alone saw more calls than that.
  p.answered(3'000'000'000, 2'500'000, false, 1e-3, 1);
  EXPECT_EQ(p.need(), 2'500'000u);
}

}  // namespace
