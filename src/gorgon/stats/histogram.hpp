#pragma once
// A mergeable log-linear histogram of durations in nanoseconds (HdrHistogram-style).
//
// Values below 2^kSubBits are counted exactly. Above, each power of two [2^e, 2^(e+1)) is cut
// into 2^kSubBits equal buckets, so a bucket is at most 1/128 of its lower bound wide: a
// percentile read at a bucket's midpoint is within 0.4% of a value in that bucket, and the
// stated bound is 1% (docs/statistics.md). Every histogram has the same bucket layout, so
// merging is adding counts, and an MPI reduction is a sum of counts over one index range.
// Storage is the dense range of buckets in use, [first_bucket, first_bucket + counts.size()).
// This file knows nothing of MPI.
#include <cstdint>
#include <vector>

namespace gorgon {

/// The 1-based nearest rank of percentile `p` (0..100) among `n` sorted values.
std::uint64_t nearest_rank(double p, std::uint64_t n);

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint32_t kSubBuckets = 1u << kSubBits;  // 128
  static constexpr int kMaxExponent = 47;                       // 2^48 ns ~ 78 hours
  static constexpr std::uint32_t kBuckets = (kMaxExponent - kSubBits + 2) * kSubBuckets;

  /// The bucket a value falls in (values past the top are counted in the last bucket).
  static std::uint32_t bucket_of(std::uint64_t value) noexcept;
  /// Smallest value counted in `bucket`.
  static std::uint64_t bucket_low(std::uint32_t bucket) noexcept;
  /// One past the largest value counted in `bucket`.
  static std::uint64_t bucket_high(std::uint32_t bucket) noexcept;

  void record(std::uint64_t value, std::uint64_t count = 1);
  /// Adds another histogram's counts.
  void merge(const Histogram& other);
  /// Adds `n` counts for the buckets starting at `first` (used by reductions and readers).
  void add_counts(std::uint32_t first, const std::uint64_t* counts, std::size_t n);

  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] bool empty() const noexcept { return total_ == 0; }
  /// The value at percentile `p` (0..100), nearest rank on the bucket midpoints; 0 if empty.
  [[nodiscard]] std::uint64_t percentile(double p) const;

  [[nodiscard]] std::uint32_t first_bucket() const noexcept { return first_; }
  /// One past the last bucket in use (== first_bucket() when empty).
  [[nodiscard]] std::uint32_t end_bucket() const noexcept {
    return first_ + static_cast<std::uint32_t>(counts_.size());
  }
  [[nodiscard]] const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  [[nodiscard]] std::uint64_t count_at(std::uint32_t bucket) const noexcept;

  friend bool operator==(const Histogram&, const Histogram&) = default;

 private:
  void cover(std::uint32_t lo, std::uint32_t hi);  // make [lo, hi) addressable
  std::uint32_t first_ = 0;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace gorgon
