#pragma once
// How the numbers [seed, seed + N) are shared out. Static: a contiguous slice per rank
// (remainders spread over the first ranks), pulled in chunks by the rank's threads. Dynamic
// and guided: blocks taken by the ranks from one counter while the run goes (the rank's
// agent claims them, run/agent.hpp), kept in a rank-local queue the threads pull chunks from.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "gorgon/base/schedule.hpp"

namespace gorgon {

/// A half-open range of call numbers.
struct NumberRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  [[nodiscard]] std::uint64_t size() const noexcept { return end - begin; }
};

/// The slice of [seed, seed + n) that rank `rank` of `ranks` calls. Slices are contiguous,
/// disjoint, cover the whole range and differ in size by at most one.
NumberRange rank_slice(std::uint64_t seed, std::uint64_t n, int ranks, int rank);

/// The chunk size threads pull: small enough that threads finish together, large enough that
/// the shared counter is touched rarely.
std::uint64_t chunk_size(std::uint64_t slice, int threads);

/// Where a thread's loop takes its next numbers from.
class NumberSource {
 public:
  virtual ~NumberSource() = default;
  /// The next chunk; empty when there are no more (or a stop was asked for while waiting).
  virtual NumberRange next() noexcept = 0;
};

/// Hands out consecutive chunks of a range to any number of threads, lock-free.
///
/// Unbounded form (runs of a given duration, whose call count is not known): rank r of R
/// takes chunk k as [base + (k*R + r) * chunk, + chunk), so the numbers of every rank and
/// thread stay unique without any coordination between ranks.
class ChunkDispenser final : public NumberSource {
 public:
  ChunkDispenser(NumberRange range, std::uint64_t chunk) : range_(range), chunk_(chunk) {}
  static ChunkDispenser unbounded(std::uint64_t base, int ranks, int rank, std::uint64_t chunk) {
    ChunkDispenser d({base, UINT64_MAX}, chunk);
    d.ranks_ = static_cast<std::uint64_t>(ranks);
    d.rank_ = static_cast<std::uint64_t>(rank);
    return d;
  }
  ChunkDispenser(ChunkDispenser&& o) noexcept
      : range_(o.range_),
        chunk_(o.chunk_),
        ranks_(o.ranks_),
        rank_(o.rank_),
        next_(o.next_.load()) {}

  NumberRange next() noexcept override {
    if (ranks_ > 0) {
      const std::uint64_t k = next_.fetch_add(1, std::memory_order_relaxed);
      const std::uint64_t begin = range_.begin + (k * ranks_ + rank_) * chunk_;
      if (begin < range_.begin || UINT64_MAX - begin < chunk_) return {0, 0};  // wrapped
      return {begin, begin + chunk_};
    }
    const std::uint64_t at = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (at >= range_.size()) return {range_.end, range_.end};
    return {range_.begin + at, range_.begin + std::min(at + chunk_, range_.size())};
  }

 private:
  NumberRange range_;
  std::uint64_t chunk_;
  std::uint64_t ranks_ = 0, rank_ = 0;  // unbounded form when ranks_ > 0
  std::atomic<std::uint64_t> next_{0};
};

/// At most `budget` more numbers of another source (the wear-out after a stonewall): what is
/// left of a chunk beyond the budget is not called.
class CappedSource final : public NumberSource {
 public:
  CappedSource(NumberSource& inner, std::uint64_t budget) : inner_(inner), left_(budget) {}
  NumberRange next() noexcept override {
    std::uint64_t left = left_.load(std::memory_order_relaxed);
    if (left == 0) return {};
    NumberRange chunk = inner_.next();
    if (chunk.size() == 0) return {};
    std::uint64_t take = 0;
    do {
      take = std::min(left, chunk.size());
    } while (take > 0 &&
             !left_.compare_exchange_weak(left, left - take, std::memory_order_relaxed));
    return {chunk.begin, chunk.begin + take};
  }

 private:
  NumberSource& inner_;
  std::atomic<std::uint64_t> left_;
};

/// The blocks of [seed, seed + n) in the order ranks claim them, the same on every rank.
/// Dynamic: equal blocks, some 128 per rank. Guided: each block a 1/(2R) share of what is
/// left, down to a smallest block, so the last blocks are small and the ranks end together.
class BlockPlan {
 public:
  BlockPlan() = default;
  BlockPlan(Schedule schedule, std::uint64_t seed, std::uint64_t n, int ranks);
  [[nodiscard]] std::uint64_t blocks() const noexcept { return count_; }
  /// Block k (k < blocks()).
  [[nodiscard]] NumberRange block(std::uint64_t k) const noexcept;

