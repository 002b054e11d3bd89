#include "gorgon/record/stream.hpp"

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/base/units.hpp"

namespace gorgon {
namespace {

/// Freed row blocks back to the system (they are large, and freed rarely: after a burst the
/// consumer caught up with), so the rank's resident memory shrinks back after the burst.
void give_back_memory() noexcept {
#ifdef __GLIBC__
  (void)::malloc_trim(0);
#endif
}

}  // namespace

std::size_t RecordStream::least_budget(int records, std::size_t block_rows, bool paced) noexcept {
  const std::size_t row = CallBlock::kRowBytes + (paced ? DelayBlock::kRowBytes : 0);
  // A segment's sub-calls: their first block (more as they grow, counted then).
  const std::size_t subcalls = kSubcallRows * SubCallBlock::kRowBytes;
  return 3 * (block_rows * row + subcalls) * static_cast<std::size_t>(std::max(records, 1));
}

RecordStream::RecordStream(Settings settings, Consumer consume, std::function<void()> on_failure)
    : settings_(settings), consume_(std::move(consume)), on_failure_(std::move(on_failure)) {
  // Blocks are never smaller than the columns' first block, so the budget counts real blocks.
  settings_.block_rows =
      std::clamp(settings_.block_rows, CallColumns::kFirstBlock, CallColumns::kMaxBlock);
  thread_ = std::thread([this] { consume_all(); });
}

RecordStream::~RecordStream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  freed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t RecordStream::block_bytes(bool paced) const noexcept {
  return settings_.block_rows * (CallBlock::kRowBytes + (paced ? DelayBlock::kRowBytes : 0)) +
         kSubcallRows * SubCallBlock::kRowBytes;
}

std::unique_ptr<RecordSegment> RecordStream::fresh_segment(bool paced, std::size_t rows) const {
  auto seg = std::make_unique<RecordSegment>();
  seg->rows.calls.reserve(rows);
  seg->rows.subcalls.reserve(kSubcallRows);
  if (paced) seg->rows.delays.reserve(rows);
  return seg;
}

void RecordStream::attach(ThreadRecord& rec, bool paced, std::size_t rows) {
  rows = rows == 0 ? settings_.block_rows : std::min(rows, settings_.block_rows);
  // The thread's own block and two spares (one queued, one being consumed), made and
  // touched now: the rank's memory does not grow while a run keeps pace with its consumer.
  const std::size_t need = 3 * block_bytes(paced);
  {
    std::lock_guard lock(mutex_);
    if (bytes_ + need > settings_.budget_bytes)
      throw ConfigError("the record budget of " + format_bytes(settings_.budget_bytes) +
                        " is too small for this rank's threads (" +
                        format_bytes(least_budget(1, settings_.block_rows, paced)) +
                        " each at least; see --memory)");
    bytes_ += need;
    peak_ = std::max(peak_, bytes_);
  }
  rec.calls.reserve(rows);
  rec.subcalls.reserve(kSubcallRows);
  if (paced) rec.delays.reserve(rows);
  rec.stream_bytes = rec.bytes_reserved();
  rec.stream = this;
  rec.last_hand_over_ns = now_ns();
  std::unique_ptr<RecordSegment> spares[kSpares];
  for (auto& spare : spares) spare = fresh_segment(paced, rows);
  std::lock_guard lock(mutex_);
  bytes_ += rec.stream_bytes;
  for (auto& spare : spares) {
    bytes_ += spare->rows.bytes_reserved();
    free_.push_back(std::move(spare));
  }
  bytes_ -= need;
  peak_ = std::max(peak_, bytes_);
  spares_ += kSpares;
}

std::unique_ptr<RecordSegment> RecordStream::take_free(std::unique_lock<std::mutex>& lock,
                                                       ThreadRecord& rec) {
  const bool paced = rec.delays.bytes_reserved() > 0;
  auto room = [&] { return bytes_ + block_bytes(paced) <= settings_.budget_bytes; };
  if (free_.empty() && !room()) {
    ++waits_;
    const std::uint64_t t0 = now_ns();
    freed_.wait(lock, [&] { return !free_.empty() || room() || stopping_; });
    rec.stream_wait_ns += now_ns() - t0;
  }
  if (!free_.empty()) {
    auto seg = std::move(free_.back());
    free_.pop_back();
    return seg;
  }
  // Room in the budget: a new segment, made outside the lock; its room is held meanwhile.
  bytes_ += block_bytes(paced);
  lock.unlock();
  auto seg = fresh_segment(paced, settings_.block_rows);
  lock.lock();
  bytes_ = bytes_ - block_bytes(paced) + seg->rows.bytes_reserved();
  peak_ = std::max(peak_, bytes_);
  return seg;
}

void RecordStream::hand_over(ThreadRecord& rec) {
  rec.last_hand_over_ns = now_ns();
  if (rec.calls.size() == 0 && rec.subcalls.size() == 0) return;
  std::unique_lock lock(mutex_);
  std::unique_ptr<RecordSegment> seg = take_free(lock, rec);
  lock.unlock();
  std::swap(seg->rows, static_cast<RecordRows&>(rec));
  seg->thread = rec.thread;
  seg->warmup = rec.warmup;
  seg->first_label = rec.labels_handed;
  seg->first_name = rec.names_handed;
  const auto& labels = rec.labels.strings();
  const auto& names = rec.subcall_names.strings();
  seg->new_labels.assign(labels.begin() + rec.labels_handed, labels.end());
  seg->new_names.assign(names.begin() + rec.names_handed, names.end());
  rec.labels_handed = static_cast<std::uint32_t>(labels.size());
  rec.names_handed = static_cast<std::uint32_t>(names.size());
  rec.handed_calls += seg->rows.calls.size();
  const std::size_t full = seg->rows.bytes_reserved(), fresh = rec.bytes_reserved();
  lock.lock();
  // The handed rows may have grown (sub-call blocks); the fresh blocks were counted as free.
  bytes_ = bytes_ + full - rec.stream_bytes;
  peak_ = std::max(peak_, bytes_);
  rec.stream_bytes = fresh;
  queue_.push_back(std::move(seg));
  lock.unlock();
  queued_.notify_one();
}

void RecordStream::consume_all() {
  bool failed = false;
  for (;;) {
    std::unique_lock lock(mutex_);
    queued_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;
    std::unique_ptr<RecordSegment> seg = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    const std::size_t bytes = seg->rows.bytes_reserved();
    if (!failed) {
      try {
        consume_(seg);
      } catch (...) {
        failed = true;
        lock.lock();
        error_ = std::current_exception();
        lock.unlock();
        if (on_failure_) on_failure_();
      }
    }
    lock.lock();
    std::unique_ptr<RecordSegment> extra;  // made in a burst, beyond the threads' spares
    if (!seg) {
      bytes_ -= bytes;  // kept by the consumer: out of the budget
    } else if (free_.size() >= spares_) {
      bytes_ -= bytes;
      extra = std::move(seg);
    } else {
      seg->rows.recycle();
      seg->new_labels.clear();
      seg->new_names.clear();
      free_.push_back(std::move(seg));
    }
    --busy_;
    lock.unlock();
    freed_.notify_all();
    if (extra) {
      extra.reset();
      give_back_memory();
    }
  }
}

void RecordStream::drain() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
  if (error_) std::rethrow_exception(error_);
}

std::size_t RecordStream::peak_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

std::size_t RecordStream::held_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::uint64_t RecordStream::waits() const {
  std::lock_guard lock(mutex_);
  return waits_;
}

}  // namespace gorgon
