#pragma once
// How the numbers [seed, seed + N) are shared: a contiguous slice per rank (remainders spread
// over the first ranks), and chunks of it pulled by the rank's threads on demand.
#include <algorithm>
#include <atomic>
#include <cstdint>

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

/// Hands out consecutive chunks of a range to any number of threads, lock-free.
///
/// Unbounded form (runs of a given duration, whose call count is not known): rank r of R
/// takes chunk k as [base + (k*R + r) * chunk, + chunk), so the numbers of every rank and
/// thread stay unique without any coordination between ranks.
class ChunkDispenser {
 public:
  ChunkDispenser(NumberRange range, std::uint64_t chunk) : range_(range), chunk_(chunk) {}
  static ChunkDispenser unbounded(std::uint64_t base, int ranks, int rank, std::uint64_t chunk) {
    ChunkDispenser d({base, UINT64_MAX}, chunk);
    d.ranks_ = static_cast<std::uint64_t>(ranks);
    d.rank_ = static_cast<std::uint64_t>(rank);
    return d;
  }
  ChunkDispenser(ChunkDispenser&& o) noexcept
      : range_(o.range_), chunk_(o.chunk_), ranks_(o.ranks_), rank_(o.rank_),
        next_(o.next_.load()) {}

  /// The next chunk; empty when the range is used up.
  NumberRange next() noexcept {
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

}  // namespace gorgon
