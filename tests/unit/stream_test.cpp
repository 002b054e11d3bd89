// The record stream and the fold: rows handed over a block at a time within a memory budget,
// every row consumed exactly once and in each thread's order, and statistics folded block by
// block equal to those of one pass over all the rows (counts, sums, extremes, histograms
// identical; the spread equal to the two-pass value within rounding).
#include "gorgon/record/stream.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/record/fold.hpp"

namespace {

using gorgon::RecordRows;
using gorgon::RecordSegment;
using gorgon::RecordStream;
using gorgon::Summary;
using gorgon::ThreadFold;
using gorgon::ThreadRecord;

/// One thread's worth of calls: lognormal durations around `scale` ns, labels from a small
/// set, and on some calls one or two sub-calls.
struct Row {
  std::uint64_t number, duration;
  std::uint32_t label;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> subs;  // name, duration
};

std::vector<Row> make_rows(std::size_t n, std::uint32_t seed, double scale) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(scale), 0.4);
  std::vector<Row> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    Row& r = rows[i];
    r.number = 1000 + i;
    r.duration = static_cast<std::uint64_t>(d(rng)) + 1;
    r.label = static_cast<std::uint32_t>(rng() % 3);
    if (rng() % 4 == 0) r.subs.emplace_back(0, r.duration / 3);
    if (rng() % 8 == 0) r.subs.emplace_back(1, r.duration / 5);
  }
  return rows;
}

/// Records `row` as the runner does: its sub-calls, then the call; true when the block is full.
bool record(RecordRows& rec, const Row& row) {
  for (const auto& [name, dur] : row.subs) rec.subcalls.push(row.number, name, 0, dur);
  return rec.calls.push(row.number, 0, row.duration, row.label);
}

/// The statistics of `rows` in one pass over all of them (the mean first, then the spread).
std::map<std::uint64_t, Summary> direct(const std::vector<Row>& rows) {
  std::map<std::uint64_t, Summary> by_key;  // label, or label << 32 | (name + 1) << 16
  auto key_of = [](std::uint32_t label, int name) {
    return name < 0 ? std::uint64_t{label} : (std::uint64_t{label} << 32) | std::uint64_t(name);
  };
  std::map<std::uint64_t, std::vector<std::uint64_t>> values;
  for (const auto& r : rows) {
    values[key_of(r.label, -1)].push_back(r.duration);
    for (const auto& [name, dur] : r.subs)
      values[key_of(r.label, static_cast<int>(name)) | (std::uint64_t{1} << 63)].push_back(dur);
  }
  for (const auto& [key, v] : values) {
    Summary s;
    for (auto x : v) {
      ++s.count;
      s.sum_ns += x;
      s.min_ns = std::min(s.min_ns, x);
      s.max_ns = std::max(s.max_ns, x);
      s.histogram.record(x);
    }
    const double mean = static_cast<double>(s.sum_ns) / static_cast<double>(s.count);
    for (auto x : v) s.m2 += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
    by_key[key] = s;
  }
  return by_key;
}

void expect_same(const Summary& folded, const Summary& want, const std::string& what) {
  EXPECT_EQ(folded.count, want.count) << what;
  EXPECT_EQ(folded.sum_ns, want.sum_ns) << what;
  EXPECT_EQ(folded.min_ns, want.min_ns) << what;
  EXPECT_EQ(folded.max_ns, want.max_ns) << what;
  EXPECT_TRUE(folded.histogram == want.histogram) << what;
  EXPECT_NEAR(folded.m2, want.m2, 1e-11 * want.m2 + 1e-9) << what;
}

void expect_fold_is_direct(const ThreadFold& fold, const std::vector<Row>& rows) {
  const auto want = direct(rows);
  std::size_t keys = 0;
  for (std::uint32_t l = 0; l < fold.labels.size(); ++l) {
    if (fold.labels[l].count == 0) continue;
    ++keys;
    ASSERT_TRUE(want.count(l)) << "label " << l;
    expect_same(fold.labels[l], want.at(l), "label " + std::to_string(l));
  }
  for (const auto& [pair, s] : fold.subcalls) {
    ++keys;
    const std::uint64_t key = pair | (std::uint64_t{1} << 63);
    ASSERT_TRUE(want.count(key)) << "pair " << pair;
    expect_same(s, want.at(key), "sub-call pair " + std::to_string(pair));
  }
  EXPECT_EQ(keys, want.size());
}

