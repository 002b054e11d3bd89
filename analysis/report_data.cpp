#include "report_data.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

namespace gorgon::analysis {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// The smallest of 1, 2, 5 x 10^k that is at least `x` (and at least 1).
std::int64_t nice_ceil(double x) {
  std::int64_t decade = 1;
  while (true) {
    for (std::int64_t m : {1, 2, 5})
      if (static_cast<double>(m * decade) >= x) return m * decade;
    if (decade > INT64_MAX / 100) return decade * 10;
    decade *= 10;
  }
}

}  // namespace

TimeSeriesBuilder::TimeSeriesBuilder() : TimeSeriesBuilder(Options{}) {}

TimeSeriesBuilder::TimeSeriesBuilder(Options options) : options_(std::move(options)) {
  if (options_.max_bins < 2) options_.max_bins = 2;
  if (options_.max_labels < 1) options_.max_labels = 1;
  width_ = options_.expected_span_ns ? nice_ceil(static_cast<double>(options_.expected_span_ns) /
                                                 (0.8 * static_cast<double>(options_.max_bins)))
                                     : 1'000'000;
}

void TimeSeriesBuilder::merge_into(Bin& into, Bin&& from) {
  if (from.calls == 0) return;
  if (into.calls == 0) {
    into = std::move(from);
    return;
  }
  into.latency.merge(from.latency);
  if (into.per_label.size() < from.per_label.size()) into.per_label.resize(from.per_label.size());
  for (std::size_t i = 0; i < from.per_label.size(); ++i) into.per_label[i] += from.per_label[i];
  if (into.per_node.size() < from.per_node.size()) into.per_node.resize(from.per_node.size());
  for (std::size_t i = 0; i < from.per_node.size(); ++i) into.per_node[i] += from.per_node[i];
  into.calls += from.calls;
}

void TimeSeriesBuilder::coarsen() {
  const std::int64_t last = first_index_ + static_cast<std::int64_t>(bins_.size()) - 1;
  const std::int64_t new_first = floor_div(first_index_, 2);
  std::vector<Bin> merged(static_cast<std::size_t>(floor_div(last, 2) - new_first + 1));
  for (std::size_t j = 0; j < bins_.size(); ++j) {
    const std::int64_t index = first_index_ + static_cast<std::int64_t>(j);
    merge_into(merged[static_cast<std::size_t>(floor_div(index, 2) - new_first)],
               std::move(bins_[j]));
  }
  bins_ = std::move(merged);
  first_index_ = new_first;
  width_ *= 2;
}

TimeSeriesBuilder::Bin& TimeSeriesBuilder::bin_for(std::int64_t t) {
  std::int64_t index = floor_div(t, width_);
  if (bins_.empty()) {
    first_index_ = index;
    bins_.resize(1);
    return bins_.front();
  }
  const auto max_bins = static_cast<std::int64_t>(options_.max_bins);
  while (true) {
    const std::int64_t lo = std::min(first_index_, index);
    const std::int64_t hi =
        std::max(first_index_ + static_cast<std::int64_t>(bins_.size()) - 1, index);
    if (hi - lo + 1 <= max_bins) break;
    coarsen();
    index = floor_div(t, width_);
  }
  if (index < first_index_) {
    bins_.insert(bins_.begin(), static_cast<std::size_t>(first_index_ - index), Bin{});
    first_index_ = index;
  }
  const auto slot = static_cast<std::size_t>(index - first_index_);
  if (slot >= bins_.size()) bins_.resize(slot + 1);
  return bins_[slot];
}

void TimeSeriesBuilder::add(std::uint64_t start_ns, std::uint64_t duration_ns, std::uint32_t label,
                            std::uint32_t rank) {
  std::int64_t offset = options_.origin_ns;
  if (rank < options_.rank_offset_ns.size()) {
    const std::int64_t more = options_.rank_offset_ns[rank];
    if (__builtin_add_overflow(offset, more, &offset))
      offset = more > 0 ? std::numeric_limits<std::int64_t>::max()
                        : std::numeric_limits<std::int64_t>::min();
  }
  // Times are clamped to +-2^61 ns (73 years) so that a damaged file cannot overflow the
  // bin arithmetic; real runs are nowhere near.
  static constexpr std::int64_t kLimit = std::int64_t{1} << 61;
  const auto clamp = [](std::int64_t t) { return std::clamp(t, -kLimit, kLimit); };
  const auto capped = [](std::uint64_t t, std::int64_t cap) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(t, static_cast<std::uint64_t>(cap)));
  };
  const std::int64_t start = clamp(capped(start_ns, kLimit * 2) - clamp(offset));
  const std::int64_t end = clamp(start + capped(duration_ns, kLimit));
  if (options_.label_count && label >= *options_.label_count)
    label = static_cast<std::uint32_t>(*options_.label_count);  // the "invalid label" slot
  if (calls_ == 0) {
    earliest_start_ = start;
    latest_end_ = end;
  } else {
    earliest_start_ = std::min(earliest_start_, start);
    latest_end_ = std::max(latest_end_, end);
  }
  ++calls_;
  Bin& bin = bin_for(end);
  bin.latency.record(duration_ns);
  if (bin.per_label.size() <= label) bin.per_label.resize(std::size_t{label} + 1);
  ++bin.per_label[label];
  ++bin.calls;
  if (rank < options_.rank_node.size() && options_.rank_node[rank] < options_.node_names.size()) {
    if (bin.per_node.empty()) bin.per_node.resize(options_.node_names.size());
    ++bin.per_node[options_.rank_node[rank]];
  }
}

