#pragma once
// Per-thread columnar buffers of calls and sub-calls. One ThreadRecord belongs to exactly one
// OpenMP thread during a run: no locks. Storage grows in blocks, so steady state allocates
// once per block (thousands of calls), never per call, and nothing is ever copied on growth.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gorgon {

/// Interns strings (labels, sub-call names) to dense ids, first seen first numbered.
class StringTable {
 public:
  /// The id of `text`, adding it when new. The previous hit is cached, since most calls of a
  /// run repeat the label of the call before.
  std::uint32_t intern(std::string_view text) {
    if (last_ < strings_.size() && strings_[last_] == text) return last_;
    auto it = ids_.find(text);
    if (it != ids_.end()) return last_ = it->second;
    return last_ = add(text);
  }
  [[nodiscard]] const std::vector<std::string>& strings() const noexcept { return strings_; }
  [[nodiscard]] std::size_t size() const noexcept { return strings_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::uint32_t add(std::string_view text);

  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
  std::uint32_t last_ = 0;
};

/// A growable set of equal-length columns stored in blocks (structure of arrays per block).
/// reserve() allocates and touches the blocks for an expected row count up front, so that
/// the timed loop takes no page faults and no allocations for them; past that, blocks are
/// added on demand, doubling up to kMaxBlock rows. Rows are never moved.
template <typename Block>
class BlockedColumns {
 public:
  static constexpr std::size_t kFirstBlock = 1024;
  static constexpr std::size_t kMaxBlock = 1u << 16;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Visits every block holding rows, in order, as (block, rows used in it).
  template <typename F>
  void for_each_block(F&& f) const {
    for (std::size_t i = 0; i < blocks_.size() && i <= current_; ++i) {
      const std::size_t used = i < current_ ? blocks_[i]->capacity : fill_;
      if (used > 0) f(*blocks_[i], used);
    }
  }
  /// Makes room for `rows` more rows now: blocks allocated and their pages touched.
  void reserve(std::size_t rows) {
    std::size_t room = 0;
    for (std::size_t i = current_; i < blocks_.size(); ++i)
      room += blocks_[i]->capacity - (i == current_ ? fill_ : 0);
    while (room < rows) {
      const std::size_t cap = std::min(kMaxBlock, std::max(kFirstBlock, rows - room));
      blocks_.push_back(std::make_unique<Block>(cap));
      blocks_.back()->touch();
      room += cap;
    }
  }
  void clear() {
    blocks_.clear();
    recycle();
  }
  /// Forgets the rows but keeps the blocks (and their touched pages) for new ones.
  void recycle() noexcept {
    current_ = 0;
    size_ = 0;
    fill_ = 0;
  }
  [[nodiscard]] std::size_t bytes_reserved() const noexcept {
    std::size_t b = 0;
    for (auto& blk : blocks_) b += blk->capacity * Block::kRowBytes;
    return b;
  }

 protected:
  /// The block and row index the next append goes to.
  Block& next_slot(std::size_t& row) {
    if (blocks_.empty() || fill_ == blocks_[current_]->capacity) advance();
    row = fill_++;
    ++size_;
    return *blocks_[current_];
  }

