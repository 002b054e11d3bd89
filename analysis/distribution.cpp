#include "distribution.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gorgon::analysis {
namespace {

/// Bar index of a value with `per_octave` bars per power of two (value >= 1).
std::int64_t bar_of(std::uint64_t value, int per_octave) {
  const int e = 63 - std::countl_zero(value);  // value in [2^e, 2^(e+1))
  const double frac = std::log2(static_cast<double>(value)) - e;
  auto sub = static_cast<int>(frac * per_octave);
  sub = std::clamp(sub, 0, per_octave - 1);
  return std::int64_t{e} * per_octave + sub;
}

std::uint64_t bar_low(std::int64_t bar, int per_octave) {
  const auto e = static_cast<int>(bar / per_octave);
  const auto sub = static_cast<int>(bar % per_octave);
  return static_cast<std::uint64_t>(std::ceil(std::ldexp(std::exp2(double(sub) / per_octave), e)));
}

}  // namespace

std::vector<Bar> histogram_bars(const Histogram& h, std::size_t max_bars, std::size_t min_bars) {
  std::vector<Bar> bars;
  if (h.empty()) return bars;
  // The range actually used (counts may carry zero ends).
  std::uint32_t lo = h.end_bucket(), hi = h.first_bucket();
  for (std::uint32_t b = h.first_bucket(); b < h.end_bucket(); ++b)
    if (h.count_at(b)) lo = std::min(lo, b), hi = std::max(hi, b + 1);
  const std::uint64_t vmin = std::max<std::uint64_t>(1, Histogram::bucket_low(lo));
  const std::uint64_t vmax = std::max<std::uint64_t>(vmin, Histogram::bucket_low(hi - 1));
  const double octaves = std::max(
      1.0, std::log2(static_cast<double>(vmax)) - std::log2(static_cast<double>(vmin)) + 1);
  const int per_octave =
      std::clamp(static_cast<int>(static_cast<double>(max_bars) / octaves), 1, 16);

  std::int64_t first = bar_of(vmin, per_octave), last = bar_of(vmax, per_octave);
  if (const auto missing = static_cast<std::int64_t>(min_bars) - (last - first + 1); missing > 0) {
    first = std::max<std::int64_t>(0, first - missing / 2);  // bar 0 starts at 1 ns
    last = first + static_cast<std::int64_t>(min_bars) - 1;
    last = std::max(last, bar_of(vmax, per_octave));
  }
  bars.resize(static_cast<std::size_t>(last - first + 1));
  for (std::int64_t i = first; i <= last; ++i) {
    auto& bar = bars[static_cast<std::size_t>(i - first)];
    bar.low_ns = bar_low(i, per_octave);
    bar.high_ns = bar_low(i + 1, per_octave);
  }
  bars.front().low_ns = std::min(bars.front().low_ns, Histogram::bucket_low(lo));
  for (std::uint32_t b = lo; b < hi; ++b) {
    const std::uint64_t n = h.count_at(b);
    if (!n) continue;
    const std::uint64_t b_lo = std::max<std::uint64_t>(1, Histogram::bucket_low(b));
    const std::uint64_t b_hi = std::max(b_lo + 1, Histogram::bucket_high(b));
    std::size_t i =
        static_cast<std::size_t>(std::clamp(bar_of(b_lo, per_octave), first, last) - first);
    if (b_hi - b_lo == 1 || i + 1 == bars.size() || bars[i].high_ns >= b_hi) {
      bars[i].count += static_cast<double>(n);  // the bucket lies in one bar
      continue;
    }
    // Consecutive pieces [from, to) of the bucket, each in one bar, together the bucket.
    const double width = static_cast<double>(b_hi - b_lo);
    for (std::uint64_t from = b_lo; from < b_hi && i < bars.size(); ++i) {
      const std::uint64_t to =
          i + 1 == bars.size() ? b_hi : std::clamp(bars[i].high_ns, from, b_hi);
      bars[i].count += static_cast<double>(n) * static_cast<double>(to - from) / width;
      from = to;
    }
  }
  return bars;
}

std::vector<SpectrumPoint> percentile_spectrum(const Summary& s) {
  std::vector<SpectrumPoint> points;
  if (s.count == 0) return points;
  const double n = static_cast<double>(s.count);
  for (int i = 0;; ++i) {
    const double one_in = std::exp2(i / 4.0);
    if (one_in > n) break;
    const double p = 100.0 * (1.0 - 1.0 / one_in);
    points.push_back({p, one_in, s.percentile_ns(p)});
  }
  if (!points.empty() && points.back().one_in >= n) points.pop_back();
  points.push_back({100.0, n, s.max_ns});  // the slowest call: one in n
  return points;
}

}  // namespace gorgon::analysis
