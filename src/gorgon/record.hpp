#pragma once
// Per-thread columnar buffers of calls and sub-calls. One ThreadRecord belongs to exactly one
// OpenMP thread during a run: no locks. Storage grows in blocks, so steady state allocates
// once per block (thousands of calls), never per call, and nothing is ever copied on growth.
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

/// A growable set of equal-length columns stored in blocks. `Row` is a plain struct of the
/// column values; block b holds one array per column (structure of arrays).
template <typename Block>
class BlockedColumns {
 public:
  static constexpr std::size_t kFirstBlock = 1024;
  static constexpr std::size_t kMaxBlock = 1u << 16;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Visits every block as (block, rows used in it).
  template <typename F>
  void for_each_block(F&& f) const {
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      const std::size_t used = i + 1 < blocks_.size() ? blocks_[i]->capacity : fill_;
      f(*blocks_[i], used);
    }
  }
  /// Reserves room so that the next `rows` appends allocate at most one block.
  void reserve(std::size_t rows) {
    if (blocks_.empty() || fill_ == blocks_.back()->capacity) add_block(rows);
  }
  void clear() {
    blocks_.clear();
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
    if (blocks_.empty() || fill_ == blocks_.back()->capacity) add_block(0);
    row = fill_++;
    ++size_;
    return *blocks_.back();
  }

 private:
  void add_block(std::size_t hint) {
    std::size_t cap = blocks_.empty() ? kFirstBlock : blocks_.back()->capacity * 2;
    if (hint > cap) cap = hint;
    if (cap > kMaxBlock) cap = kMaxBlock;
    blocks_.push_back(std::make_unique<Block>(cap));
    fill_ = 0;
  }
  std::vector<std::unique_ptr<Block>> blocks_;
  std::size_t size_ = 0;
  std::size_t fill_ = 0;
};

/// One block of call records: number, start, duration and label id of each call.
struct CallBlock {
  static constexpr std::size_t kRowBytes = 8 + 8 + 8 + 4;
  explicit CallBlock(std::size_t cap)
      : capacity(cap),
        number(new std::uint64_t[cap]),
        start_ns(new std::uint64_t[cap]),
        duration_ns(new std::uint64_t[cap]),
        label(new std::uint32_t[cap]) {}
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
  std::size_t capacity;
  std::unique_ptr<std::uint64_t[]> call_number, start_ns, duration_ns;
  std::unique_ptr<std::uint32_t[]> name;
};

class CallColumns : public BlockedColumns<CallBlock> {
 public:
  void push(std::uint64_t number, std::uint64_t start, std::uint64_t duration,
            std::uint32_t label) {
    std::size_t row;
    CallBlock& b = next_slot(row);
    b.number[row] = number;
    b.start_ns[row] = start;
    b.duration_ns[row] = duration;
    b.label[row] = label;
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

/// Everything one thread of one rank recorded during a run.
struct ThreadRecord {
  int rank = 0;
  int thread = 0;
  CallColumns calls;
  SubCallColumns subcalls;
  StringTable labels;          ///< call labels, ids local to this thread
  StringTable subcall_names;   ///< sub-call names, ids local to this thread
  std::uint64_t busy_ns = 0;   ///< sum of call durations
  std::uint64_t first_start_ns = 0;
  std::uint64_t last_end_ns = 0;
};

}  // namespace gorgon