// ---- the fold ---------------------------------------------------------------------------------

TEST(ThreadFold, BlockByBlockEqualsOnePassOverEverything) {
  // Tight durations (1 ms +- 0.4%) are where sums of squares cancel; the fold must not.
  for (double scale : {80.0, 1e6, 3e9}) {
    const auto rows = make_rows(50'000, 7, scale);
    ThreadFold fold;
    RecordRows block;
    std::mt19937 sizes(3);
    std::size_t in_block = 0, limit = 1 + sizes() % 5000;
    for (const auto& r : rows) {
      record(block, r);
      if (++in_block == limit) {  // blocks of every size, 1 to 5000 calls
        fold.add(block);
        block.recycle();
        in_block = 0;
        limit = 1 + sizes() % 5000;
      }
    }
    fold.add(block);
    EXPECT_EQ(fold.calls, rows.size());
    expect_fold_is_direct(fold, rows);
  }
}

TEST(ThreadFold, SpreadOfTightDurationsIsExact) {
  // 1e6 values of 1e9 + (0 or 1) ns: the spread is known in closed form; a sum-of-squares
  // formula loses it entirely at this magnitude.
  ThreadFold fold;
  RecordRows block;
  const std::uint64_t n = 1'000'000;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (block.calls.push(i, 0, 1'000'000'000 + (i % 2), 0)) {
      fold.add(block);
      block.recycle();
    }
  }
  fold.add(block);
  ASSERT_EQ(fold.labels.size(), 1u);
  EXPECT_NEAR(fold.labels[0].m2, 0.25 * static_cast<double>(n), 1e-6 * static_cast<double>(n));
}

// ---- the stream -------------------------------------------------------------------------------

/// Fills `rec` with `rows` as a calling thread does: hand over when a block is full, at the end.
void fill(RecordStream& stream, ThreadRecord& rec, const std::vector<Row>& rows) {
  for (const auto& r : rows)
    if (rec.due(record(rec, r))) stream.hand_over(rec);
  stream.hand_over(rec);
}

TEST(RecordStream, EveryRowConsumedOnceInOrderWithinTheBudget) {
  constexpr int kThreads = 3;
  constexpr std::size_t kRows = 1024;  // the smallest block
  const std::size_t budget = RecordStream::least_budget(kThreads, kRows, false);
  std::vector<ThreadFold> folds(kThreads);
  std::vector<std::vector<std::uint64_t>> seen(kThreads);
  std::atomic<int> segments{0};
  RecordStream stream({budget, kRows, 1'000'000'000}, [&](std::unique_ptr<RecordSegment>& seg) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a slow consumer
    folds[seg->thread].add(seg->rows);
    seg->rows.calls.for_each_block([&](const gorgon::CallBlock& b, std::size_t used) {
      seen[seg->thread].insert(seen[seg->thread].end(), b.number.get(), b.number.get() + used);
    });
    ++segments;
  });
  std::vector<std::vector<Row>> rows;
  for (int t = 0; t < kThreads; ++t) rows.push_back(make_rows(40'000, 11 + t, 1e4));
  std::vector<ThreadRecord> recs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    recs[t].thread = t;
    stream.attach(recs[t], false);
  }
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { fill(stream, recs[t], rows[t]); });
  for (auto& th : threads) th.join();
  stream.drain();

  EXPECT_LE(stream.peak_bytes(), budget);
  EXPECT_GT(stream.waits(), 0u) << "a consumer this slow must make the threads wait";
  EXPECT_GE(segments.load(), kThreads * 39);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(recs[t].call_count(), rows[t].size());
    EXPECT_EQ(recs[t].calls.size(), 0u) << "every row was handed over";
    ASSERT_EQ(seen[t].size(), rows[t].size());
    for (std::size_t i = 0; i < rows[t].size(); ++i)
      ASSERT_EQ(seen[t][i], rows[t][i].number) << "thread " << t << " row " << i;
    expect_fold_is_direct(folds[t], rows[t]);
  }
}

