#pragma once
// Shapes of a latency distribution for charts: histogram bars on a log scale and the
// percentile spectrum (latency against 1 / (1 - percentile)).
#include <cstdint>
#include <vector>

#include "gorgon/stats/histogram.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon::analysis {

/// Calls whose duration is in [low_ns, high_ns).
struct Bar {
  std::uint64_t low_ns = 0;
  std::uint64_t high_ns = 0;
  double count = 0;  ///< fractional: see histogram_bars
};

/// The histogram regrouped into bars of equal width on a log scale, from the bar of the
/// smallest value to that of the largest, empty bars included. The bars per power of two are
/// chosen so that there are at most about `max_bars` (and between 1 and 16 per power of two).
/// A histogram bucket that straddles two bars is shared between them in proportion to the
/// overlap (values taken as spread evenly over the bucket), so that bars of a smooth
/// distribution come out smooth rather than combed by the buckets' linear layout.
/// A narrow distribution (calls that all took about one time) is widened with empty bars on
/// both sides to at least `min_bars` (never below 1 ns), so that its bars have neighbours.
std::vector<Bar> histogram_bars(const Histogram& histogram, std::size_t max_bars = 80,
                                std::size_t min_bars = 9);

/// A point of the percentile spectrum: `one_in` = 1 / (1 - percentile/100).
struct SpectrumPoint {
  double percentile = 0;
  double one_in = 1;
  std::uint64_t value_ns = 0;
};

/// Percentiles from 0 up to what `count` calls resolve, four per halving of (100 - p), then
/// the maximum (at one_in = count).
std::vector<SpectrumPoint> percentile_spectrum(const Summary& summary);

}  // namespace gorgon::analysis