 private:
  std::uint64_t seed_ = 0, n_ = 0, size_ = 1, count_ = 0;
  std::vector<std::uint64_t> starts_;  // guided: block k is [starts_[k], starts_[k + 1])
};

/// How far ahead a rank claims (RankAgent): after each claim is answered, the reserve (the
/// queued numbers at which the next claim starts), and how many blocks a claim takes. The
/// reserve is whichever is more of
/// - the calls the rank makes at its rate so far in the phase during a claim's latency (a
///   moving average, weight 1/8);
/// - one and a half times the need: the most calls made during a recent claim, a maximum
///   that decays by 1/16 a claim, doubles whenever a thread found the queue empty during the
///   claim, and holds no more than a second's calls at the rank's rate (or the last claim's
///   calls, if more);
/// plus one number per thread. The need follows bursts the rate hides: on a node held to a
/// CPU share by a cgroup's quota a rank runs at full speed for part of each period and not at
/// all for the rest, and a claim waits for the counter's node to run again (tens of ms).
/// With the rate alone, the threads of such nodes waited for blocks a third of the run.
class ClaimPacing {
 public:
  static constexpr std::uint64_t most_blocks = 64;  ///< one claim takes at most this many
  /// A claim was answered `latency_ns` after it started; the rank made `during` calls in the
  /// meantime, at `calls_per_ns` on average in the phase; `ran_dry`: a thread found the queue
  /// empty meanwhile. Returns the new reserve for `threads` threads.
  std::uint64_t answered(std::uint64_t latency_ns, std::uint64_t during, bool ran_dry,
                         double calls_per_ns, std::uint64_t threads) noexcept;
  /// Blocks of `block` numbers that cover `reserve`: 1 to most_blocks (1 while the block size
  /// is not known, 0).
  [[nodiscard]] static std::uint64_t blocks_for(std::uint64_t reserve,
                                                std::uint64_t block) noexcept;
  [[nodiscard]] std::uint64_t need() const noexcept { return need_; }

 private:
  std::uint64_t latency_ns_ = 0, need_ = 0;
};

/// A rank's queue of claimed blocks: its agent pushes whole blocks, its threads pull chunks
/// of them (a lock taken once per chunk, never per call). The agent claims more blocks when
/// the numbers left in the queue fall to its reserve: what the rank calls while a claim is
/// answered (ClaimPacing), so the threads never wait and a slow rank holds no
/// more than it needs. A thread that finds the queue empty waits until the queue is closed
/// (no more blocks) or a stop is asked.
class SharedBlocks final : public NumberSource {
 public:
  explicit SharedBlocks(int threads) : threads_(static_cast<std::uint64_t>(std::max(threads, 1))) {}
  /// Agent: whether the numbers left have fallen to the reserve (time to claim).
  [[nodiscard]] bool wants_more() const noexcept {
    return !closed_.load(std::memory_order_acquire) &&
           left_.load(std::memory_order_acquire) <= reserve_.load(std::memory_order_relaxed);
  }
  /// Agent: how many numbers to keep queued (ClaimPacing).
  void set_reserve(std::uint64_t numbers) noexcept {
    reserve_.store(numbers, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t reserve() const noexcept {
    return reserve_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  /// Agent: a count that grows while threads find the queue empty (each pass of a waiting
  /// thread adds one); compared before and after a claim.
  [[nodiscard]] std::uint64_t dry_spells() const noexcept {
    return dry_.load(std::memory_order_relaxed);
  }
  /// Agent: a claimed block.
  void push(NumberRange block);
  /// Agent: what a thread that finds the queue empty calls to claim a block at once rather
  /// than wait for the agent to wake (it claims only when MPI is free; see RankAgent).
  void set_claimer(std::function<void()> claim) { claim_now_ = std::move(claim); }
  /// Agent: waits at most `most` for the threads to start on the last queued block.
  void wait_for_demand(std::chrono::nanoseconds most);
  /// Agent: no more blocks will come.
  void close() noexcept { closed_.store(true, std::memory_order_release); }
  NumberRange next() noexcept override;

 private:
  std::uint64_t threads_;
  std::mutex mutex_;
  std::condition_variable demand_;      // a thread started on the last queued block
  std::deque<NumberRange> queue_;       // queue_.front() is being pulled from
  std::uint64_t chunk_ = 1;             // chunk of the front block
  std::atomic<std::uint64_t> left_{0};  // queued numbers not yet handed to a thread
  std::atomic<std::uint64_t> reserve_{0};
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> dry_{0};  // a thread found the queue empty
  std::function<void()> claim_now_;
};

}  // namespace gorgon