void TimeSeriesBuilder::add(const CallChunk& chunk) {
  const std::size_t n = chunk.start_ns.size();
  if (chunk.duration_ns.size() != n || chunk.label.size() != n ||
      (!chunk.rank.empty() && chunk.rank.size() != n))
    throw std::invalid_argument("call chunk columns have different lengths");
  for (std::size_t i = 0; i < n; ++i)
    add(chunk.start_ns[i], chunk.duration_ns[i], chunk.label[i],
        chunk.rank.empty() ? 0u : chunk.rank[i]);
}

std::size_t TimeSeriesBuilder::bytes_held() const noexcept {
  std::size_t bytes = bins_.capacity() * sizeof(Bin);
  for (const auto& b : bins_)
    bytes += b.latency.counts().capacity() * sizeof(std::uint64_t) +
             b.per_label.capacity() * sizeof(std::uint64_t) +
             b.per_node.capacity() * sizeof(std::uint64_t);
  return bytes;
}

std::int64_t TimeSeriesBuilder::group_factor(double calls_wanted, std::size_t min_groups) const {
  std::uint64_t busy = 0;
  for (const auto& b : bins_) busy += b.calls ? 1 : 0;
  if (!busy) return 1;
  const double per_bin = static_cast<double>(calls_) / static_cast<double>(busy);
  std::int64_t g = 1;
  while (per_bin * static_cast<double>(g) < calls_wanted &&
         bins_.size() / static_cast<std::size_t>(2 * g) >= min_groups)
    g *= 2;
  return g;
}

template <typename F>
void TimeSeriesBuilder::for_each_group(std::int64_t g, F&& f) const {
  // Groups of g bins aligned on multiples of g, as a builder with g times wider bins has.
  std::size_t j = 0;
  while (j < bins_.size()) {
    const std::int64_t group = floor_div(first_index_ + static_cast<std::int64_t>(j), g);
    std::size_t end = j;
    while (end < bins_.size() &&
           floor_div(first_index_ + static_cast<std::int64_t>(end), g) == group)
      ++end;
    f(group * g * width_, j, end);
    j = end;
  }
}

TimeSeries TimeSeriesBuilder::finish(const std::vector<std::string>& label_names) const {
  TimeSeries out;

  // Label series, busiest first; past max_labels the rest is folded into one "other".
  std::vector<std::uint64_t> totals;
  for (const auto& b : bins_) {
    if (totals.size() < b.per_label.size()) totals.resize(b.per_label.size());
    for (std::size_t i = 0; i < b.per_label.size(); ++i) totals[i] += b.per_label[i];
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < totals.size(); ++i)
    if (totals[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return totals[a] > totals[b]; });
  std::size_t kept = order.size();
  if (kept > options_.max_labels) kept = options_.max_labels - 1;
  // Past the kept series: the "other" series. A label no call had (its slot exists only
  // because a higher one was counted) belongs to none: kNoSeries.
  constexpr std::size_t kNoSeries = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> series_of(totals.size(), kNoSeries);
  for (std::size_t s = kept; s < order.size(); ++s) series_of[order[s]] = kept;
  for (std::size_t s = 0; s < kept; ++s) {
    series_of[order[s]] = s;
    out.labels.push_back(order[s] < label_names.size() ? label_names[order[s]]
                         : options_.label_count && order[s] == *options_.label_count
                             ? std::string("(invalid label)")
                             : "label #" + std::to_string(order[s]));
  }
  if (kept < order.size())
    out.labels.push_back("other (" + std::to_string(order.size() - kept) + " labels)");
  out.per_s.resize(out.labels.size());
  out.nodes = options_.node_names;
  out.node_per_s.resize(out.nodes.size());

  // Rates: groups of about 200 calls (a rate read from 200 calls is within ~7%), while at
  // least 40 groups remain.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t g_rate = group_factor(200, 40);
  const std::int64_t width = width_ * g_rate;
  out.bin_ns = static_cast<std::uint64_t>(width);
  std::size_t groups = 0;
  for_each_group(g_rate, [&](std::int64_t, std::size_t, std::size_t) { ++groups; });
  std::vector<double> counts(out.labels.size()), node_counts(out.nodes.size());
  for_each_group(g_rate, [&](std::int64_t lo, std::size_t from, std::size_t to) {
    std::uint64_t calls = 0;
    std::fill(counts.begin(), counts.end(), 0.0);
    std::fill(node_counts.begin(), node_counts.end(), 0.0);
    for (std::size_t j = from; j < to; ++j) {
      calls += bins_[j].calls;
      for (std::size_t i = 0; i < bins_[j].per_label.size(); ++i)
        if (series_of[i] != kNoSeries)
          counts[series_of[i]] += static_cast<double>(bins_[j].per_label[i]);
      for (std::size_t n = 0; n < bins_[j].per_node.size(); ++n)
        node_counts[n] += static_cast<double>(bins_[j].per_node[n]);
    }
    // An edge bin less than half covered by the run would give a noisy rate: left out.
    const std::int64_t covered = std::min(lo + width, latest_end_) - std::max(lo, earliest_start_);
    const bool shown = 2 * covered >= width || groups == 1;
    const double seconds = static_cast<double>(covered > 0 ? covered : width) / 1e9;
    out.time_s.push_back(static_cast<double>(lo) / 1e9);
    out.calls.push_back(calls);
    out.total_per_s.push_back(shown ? static_cast<double>(calls) / seconds : nan);
    for (std::size_t k = 0; k < counts.size(); ++k)
      out.per_s[k].push_back(shown ? counts[k] / seconds : nan);
    for (std::size_t n = 0; n < node_counts.size(); ++n)
      out.node_per_s[n].push_back(shown ? node_counts[n] / seconds : nan);
  });

  // Percentiles: groups of about 1000 calls (so that p99.9 is not just the maximum), while
  // at least 16 groups remain.
  const std::int64_t g_pct = group_factor(1000, 16);
  out.percentile_bin_ns = static_cast<std::uint64_t>(width_ * g_pct);
  for_each_group(g_pct, [&](std::int64_t lo, std::size_t from, std::size_t to) {
    Histogram merged;
    for (std::size_t j = from; j < to; ++j) merged.merge(bins_[j].latency);
    out.percentile_time_s.push_back(static_cast<double>(lo) / 1e9);
    if (merged.empty()) {
      out.percentiles_ns.emplace_back(std::nullopt);
    } else {
      std::array<std::uint64_t, std::size(kReportPercentiles)> p{};
      for (std::size_t k = 0; k < p.size(); ++k) p[k] = merged.percentile(kReportPercentiles[k]);
      out.percentiles_ns.emplace_back(p);
    }
  });
  return out;
}

