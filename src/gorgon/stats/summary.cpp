#include "gorgon/stats/summary.hpp"

#include <algorithm>
#include <cmath>

namespace gorgon {

void Summary::record(std::uint64_t ns) {
  ++count;
  const double delta = static_cast<double>(ns) -
                       (count > 1 ? static_cast<double>(sum_ns) / static_cast<double>(count - 1)
                                  : static_cast<double>(ns));
  sum_ns += ns;
  const double mean = static_cast<double>(sum_ns) / static_cast<double>(count);
  m2 += delta * (static_cast<double>(ns) - mean);
  min_ns = std::min(min_ns, ns);
  max_ns = std::max(max_ns, ns);
  histogram.record(ns);
}

void Summary::merge(const Summary& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
    return;
  }
  const double na = static_cast<double>(count), nb = static_cast<double>(o.count);
  const double delta = o.mean_ns() - mean_ns();
  m2 = m2 + o.m2 + delta * delta * na * nb / (na + nb);
  count += o.count;
  sum_ns += o.sum_ns;
  min_ns = std::min(min_ns, o.min_ns);
  max_ns = std::max(max_ns, o.max_ns);
  histogram.merge(o.histogram);
}

double Summary::stddev_ns() const noexcept {
  if (count < 2) return 0.0;
  return std::sqrt(std::max(0.0, m2) / static_cast<double>(count - 1));
}

std::uint64_t Summary::percentile_ns(double p) const {
  if (count == 0) return 0;
  return std::clamp(histogram.percentile(p), min_ns, max_ns);
}

bool from_name(std::string_view name, RunMode& out) noexcept {
  for (std::size_t i = 0; i < kRunModeNames.size(); ++i)
    if (kRunModeNames[i] == name) return out = static_cast<RunMode>(i), true;
  return false;
}

bool from_name(std::string_view name, RunStatus& out) noexcept {
  for (std::size_t i = 0; i < kRunStatusNames.size(); ++i)
    if (kRunStatusNames[i] == name) return out = static_cast<RunStatus>(i), true;
  return false;
}

std::uint64_t RunSummary::errors() const noexcept {
  std::uint64_t n = 0;
  for (const auto& l : labels)
    if (l.error) n += l.stats.count;
  return n;
}

namespace {
/// The label `name` of sorted `labels`, added in its place when missing.
LabelSummary& label_of(std::vector<LabelSummary>& labels, const std::string& name) {
  auto it =
      std::lower_bound(labels.begin(), labels.end(), name,
                       [](const LabelSummary& a, const std::string& n) { return a.label < n; });
  if (it == labels.end() || it->label != name) {
    LabelSummary fresh;
    fresh.label = name;
    it = labels.insert(it, std::move(fresh));
  }
  return *it;
}

/// The sub-call `name` of `subcalls` (in call order), added at the end when missing.
SubCallSummary& subcall_of(std::vector<SubCallSummary>& subcalls, const std::string& name) {
  for (auto& s : subcalls)
    if (s.name == name) return s;
  subcalls.push_back({name, {}});
  return subcalls.back();
}
}  // namespace

void RunSummary::merge(const RunSummary& o) {
  runs += o.runs;
  ops += o.ops;
  late_calls += o.late_calls;
  warmup_calls += o.warmup_calls;
  if (o.status != RunStatus::complete) {
    status = o.status;
    stop_reason = o.stop_reason;
  }
  wall_ns += o.wall_ns;
  total.merge(o.total);
  for (const auto& l : o.labels) {
    auto& mine = label_of(labels, l.label);
    mine.stats.merge(l.stats);
    mine.error = mine.error || l.error;
    for (const auto& s : l.subcalls) subcall_of(mine.subcalls, s.name).stats.merge(s.stats);
  }
}

int RunSummary::slowest_rank() const {
  if (rank_balance.empty()) return -1;
  auto it = std::max_element(rank_balance.begin(), rank_balance.end(),
                             [](auto& a, auto& b) { return a.wall_ns < b.wall_ns; });
  return it->rank;
}

std::vector<NodeBalance> RunSummary::nodes() const {
  std::vector<const RankBalance*> by_rank;
  for (const auto& r : rank_balance) by_rank.push_back(&r);
  std::stable_sort(by_rank.begin(), by_rank.end(),
                   [](const RankBalance* a, const RankBalance* b) { return a->rank < b->rank; });
  std::vector<NodeBalance> out;
  for (const RankBalance* r : by_rank) {
    auto node = std::find_if(out.begin(), out.end(),
                             [&](const NodeBalance& n) { return n.host == r->host; });
    if (node == out.end()) node = out.insert(out.end(), NodeBalance{r->host, {}, 0, 0, 0});
    node->ranks.push_back(r->rank);
    node->calls += r->calls;
    node->busy_ns += r->busy_ns;
    node->wall_ns = std::max(node->wall_ns, r->wall_ns);
  }
  return out;
}

std::string RunSummary::slowest_node() const {
  const int slow = slowest_rank();
  for (const auto& r : rank_balance)
    if (r.rank == slow) return r.host;
  return "";
}

RunSummary merge_suite(const std::vector<RunSummary>& runs) {
  RunSummary merged;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i == 0) {
      merged = runs[0];
      merged.rank_balance.clear();
      merged.thread_balance.clear();
    } else {
      merged.merge(runs[i]);
    }
  }
  return merged;
}

}  // namespace gorgon
