#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon {
namespace {

nlohmann::json summary_json(const Summary& s, std::uint64_t wall_ns) {
  nlohmann::json j;
  j["count"] = s.count;
  j["calls_per_s"] = s.rate(wall_ns);
  j["sum_ns"] = s.sum_ns;
  j["mean_ns"] = s.mean_ns();
  j["stddev_ns"] = s.stddev_ns();
  j["min_ns"] = s.count ? s.min_ns : 0;
  j["max_ns"] = s.max_ns;
  nlohmann::json p = nlohmann::json::object();
  for (double q : kReportPercentiles) p[fmt_percentile(q)] = s.percentile_ns(q);
  j["percentiles_ns"] = p;
  return j;
}

}  // namespace

std::string fmt_percentile(double p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "p%g", p);
  return buf;
}

nlohmann::json to_json(const RunSummary& s) {
  nlohmann::json j;
  RunSummary::fields(s, [&](const char* name, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<T>) j[name] = name_of(value);
    else j[name] = value;
  });
  j["params"] = nlohmann::json::object();
  for (const auto& [k, v] : s.params) j["params"][k] = v;
  j["runs"] = s.runs;
  j["errors"] = s.errors();
  j["result"] = summary_json(s.total, s.wall_ns);
  j["labels"] = nlohmann::json::array();
  for (const auto& l : s.labels) {
    nlohmann::json lj = summary_json(l.stats, s.wall_ns);
    lj["label"] = l.label;
    lj["error"] = l.error;
    lj["subcalls"] = nlohmann::json::array();
    for (const auto& sub : l.subcalls) {
      nlohmann::json sj = summary_json(sub.stats, s.wall_ns);
      sj["name"] = sub.name;
      lj["subcalls"].push_back(sj);
    }
    j["labels"].push_back(lj);
  }
  j["limits"] = nlohmann::json::array();
  for (const auto& l : s.limits)
    j["limits"].push_back({{"limit", l.limit}, {"measured", l.measured}, {"passed", l.passed}});
  if (!s.rank_balance.empty()) {
    nlohmann::json b;
    b["slowest_rank"] = s.slowest_rank();
    b["ranks"] = nlohmann::json::array();
    for (const auto& r : s.rank_balance)
      b["ranks"].push_back({{"rank", r.rank},
                            {"calls", r.calls},
                            {"busy_ns", r.busy_ns},
                            {"wall_ns", r.wall_ns},
                            {"clock_offset_ns", r.clock_offset_ns},
                            {"clock_rtt_ns", r.clock_rtt_ns},
                            {"host", r.host},
                            {"stonewall_calls", r.stonewall_calls}});
    b["threads"] = nlohmann::json::array();
    for (const auto& t : s.thread_balance)
      b["threads"].push_back(
          {{"rank", t.rank}, {"thread", t.thread}, {"calls", t.calls}, {"busy_ns", t.busy_ns}});
    b["slowest_node"] = s.slowest_node();
    b["nodes"] = nlohmann::json::array();
    for (const auto& n : s.nodes())
      b["nodes"].push_back({{"host", n.host},
                            {"ranks", n.ranks},
                            {"calls", n.calls},
                            {"busy_ns", n.busy_ns},
                            {"wall_ns", n.wall_ns}});
    j["balance"] = b;
  }
  return j;
}

nlohmann::json suite_to_json(const std::vector<RunSummary>& runs, const RunSummary& suite) {
  nlohmann::json j;
  j["format"] = "gorgon-mpi-summary";
  j["version"] = 1;
  j["runs"] = nlohmann::json::array();
  for (const auto& r : runs) j["runs"].push_back(to_json(r));
  nlohmann::json sj;
  sj["runs"] = suite.runs;
  sj["wall_ns"] = suite.wall_ns;
  sj["errors"] = suite.errors();
  sj["result"] = summary_json(suite.total, suite.wall_ns);
  sj["labels"] = to_json(suite)["labels"];
  j["suite"] = sj;
  return j;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void JsonReporter::report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) {
  write_file_atomically(path_, json_text(suite_to_json(runs, suite)), overwrite_);
}

}  // namespace gorgon