 private:
  void advance() {
    if (!blocks_.empty()) ++current_;
    fill_ = 0;
    if (current_ < blocks_.size()) return;
    const std::size_t cap =
        blocks_.empty() ? kFirstBlock : std::min(kMaxBlock, blocks_.back()->capacity * 2);
    blocks_.push_back(std::make_unique<Block>(cap));
  }
  std::vector<std::unique_ptr<Block>> blocks_;
  std::size_t current_ = 0;  ///< the block being filled
  std::size_t size_ = 0;
  std::size_t fill_ = 0;  ///< rows used in blocks_[current_]
};

namespace detail {
/// Writes one element per page so the kernel maps the pages now, not in the timed loop.
/// (Volatile: a plain zero-fill may be turned into calloc, which maps nothing.)
template <typename T>
void touch_pages(T* data, std::size_t n) noexcept {
  constexpr std::size_t kStep = 4096 / sizeof(T);
  volatile T* p = data;
  for (std::size_t i = 0; i < n; i += kStep) p[i] = static_cast<T>(~T{});
  if (n > 0) p[n - 1] = static_cast<T>(~T{});
}
}  // namespace detail

/// One block of call records: number, start, duration and label id of each call.
struct CallBlock {
  static constexpr std::size_t kRowBytes = 8 + 8 + 8 + 4;
  explicit CallBlock(std::size_t cap)
      : capacity(cap),
        number(new std::uint64_t[cap]),
        start_ns(new std::uint64_t[cap]),
        duration_ns(new std::uint64_t[cap]),
        label(new std::uint32_t[cap]) {}
  void touch() noexcept {
    detail::touch_pages(number.get(), capacity);
    detail::touch_pages(start_ns.get(), capacity);
    detail::touch_pages(duration_ns.get(), capacity);
    detail::touch_pages(label.get(), capacity);
  }
  std::size_t capacity;
  std::unique_ptr<std::uint64_t[]> number, start_ns, duration_ns;
  std::unique_ptr<std::uint32_t[]> label;
};

/// One block of sub-call records: the call's number, name id, start and duration.
struct SubCallBlock {
  static constexpr std::size_t kRowBytes = 8 + 8 + 8 + 4;
  explicit SubCallBlock(std::size_t cap)
      : capacity(cap),
        call_number(new std::uint64_t[cap]),
        start_ns(new std::uint64_t[cap]),
        duration_ns(new std::uint64_t[cap]),
        name(new std::uint32_t[cap]) {}
  void touch() noexcept {
    detail::touch_pages(call_number.get(), capacity);
    detail::touch_pages(start_ns.get(), capacity);
    detail::touch_pages(duration_ns.get(), capacity);
    detail::touch_pages(name.get(), capacity);
  }
  std::size_t capacity;
  std::unique_ptr<std::uint64_t[]> call_number, start_ns, duration_ns;
  std::unique_ptr<std::uint32_t[]> name;
};

/// One block of start delays (rate mode: how late each call started against its schedule).
struct DelayBlock {
  static constexpr std::size_t kRowBytes = 8;
  explicit DelayBlock(std::size_t cap) : capacity(cap), delay_ns(new std::uint64_t[cap]) {}
  void touch() noexcept { detail::touch_pages(delay_ns.get(), capacity); }
  std::size_t capacity;
  std::unique_ptr<std::uint64_t[]> delay_ns;
};

class DelayColumns : public BlockedColumns<DelayBlock> {
 public:
  void push(std::uint64_t delay) {
    std::size_t row;
    next_slot(row).delay_ns[row] = delay;
  }
};

class CallColumns : public BlockedColumns<CallBlock> {
 public:
  /// Appends a row; true when it filled its block.
  bool push(std::uint64_t number, std::uint64_t start, std::uint64_t duration,
            std::uint32_t label) {
    std::size_t row;
    CallBlock& b = next_slot(row);
    b.number[row] = number;
    b.start_ns[row] = start;
    b.duration_ns[row] = duration;
    b.label[row] = label;
    return row + 1 == b.capacity;
  }
};

class SubCallColumns : public BlockedColumns<SubCallBlock> {
 public:
  void push(std::uint64_t call_number, std::uint32_t name, std::uint64_t start,
            std::uint64_t duration) {
    std::size_t row;
    SubCallBlock& b = next_slot(row);
    b.call_number[row] = call_number;
    b.name[row] = name;
    b.start_ns[row] = start;
    b.duration_ns[row] = duration;
  }
};

/// The rows of one thread between two hand-overs to its rank's RecordStream: calls, the
/// sub-calls those calls made (a thread records a call's sub-calls just before the call, and
/// hands its rows over only after a call's row, so no call is parted from its sub-calls),
/// and, in rate mode, one start delay per call.
struct RecordRows {
  CallColumns calls;
  SubCallColumns subcalls;
  /// Rate mode only, one row per call: actual start minus intended start. (In rate mode a
  /// call's start_ns is its intended start and its duration counts from there.)
  DelayColumns delays;

  [[nodiscard]] std::size_t bytes_reserved() const noexcept {
    return calls.bytes_reserved() + subcalls.bytes_reserved() + delays.bytes_reserved();
  }
  /// After a call's row: whether the rows are due to be handed over (its call block is full,
  /// `call_block_full`, or its sub-calls fill a block of the largest size).
  [[nodiscard]] bool due(bool call_block_full) const noexcept {
    return call_block_full || subcalls.size() >= SubCallColumns::kMaxBlock;
  }
  void recycle() noexcept {
    calls.recycle();
    subcalls.recycle();
    delays.recycle();
  }
};

class RecordStream;

/// A thread's rows as handed over: which thread and phase made them, and the strings the
/// thread met first in them (its label ids first_label.., sub-call name ids first_name..),
/// so that a reader of the segments alone can name every id.
struct RecordSegment {
  int thread = 0;
  bool warmup = false;
  RecordRows rows;
  std::uint32_t first_label = 0, first_name = 0;
  std::vector<std::string> new_labels, new_names;
};

/// Everything one thread of one rank recorded during a run. Without a stream every row stays
/// here; with one, the rows are handed over a block at a time (hand_over) and only the block
/// being filled stays, while `handed_calls` counts the rest.
struct ThreadRecord : RecordRows {
  int rank = 0;
  int thread = 0;
  bool warmup = false;
  StringTable labels;         ///< call labels, ids local to this thread
  StringTable subcall_names;  ///< sub-call names, ids local to this thread
  std::uint64_t busy_ns = 0;  ///< sum of call durations
  std::uint64_t first_start_ns = 0;
  std::uint64_t last_end_ns = 0;
  RecordStream* stream = nullptr;       ///< where full blocks go (none: they stay here)
  std::uint64_t handed_calls = 0;       ///< calls already handed to the stream
  std::uint64_t stream_wait_ns = 0;     ///< time this thread waited for the stream's budget
  std::uint64_t last_hand_over_ns = 0;  ///< when this thread last handed rows over
  std::size_t stream_bytes = 0;         ///< its blocks' bytes as the stream counts them
  std::uint32_t labels_handed = 0, names_handed = 0;  ///< strings already in a segment

  /// Every call this thread made, handed over or not.
  [[nodiscard]] std::uint64_t call_count() const noexcept { return handed_calls + calls.size(); }
};

}  // namespace gorgon