TEST(RecordStream, SegmentsNameTheStringsTheThreadMetFirstInThem) {
  std::vector<std::string> names;
  RecordStream stream({RecordStream::least_budget(1, 1024, false), 1024, 1'000'000'000},
                      [&](std::unique_ptr<RecordSegment>& seg) {
                        EXPECT_EQ(seg->first_label, names.size());
                        names.insert(names.end(), seg->new_labels.begin(), seg->new_labels.end());
                      });
  ThreadRecord rec;
  stream.attach(rec, false);
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const auto label = rec.labels.intern("L" + std::to_string(i / 700));
    if (rec.calls.push(i, 0, 1, label)) stream.hand_over(rec);
  }
  stream.hand_over(rec);
  stream.drain();
  EXPECT_EQ(names, rec.labels.strings());
}

TEST(RecordStream, KeptSegmentsLeaveTheBudget) {
  // A consumer that keeps every segment (rows for a file written after the run): the threads
  // never wait for ever, whatever the budget.
  std::vector<std::unique_ptr<RecordSegment>> kept;
  RecordStream stream({RecordStream::least_budget(1, 1024, false), 1024, 1'000'000'000},
                      [&](std::unique_ptr<RecordSegment>& seg) { kept.push_back(std::move(seg)); });
  ThreadRecord rec;
  stream.attach(rec, false);
  const auto rows = make_rows(20'000, 5, 100);
  fill(stream, rec, rows);
  stream.drain();
  std::uint64_t n = 0;
  for (const auto& seg : kept) n += seg->rows.calls.size();
  EXPECT_EQ(n, rows.size());
}

TEST(RecordStream, ConsumerErrorIsRethrownByDrainAndNothingHangs) {
  int calls = 0;
  std::atomic<int> failures{0};
  RecordStream stream(
      {RecordStream::least_budget(1, 1024, false), 1024, 1'000'000'000},
      [&](std::unique_ptr<RecordSegment>&) {
        if (++calls == 2) throw std::runtime_error("disk full");
      },
      [&] { ++failures; });
  ThreadRecord rec;
  stream.attach(rec, false);
  fill(stream, rec, make_rows(30'000, 9, 100));  // many more segments than the budget holds
  EXPECT_THROW(
      {
        try {
          stream.drain();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "disk full");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_EQ(calls, 2) << "no segment is consumed after the consumer failed";
  EXPECT_EQ(failures.load(), 1) << "the failure is told once";
}

TEST(RecordStream, HandsOverWhenTheFlushIntervalHasPassed) {
  int segments = 0;
  RecordStream stream({RecordStream::least_budget(1, 1024, false), 1024, 0},
                      [&](std::unique_ptr<RecordSegment>&) { ++segments; });
  ThreadRecord rec;
  stream.attach(rec, false);
  for (std::uint64_t i = 0; i < 10; ++i) {
    rec.calls.push(i, 0, 1, 0);
    stream.hand_over_if_due(rec, gorgon::now_ns());
  }
  stream.drain();
  EXPECT_EQ(segments, 10) << "a flush interval of 0 hands every call over";
}

TEST(RecordStream, BlocksMadeInABurstAreFreedOnceTheConsumerCatchesUp) {
  // The consumer stalls while the thread hands over eight blocks: the stream makes more
  // segments (the budget has room), and frees all but the thread's spares afterwards, so a
  // long run's memory does not keep the high-water mark of its worst moment.
  const std::size_t three = RecordStream::least_budget(1, 1024, false);  // block + 2 spares
  std::atomic<bool> go{false};
  RecordStream stream({10 * three, 1024, 1'000'000'000}, [&](std::unique_ptr<RecordSegment>&) {
    while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  ThreadRecord rec;
  stream.attach(rec, false);
  EXPECT_EQ(stream.held_bytes(), three) << "the thread's block and two spares, made at attach";
  const auto rows = make_rows(8 * 1024, 3, 100);
  for (const auto& r : rows)
    if (rec.due(record(rec, r))) stream.hand_over(rec);
  EXPECT_GE(stream.held_bytes(), 3 * three) << "the burst made segments of its own";
  go = true;
  stream.drain();
  EXPECT_EQ(stream.waits(), 0u);
  EXPECT_EQ(stream.held_bytes(), three) << "back to the thread's block and its spares";
}

TEST(RecordStream, TooSmallABudgetIsAConfigError) {
  RecordStream stream({1000, 1024, 1'000'000'000}, [](std::unique_ptr<RecordSegment>&) {});
  ThreadRecord rec;
  EXPECT_THROW(stream.attach(rec, false), gorgon::ConfigError);
}

}  // namespace
