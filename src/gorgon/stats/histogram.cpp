#include "gorgon/stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gorgon {

std::uint32_t Histogram::bucket_of(std::uint64_t value) noexcept {
  if (value < kSubBuckets) return static_cast<std::uint32_t>(value);
  int e = 63 - std::countl_zero(value);  // value in [2^e, 2^(e+1)), e >= kSubBits
  if (e > kMaxExponent) return kBuckets - 1;
  const auto mantissa = static_cast<std::uint32_t>(value >> (e - kSubBits));  // [128, 256)
  return static_cast<std::uint32_t>(e - kSubBits + 1) * kSubBuckets + (mantissa - kSubBuckets);
}

std::uint64_t Histogram::bucket_low(std::uint32_t bucket) noexcept {
  if (bucket < kSubBuckets) return bucket;
  const std::uint32_t block = bucket / kSubBuckets;  // >= 1
  const int e = static_cast<int>(block) + kSubBits - 1;
  const std::uint64_t mantissa = kSubBuckets + bucket % kSubBuckets;
  return mantissa << (e - kSubBits);
}

std::uint64_t Histogram::bucket_high(std::uint32_t bucket) noexcept {
  if (bucket < kSubBuckets) return bucket + 1ull;
  const std::uint32_t block = bucket / kSubBuckets;
  const int e = static_cast<int>(block) + kSubBits - 1;
  return bucket_low(bucket) + (1ull << (e - kSubBits));
}

void Histogram::cover(std::uint32_t lo, std::uint32_t hi) {
  if (counts_.empty()) {
    first_ = lo;
    counts_.assign(hi - lo, 0);
    return;
  }
  if (lo < first_) {
    counts_.insert(counts_.begin(), first_ - lo, 0);
    first_ = lo;
  }
  if (hi > end_bucket()) counts_.resize(hi - first_, 0);
}

void Histogram::record(std::uint64_t value, std::uint64_t count) {
  if (count == 0) return;
  const std::uint32_t b = bucket_of(value);
  cover(b, b + 1);
  counts_[b - first_] += count;
  total_ += count;
}

void Histogram::add_counts(std::uint32_t first, const std::uint64_t* counts, std::size_t n) {
  // Trim zero ends so a sparse input does not widen the range.
  std::size_t lo = 0, hi = n;
  while (lo < hi && counts[lo] == 0) ++lo;
  while (hi > lo && counts[hi - 1] == 0) --hi;
  if (lo == hi) return;
  const auto b0 = first + static_cast<std::uint32_t>(lo);
  cover(b0, first + static_cast<std::uint32_t>(hi));
  for (std::size_t i = lo; i < hi; ++i) {
    counts_[b0 - first_ + (i - lo)] += counts[i];
    total_ += counts[i];
  }
}

void Histogram::merge(const Histogram& other) {
  add_counts(other.first_, other.counts_.data(), other.counts_.size());
}

std::uint64_t Histogram::count_at(std::uint32_t bucket) const noexcept {
  if (bucket < first_ || bucket >= end_bucket()) return 0;
  return counts_[bucket - first_];
}

std::uint64_t nearest_rank(double p, std::uint64_t n) {
  // The tiny slack keeps 99.9% of 1000 at rank 999 despite 99.9/100*1000 = 999.0000000000001.
  const double x = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(n);
  auto rank = static_cast<std::uint64_t>(std::ceil(x - 1e-9 * std::max(1.0, x)));
  return std::clamp<std::uint64_t>(rank, 1, std::max<std::uint64_t>(n, 1));
}

std::uint64_t Histogram::percentile(double p) const {
  if (total_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest value with at least ceil(p% of total) values at or below it.
  const std::uint64_t rank = nearest_rank(p, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const auto b = first_ + static_cast<std::uint32_t>(i);
      if (b < kSubBuckets) return bucket_low(b);  // exact
      return bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
    }
  }
  return bucket_low(end_bucket() - 1);
}

}  // namespace gorgon
