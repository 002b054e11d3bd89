#pragma once
// A rank's stream of recorded rows. While a run goes, each calling thread hands over its
// rows a block at a time (when its call block is full, or when it last did so a flush
// interval ago); one background thread per rank gives every segment to a consumer (the
// fold into the statistics, the spill to disk), empties it, and hands its blocks back to
// the threads. Memory is bounded: all the row blocks of the rank, in the threads, queued
// and free, stay within a budget, and a thread that would need more waits, timed, until the
// consumer hands a segment back. No row is ever dropped.
//
//     RecordStream stream({budget, block_rows, flush_ns}, [&](RecordSegment& s) { fold(s); });
//     stream.attach(rec);                   // on the thread that fills rec, before the run
//     if (rec.calls.push(...)) stream.hand_over(rec);     // in the loop: a full block
//     stream.hand_over(rec);                // the thread's last rows, after its loop
//     stream.drain();                       // every segment consumed (or its error thrown)
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gorgon/record/record.hpp"

namespace gorgon {

class RecordStream {
 public:
  /// What is done with each segment, on the stream's own thread, in hand-over order. It may
  /// take the segment (leave the pointer empty) to keep its rows; its blocks then leave the
  /// stream's budget.
  using Consumer = std::function<void(std::unique_ptr<RecordSegment>&)>;

  struct Settings {
    std::size_t budget_bytes = std::size_t{1} << 30;  ///< the rank's row blocks, at most
    std::size_t block_rows = CallColumns::kMaxBlock;  ///< calls per block handed over
    std::uint64_t flush_ns = 2'000'000'000;           ///< hand over at least this often
  };

  /// Sub-call rows a segment starts with (they grow by blocks, up to a largest block's worth
  /// before the thread hands its rows over: after a call's own row, so a call's sub-calls
  /// stay with it). The budget counts them as they grow.
  static constexpr std::size_t kSubcallRows = SubCallColumns::kFirstBlock;
  /// Free segments made for each thread when it attaches, and kept between bursts.
  static constexpr std::size_t kSpares = 2;

  /// The smallest budget `records` thread records can stream in: three blocks each (one
  /// being filled, one queued, one being consumed).
  static std::size_t least_budget(int records, std::size_t block_rows, bool paced) noexcept;

  /// Starts the stream's thread. `on_failure` runs once, on that thread, when the consumer
  /// first throws (the runner stops the run then: its rows can no longer be kept). Throws
  /// std::system_error when the thread cannot start.
  RecordStream(Settings settings, Consumer consume, std::function<void()> on_failure = {});
  /// Stops the thread; segments still queued are dropped unconsumed (drain first).
  ~RecordStream();
  RecordStream(const RecordStream&) = delete;
  RecordStream& operator=(const RecordStream&) = delete;

  /// Makes `rec` stream into this: its first block (of `rows` rows, at most block_rows; 0:
  /// block_rows) and kSpares spares reserved and their pages touched on the calling thread
  /// (the one that will fill them). Throws ConfigError when the budget has no room for them.
  /// A burst (the consumer more than kSpares segments behind) makes more segments, within
  /// the budget; the consumer frees them once it has caught up, so memory held stays flat.
  void attach(ThreadRecord& rec, bool paced, std::size_t rows = 0);
  /// The thread's rows so far (none: nothing) go to the consumer; `rec` keeps its strings
  /// and gets emptied blocks. Waits, timed in rec.stream_wait_ns, while the budget is spent.
  void hand_over(ThreadRecord& rec);
  /// hand_over, when rec last handed over a flush interval before `now`.
  void hand_over_if_due(ThreadRecord& rec, std::uint64_t now) {
    if (now - rec.last_hand_over_ns >= settings_.flush_ns) hand_over(rec);
  }
  /// Waits until every segment handed over has been consumed, then rethrows the consumer's
  /// first error, if any.
  void drain();

  [[nodiscard]] const Settings& settings() const noexcept { return settings_; }
  /// The most memory the rank's row blocks held at once (bytes).
  [[nodiscard]] std::size_t peak_bytes() const;
  /// The memory the rank's row blocks hold now (bytes).
  [[nodiscard]] std::size_t held_bytes() const;
  /// How many times a thread waited for the budget.
  [[nodiscard]] std::uint64_t waits() const;

 private:
  [[nodiscard]] std::size_t block_bytes(bool paced) const noexcept;
  std::unique_ptr<RecordSegment> fresh_segment(bool paced, std::size_t rows) const;
  std::unique_ptr<RecordSegment> take_free(std::unique_lock<std::mutex>& lock, ThreadRecord& rec);
  void consume_all();

  Settings settings_;
  Consumer consume_;
  std::function<void()> on_failure_;
  mutable std::mutex mutex_;
  std::condition_variable queued_, freed_;
  std::deque<std::unique_ptr<RecordSegment>> queue_;
  std::vector<std::unique_ptr<RecordSegment>> free_;
  std::size_t busy_ = 0;   ///< segments taken off the queue, not yet back
  std::size_t spares_ = 0;  ///< free segments kept: kSpares per attached thread
  std::size_t bytes_ = 0;  ///< every row block the stream knows of
  std::size_t peak_ = 0;
  std::uint64_t waits_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace gorgon
