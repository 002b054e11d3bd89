#include "gorgon/record/fold.hpp"

#include <algorithm>

namespace gorgon {
namespace {

/// The moments of one key within one segment.
struct Moments {
  std::uint64_t count = 0, sum = 0;
  std::uint64_t min = ~std::uint64_t{0}, max = 0;
  double m2 = 0;
};

/// Chan et al.'s pairwise merge of a segment's moments into a running summary.
void merge_into(Summary& into, const Moments& m) {
  if (m.count == 0) return;
  if (into.count > 0) {
    const double na = static_cast<double>(into.count), nb = static_cast<double>(m.count);
    const double delta = static_cast<double>(m.sum) / nb - into.mean_ns();
    into.m2 += m.m2 + delta * delta * na * nb / (na + nb);
  } else {
    into.m2 = m.m2;
  }
  into.count += m.count;
  into.sum_ns += m.sum;
  into.min_ns = std::min(into.min_ns, m.min);
  into.max_ns = std::max(into.max_ns, m.max);
}

}  // namespace

void ThreadFold::add(const RecordRows& rows) {
  // Keys of this segment: the calls' labels by id, the sub-calls' pairs through a map.
  std::vector<Moments> by_label;
  std::unordered_map<std::uint64_t, Moments> by_pair;
  auto key_moments = [&](std::uint32_t label, std::uint32_t name) -> Moments& {
    if (name == kNoSubcallName) {
      if (label >= by_label.size()) by_label.resize(label + 1);
      return by_label[label];
    }
    return by_pair[(std::uint64_t{label} << 32) | name];
  };
  auto histogram_of = [&](std::uint32_t label, std::uint32_t name) -> Histogram& {
    if (name == kNoSubcallName) {
      if (label >= labels.size()) labels.resize(label + 1);
      return labels[label].histogram;
    }
    return subcalls[(std::uint64_t{label} << 32) | name].histogram;
  };
  // Pass 1: counts, sums, extremes; the histograms directly.
  for_each_duration(rows, [&](std::uint32_t label, std::uint32_t name, std::uint64_t d) {
    Moments& m = key_moments(label, name);
    ++m.count;
    m.sum += d;
    m.min = std::min(m.min, d);
    m.max = std::max(m.max, d);
    histogram_of(label, name).record(d);
  });
  // Pass 2: squared deviations from the segment's own means.
  for_each_duration(rows, [&](std::uint32_t label, std::uint32_t name, std::uint64_t d) {
    Moments& m = key_moments(label, name);
    const double dev =
        static_cast<double>(d) - static_cast<double>(m.sum) / static_cast<double>(m.count);
    m.m2 += dev * dev;
  });
  for (std::uint32_t l = 0; l < by_label.size(); ++l) merge_into(labels[l], by_label[l]);
  for (const auto& [key, m] : by_pair) merge_into(subcalls[key], m);
  calls += rows.calls.size();
}

}  // namespace gorgon
