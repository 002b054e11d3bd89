#include "html_data.hpp"

#include <algorithm>

#include "distribution.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon::analysis {
namespace {

using nlohmann::json;

/// Whether the label named `name` is an error in `s` ("other" and unknown names are not).
bool is_error_label(const RunSummary& s, const std::string& name) {
  return std::any_of(s.labels.begin(), s.labels.end(),
                     [&](const LabelSummary& l) { return l.error && l.label == name; });
}

json series_json(const TimeSeries& t, const RunSummary& s) {
  json j;
  j["bin_s"] = static_cast<double>(t.bin_ns) / 1e9;
  j["t"] = t.time_s;
  j["calls"] = t.calls;
  j["total_per_s"] = t.total_per_s;
  j["labels"] = t.labels;
  json errors = json::array();
  for (const auto& name : t.labels) errors.push_back(is_error_label(s, name));
  j["label_errors"] = errors;
  j["per_s"] = t.per_s;
  j["nodes"] = t.nodes;
  j["node_per_s"] = t.node_per_s;
  j["pct_bin_s"] = static_cast<double>(t.percentile_bin_ns) / 1e9;
  j["pct_t"] = t.percentile_time_s;
  json pct = json::array();
  for (std::size_t k = 0; k < std::size(kReportPercentiles); ++k) {
    json col = json::array();
    for (const auto& p : t.percentiles_ns) col.push_back(p ? json((*p)[k]) : json(nullptr));
    pct.push_back({{"name", fmt_percentile(kReportPercentiles[k])}, {"ns", col}});
  }
  j["percentiles"] = pct;
  return j;
}

json run_json(const RunReport& r) {
  const RunSummary& s = r.summary;
  json j;
  j["series"] = r.series ? series_json(*r.series, s) : json(nullptr);
  std::size_t left_out = 0;
  json dist = json::array();
  for (const auto& d : distributions(s, &left_out)) {
    json bars = json::array();
    for (const auto& b : histogram_bars(d.stats->histogram))
      bars.push_back({b.low_ns, b.high_ns, b.count});
    json spectrum = json::array();
    for (const auto& p : percentile_spectrum(*d.stats))
      spectrum.push_back({p.percentile, p.one_in, p.value_ns});
    dist.push_back({{"name", d.name},
                    {"parent", d.parent},
                    {"error", d.error},
                    {"all", d.stats == &s.total},
                    {"count", d.stats->count},
                    {"bars", bars},
                    {"spectrum", spectrum}});
  }
  j["dist"] = dist;
  json ranks = json::array();
  for (const auto& b : s.rank_balance) ranks.push_back({b.rank, b.calls, b.busy_ns, b.wall_ns});
  j["ranks"] = ranks;
  json threads = json::array();
  for (const auto& t : s.thread_balance) threads.push_back({t.rank, t.thread, t.calls, t.busy_ns});
  j["threads"] = threads;
  return j;
}

}  // namespace

std::vector<Distribution> distributions(const RunSummary& s, std::size_t* left_out) {
  std::vector<const LabelSummary*> labels;
  for (const auto& l : s.labels) labels.push_back(&l);
  std::stable_sort(labels.begin(), labels.end(),
                   [](auto* a, auto* b) { return a->stats.count > b->stats.count; });
  std::vector<Distribution> out;
  if (s.labels.size() > 1) out.push_back({"All calls", "", &s.total});
  std::size_t total = out.size();
  for (const auto* l : labels) {
    total += 1 + l->subcalls.size();
    if (out.size() < kMaxDistributions) out.push_back({l->label, "", &l->stats, l->error});
    for (const auto& sub : l->subcalls)
      if (out.size() < kMaxDistributions) out.push_back({sub.name, l->label, &sub.stats, l->error});
  }
  *left_out = total - out.size();
  return out;
}

json page_json(const ReportData& data) {
  json j;
  j["runs"] = json::array();
  for (const auto& r : data.runs) j["runs"].push_back(run_json(r));
  json scaling = json::array();
  for (const auto& p : data.scaling)
    scaling.push_back({{"ranks", p.ranks},
                       {"threads", p.threads},
                       {"per_s", p.calls_per_s},
                       {"run", data.first_run_index + p.run + 1}});
  j["scaling"] = scaling;
  return j;
}

}  // namespace gorgon::analysis
