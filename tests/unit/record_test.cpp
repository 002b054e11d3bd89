// Per-thread records: string interning, blocked columns and measurement scopes.
#include "gorgon/record/record.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gorgon/base/clock.hpp"
#include "gorgon/op/context.hpp"

namespace {

using gorgon::CallBlock;
using gorgon::CallColumns;
using gorgon::StringTable;
using gorgon::SubCallBlock;
using gorgon::SubCallColumns;

// ---- StringTable -----------------------------------------------------------------------------

TEST(StringTable, FirstSeenFirstNumbered) {
  StringTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.intern("SUCCESS"), 0u);
  EXPECT_EQ(t.intern("FAIL"), 1u);
  EXPECT_EQ(t.intern("SUCCESS"), 0u);
  EXPECT_EQ(t.intern("200"), 2u);
  EXPECT_EQ(t.intern("FAIL"), 1u);
  EXPECT_EQ(t.intern(""), 3u);  // the empty label is a label like any other
  EXPECT_EQ(t.intern(""), 3u);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.strings(), (std::vector<std::string>{"SUCCESS", "FAIL", "200", ""}));
}

TEST(StringTable, RepeatsHitTheCacheAndSwitchesStayCorrect) {
  StringTable t;
  // Alternating and repeated lookups: the one-entry cache must never return a stale id.
  const char* seq[] = {"a", "a", "a", "b", "b", "a", "c", "a", "c", "c", "b", "a"};
  const std::uint32_t want[] = {0, 0, 0, 1, 1, 0, 2, 0, 2, 2, 1, 0};
  for (std::size_t i = 0; i < std::size(seq); ++i) EXPECT_EQ(t.intern(seq[i]), want[i]) << i;
  EXPECT_EQ(t.size(), 3u);
}

TEST(StringTable, KeepsItsOwnCopies) {
  StringTable t;
  std::string buf = "label one";
  EXPECT_EQ(t.intern(buf), 0u);
  buf = "label two";  // the caller's buffer changes; the table's string must not
  EXPECT_EQ(t.intern(buf), 1u);
  EXPECT_EQ(t.strings()[0], "label one");
  EXPECT_EQ(t.intern("label one"), 0u);
}

TEST(StringTable, IdsStableAcrossGrowth) {
  StringTable t;
  // Enough strings to reallocate the vector and rehash the map many times; long strings so
  // no small-string buffer hides a dangling view.
  constexpr std::uint32_t n = 5'000;
  auto name = [](std::uint32_t i) {
    return "exception: something went wrong #" + std::to_string(i);
  };
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(t.intern(name(i)), i);
  for (std::uint32_t i = n; i-- > 0;) ASSERT_EQ(t.intern(name(i)), i);
  for (std::uint32_t i = 0; i < n; i += 7) ASSERT_EQ(t.intern(name(i)), i);
  ASSERT_EQ(t.size(), n);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(t.strings()[i], name(i));
}

// ---- blocked columns --------------------------------------------------------------------------