std::vector<ScalingPoint> scaling_points(const std::vector<RunSummary>& runs) {
  std::vector<ScalingPoint> points;
  for (std::size_t i = 0; i < runs.size(); ++i)
    points.push_back({runs[i].ranks, runs[i].threads, runs[i].total.rate(runs[i].wall_ns), i});
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    const long wa = long{a.ranks} * a.threads, wb = long{b.ranks} * b.threads;
    return wa != wb ? wa < wb : a.ranks < b.ranks;
  });
  return points;
}

std::optional<double> percent_change(double now, double base) {
  if (base == 0) return std::nullopt;
  return (now - base) / base * 100.0;
}

Comparison compare(const RunSummary& current, const RunSummary& baseline) {
  Comparison c;
  c.current_wall_ns = current.wall_ns;
  c.baseline_wall_ns = baseline.wall_ns;
  auto row = [&](std::string name, std::string parent, const Summary* now, const Summary* base) {
    ComparisonRow r;
    r.name = std::move(name);
    r.parent = std::move(parent);
    if (now) {
      r.current = *now;
      r.current_per_s = now->rate(current.wall_ns);
    }
    if (base) {
      r.baseline = *base;
      r.baseline_per_s = base->rate(baseline.wall_ns);
    }
    c.rows.push_back(std::move(r));
  };
  row("Result", "", &current.total, &baseline.total);

  auto find_label = [](const RunSummary& s, const std::string& name) -> const LabelSummary* {
    for (const auto& l : s.labels)
      if (l.label == name) return &l;
    return nullptr;
  };
  std::set<std::string> names;
  for (const auto& l : current.labels) names.insert(l.label);
  for (const auto& l : baseline.labels) names.insert(l.label);
  for (const auto& name : names) {
    const LabelSummary* now = find_label(current, name);
    const LabelSummary* base = find_label(baseline, name);
    row(name, "", now ? &now->stats : nullptr, base ? &base->stats : nullptr);
    c.rows.back().error = (now && now->error) || (base && base->error);
    // Sub-calls in the order calls made them (the current run's, then the baseline's others).
    std::vector<std::string> order;
    std::map<std::string, std::pair<const Summary*, const Summary*>> subs;
    auto add = [&](const LabelSummary* l, bool current_side) {
      if (!l) return;
      for (const auto& s : l->subcalls) {
        if (!subs.count(s.name)) order.push_back(s.name);
        (current_side ? subs[s.name].first : subs[s.name].second) = &s.stats;
      }
    };
    add(now, true);
    add(base, false);
    for (const auto& sub : order) row(sub, name, subs[sub].first, subs[sub].second);
  }
  return c;
}

void complete_suite(ReportData& data) {
  if (data.runs.size() < 2) return;
  std::vector<RunSummary> summaries;
  for (const auto& r : data.runs) summaries.push_back(r.summary);
  data.suite = merge_suite(summaries);
  data.scaling = scaling_points(summaries);
}

}  // namespace gorgon::analysis