TEST(CallColumns, ManyRowsAcrossBlocksReadBackInOrder) {
  CallColumns c;
  constexpr std::size_t n = 300'000;  // blocks of 1024, 2048, ... 65536, 65536, ...
  for (std::size_t i = 0; i < n; ++i)
    c.push(1'000'000 + i, 10 * i, i % 977, static_cast<std::uint32_t>(i % 13));
  EXPECT_EQ(c.size(), n);

  std::size_t row = 0, blocks = 0, expected_cap = CallColumns::kFirstBlock;
  c.for_each_block([&](const CallBlock& b, std::size_t used) {
    EXPECT_EQ(b.capacity, expected_cap) << "block " << blocks;
    EXPECT_LE(used, b.capacity);
    expected_cap = std::min(expected_cap * 2, CallColumns::kMaxBlock);
    for (std::size_t i = 0; i < used; ++i, ++row) {
      ASSERT_EQ(b.number[i], 1'000'000 + row);
      ASSERT_EQ(b.start_ns[i], 10 * row);
      ASSERT_EQ(b.duration_ns[i], row % 977);
      ASSERT_EQ(b.label[i], row % 13);
    }
    ++blocks;
  });
  EXPECT_EQ(row, n);
  // 1024 + 2048 + ... + 65536 = 130048 rows in 7 blocks, then 65536 per block.
  EXPECT_EQ(blocks, 7u + (n - 130'048 + 65'535) / 65'536);
}

TEST(CallColumns, ExactBlockBoundaries) {
  for (std::size_t n : {0u, 1u, 1'023u, 1'024u, 1'025u, 3'072u, 3'073u}) {
    CallColumns c;
    for (std::size_t i = 0; i < n; ++i) c.push(i, 0, 0, 0);
    std::size_t seen = 0, blocks = 0;
    std::vector<std::size_t> used_per_block;
    c.for_each_block([&](const CallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i) EXPECT_EQ(b.number[i], seen + i);
      seen += used;
      used_per_block.push_back(used);
      ++blocks;
    });
    EXPECT_EQ(seen, n) << n;
    // A block is added only when a row needs it: no empty trailing block.
    if (n > 0) {
      EXPECT_GT(used_per_block.back(), 0u) << n;
    }
    EXPECT_EQ(blocks, n == 0 ? 0u : n <= 1'024 ? 1u : n <= 3'072 ? 2u : 3u) << n;
  }
}

std::size_t blocks_with_rows(const CallColumns& c) {
  std::size_t n = 0;
  c.for_each_block([&](const CallBlock&, std::size_t) { ++n; });
  return n;
}

TEST(CallColumns, ReserveMakesRoomUpFront) {
  constexpr std::size_t row = CallBlock::kRowBytes;
  CallColumns c;
  c.reserve(5'000);  // one block sized to the request
  EXPECT_EQ(c.bytes_reserved(), 5'000 * row);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(blocks_with_rows(c), 0u);  // reserved blocks hold no rows yet: not visited
  for (std::size_t i = 0; i < 10; ++i) c.push(i, i, i, 0);
  c.reserve(4'990);  // exactly the room left: nothing added
  EXPECT_EQ(c.bytes_reserved(), 5'000 * row);
  c.reserve(100'000);  // 4990 left: blocks for the 95010 missing rows, none past kMaxBlock
  EXPECT_EQ(c.bytes_reserved(), 100'010 * row);

  // Filling exactly the reserved rows allocates nothing more, and reads back in order.
  for (std::size_t i = 10; i < 100'010; ++i) c.push(i, i, i, 1);
  EXPECT_EQ(c.bytes_reserved(), 100'010 * row);
  std::size_t seen = 0;
  c.for_each_block([&](const CallBlock& b, std::size_t used) {
    EXPECT_LE(b.capacity, CallColumns::kMaxBlock);
    EXPECT_EQ(used, b.capacity);  // every reserved block is full now
    for (std::size_t i = 0; i < used; ++i, ++seen) ASSERT_EQ(b.number[i], seen);
  });
  EXPECT_EQ(seen, 100'010u);
  c.push(100'010, 0, 0, 2);  // one more: a block on demand
  EXPECT_GT(c.bytes_reserved(), 100'010 * row);
  EXPECT_EQ(c.size(), 100'011u);

  CallColumns big;
  big.reserve(1'000'000);
  EXPECT_EQ(big.bytes_reserved(), 1'000'000 * row);
  for (std::size_t i = 0; i < 1'000'000; ++i) big.push(i, 0, 0, 0);
  EXPECT_EQ(big.bytes_reserved(), 1'000'000 * row);
  EXPECT_EQ(blocks_with_rows(big),
            (1'000'000 + CallColumns::kMaxBlock - 1) / CallColumns::kMaxBlock);
}

TEST(CallColumns, Clear) {
  CallColumns c;
  for (std::size_t i = 0; i < 3'000; ++i) c.push(i, 0, 0, 0);
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes_reserved(), 0u);
  EXPECT_EQ(blocks_with_rows(c), 0u);
  c.push(42, 1, 2, 3);  // usable again after clear
  std::size_t rows = 0;
  c.for_each_block([&](const CallBlock& b, std::size_t used) {
    ASSERT_EQ(used, 1u);
    EXPECT_EQ(b.number[0], 42u);
    EXPECT_EQ(b.start_ns[0], 1u);
    EXPECT_EQ(b.duration_ns[0], 2u);
    EXPECT_EQ(b.label[0], 3u);
    rows += used;
  });
  EXPECT_EQ(rows, 1u);
}

TEST(SubCallColumns, ManyRowsAcrossBlocksReadBackInOrder) {
  SubCallColumns s;
  constexpr std::size_t n = 150'000;
  // push(call_number, name, start, duration): a different argument order from CallColumns.
  for (std::size_t i = 0; i < n; ++i)
    s.push(i / 3, static_cast<std::uint32_t>(i % 3), 5 * i, 7 * i + 1);
  EXPECT_EQ(s.size(), n);
  std::size_t row = 0;
  s.for_each_block([&](const SubCallBlock& b, std::size_t used) {
    for (std::size_t i = 0; i < used; ++i, ++row) {
      ASSERT_EQ(b.call_number[i], row / 3);
      ASSERT_EQ(b.name[i], row % 3);
      ASSERT_EQ(b.start_ns[i], 5 * row);
      ASSERT_EQ(b.duration_ns[i], 7 * row + 1);
    }
  });
  EXPECT_EQ(row, n);
}

TEST(DelayColumns, ReadBackInOrder) {
  gorgon::DelayColumns d;
  for (std::uint64_t i = 0; i < 5'000; ++i) d.push(i * 3);
  EXPECT_EQ(d.size(), 5'000u);
  std::uint64_t row = 0;
  d.for_each_block([&](const gorgon::DelayBlock& b, std::size_t used) {
    for (std::size_t i = 0; i < used; ++i, ++row) ASSERT_EQ(b.delay_ns[i], row * 3);
  });
  EXPECT_EQ(row, 5'000u);
}

// ---- Context and Measurement ------------------------------------------------------------------

struct SubCallRow {
  std::uint64_t call_number, start, duration;
  std::uint32_t name;
};

std::vector<SubCallRow> rows_of(const gorgon::ThreadRecord& rec) {
  std::vector<SubCallRow> rows;
  rec.subcalls.for_each_block([&](const SubCallBlock& b, std::size_t used) {
    for (std::size_t i = 0; i < used; ++i)
      rows.push_back({b.call_number[i], b.start_ns[i], b.duration_ns[i], b.name[i]});
  });
  return rows;
}

TEST(Context, Accessors) {
  gorgon::ThreadRecord rec;
  gorgon::Context ctx(rec, 3, 1, 4, 8);
  EXPECT_EQ(ctx.rank(), 3);
  EXPECT_EQ(ctx.thread(), 1);
  EXPECT_EQ(ctx.ranks(), 4);
  EXPECT_EQ(ctx.threads(), 8);
  EXPECT_EQ(ctx.number(), 0u);
  ctx.set_number(99);
  EXPECT_EQ(ctx.number(), 99u);
}

TEST(Context, MeasurementRecordsOnScopeExit) {
  gorgon::ThreadRecord rec;
  gorgon::Context ctx(rec, 0, 0, 1, 1);
  ctx.set_number(42);
  const std::uint64_t before = gorgon::now_ns();
  {
    auto m = ctx.measurement("db query");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(rec.subcalls.size(), 0u);  // nothing until the scope ends
  }
  const std::uint64_t after = gorgon::now_ns();
  const auto rows = rows_of(rec);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].call_number, 42u);
  EXPECT_EQ(rows[0].name, 0u);
  EXPECT_EQ(rec.subcall_names.strings(), std::vector<std::string>{"db query"});
  EXPECT_GE(rows[0].start, before);
  EXPECT_GE(rows[0].duration, 2'000'000u);
  EXPECT_LE(rows[0].start + rows[0].duration, after);
}

TEST(Context, NamesAreInternedAndCallNumbersFollowTheCall) {
  gorgon::ThreadRecord rec;
  gorgon::Context ctx(rec, 0, 0, 1, 1);
  for (std::uint64_t n = 10; n < 13; ++n) {
    ctx.set_number(n);
    auto a = ctx.measurement("connect");
    { auto b = ctx.measurement("read"); }
  }  // per call: "read" ends first, then "connect"
  const auto rows = rows_of(rec);
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(rows[i].call_number, 10 + i / 2) << i;
    EXPECT_EQ(rows[i].name, i % 2 == 0 ? 1u : 0u) << i;  // connect = 0, read = 1
  }
  EXPECT_EQ(rec.subcall_names.strings(), (std::vector<std::string>{"connect", "read"}));
}

TEST(Context, StopEndsTheSubCallEarlyAndOnlyOnce) {
  gorgon::ThreadRecord rec;
  gorgon::Context ctx(rec, 0, 0, 1, 1);
  ctx.set_number(7);
  std::uint64_t stopped_at = 0;
  {
    auto m = ctx.measurement("early");
    m.stop();
    stopped_at = gorgon::now_ns();
    EXPECT_EQ(rec.subcalls.size(), 1u);  // recorded at stop(), not at scope end
    m.stop();                            // a second stop does nothing
    EXPECT_EQ(rec.subcalls.size(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto rows = rows_of(rec);
  ASSERT_EQ(rows.size(), 1u);  // and neither does scope exit
  EXPECT_EQ(rows[0].call_number, 7u);
  EXPECT_LE(rows[0].start + rows[0].duration, stopped_at);  // the 5 ms sleep is not in it
}

TEST(Context, MovedMeasurementRecordsOnce) {
  gorgon::ThreadRecord rec;
  gorgon::Context ctx(rec, 0, 0, 1, 1);
  ctx.set_number(5);
  {
    auto a = ctx.measurement("moved");
    ctx.set_number(6);  // the sub-call belongs to the call that started it
    gorgon::Measurement b(std::move(a));
  }
  const auto rows = rows_of(rec);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].call_number, 5u);
}

}  // namespace
