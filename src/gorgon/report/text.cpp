#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "gorgon/report/reporter.hpp"
#include "gorgon/base/units.hpp"

namespace gorgon {
namespace {

std::string stats_line(const std::string& name, const Summary& s, std::uint64_t wall_ns) {
  std::string line = fmt::format("{:>12} {:>10} {:>8} ops/sec. Avg time: {:>9} Max: {:>9} Min: {:>9}",
                                 name, s.count, format_rate(s.rate(wall_ns)),
                                 format_duration(static_cast<std::uint64_t>(s.mean_ns())),
                                 format_duration(s.max_ns), format_duration(s.count ? s.min_ns : 0));
  line += fmt::format(" Std: {:>9}", format_duration(static_cast<std::uint64_t>(s.stddev_ns())));
  for (double p : kReportPercentiles)
    line += fmt::format(" {}: {:>9}", fmt_percentile(p), format_duration(s.percentile_ns(p)));
  return line;
}

}  // namespace

std::string format_rate(double r) {
  if (r >= 100) return fmt::format("{:.0f}", r);
  if (r >= 1) return fmt::format("{:.1f}", r);
  return fmt::format("{:.3f}", r);
}

std::string small_report(const RunSummary& s) {
  std::string out = fmt::format("Total time: {:>9}\n", format_duration(s.wall_ns));
  out += stats_line("Result", s.total, s.wall_ns) + "\n";
  for (const auto& l : s.labels) {
    out += stats_line(l.label, l.stats, s.wall_ns) + "\n";
    for (const auto& sub : l.subcalls) out += stats_line(sub.name + "<", sub.stats, s.wall_ns) + "\n";
  }
  return out;
}

std::string balance_line(const RunSummary& s) {
  if (s.rank_balance.empty()) return "Balance: no per-rank data\n";
  auto [rmin, rmax] = std::minmax_element(s.rank_balance.begin(), s.rank_balance.end(),
                                          [](auto& a, auto& b) { return a.calls < b.calls; });
  std::uint64_t tmin = UINT64_MAX, tmax = 0, bmin = UINT64_MAX, bmax = 0;
  for (const auto& t : s.thread_balance) {
    tmin = std::min(tmin, t.calls);
    tmax = std::max(tmax, t.calls);
    bmin = std::min(bmin, t.busy_ns);
    bmax = std::max(bmax, t.busy_ns);
  }
  if (s.thread_balance.empty()) tmin = bmin = 0;
  const int slow = s.slowest_rank();
  return fmt::format(
      "Balance: calls per rank {}..{}, per thread {}..{}; busy per thread {}..{}; "
      "slowest rank {} ({})\n",
      rmin->calls, rmax->calls, tmin, tmax, format_duration(bmin), format_duration(bmax), slow,
      format_duration(s.rank_balance[static_cast<std::size_t>(slow)].wall_ns));
}

std::string run_title(const RunSummary& s, std::size_t index, std::size_t count) {
  std::string params;
  for (const auto& [k, v] : s.params) params += (params.empty() ? "" : ", ") + k + "=" + v;
  std::string what = s.mode == RunMode::duration
                         ? fmt::format("for {}", format_duration(s.duration_ns))
                         : fmt::format("x {} calls", s.ops);
  if (s.rate > 0) what += fmt::format(" at {} calls/s", format_rate(s.rate));
  if (s.warmup_calls > 0) what += fmt::format(" after {} warm-up calls", s.warmup_calls);
  return fmt::format("Run {} of {}: {}{} {}, {} ranks x {} threads, seed {}\n", index + 1, count,
                     s.operation, params.empty() ? "" : " (" + params + ")", what, s.ranks,
                     s.threads, s.seed);
}

std::string status_lines(const RunSummary& s) {
  std::string out;
  if (s.status != RunStatus::complete)
    out += fmt::format("Interrupted ({}): the report covers the {} calls that completed\n",
                       s.stop_reason.empty() ? "stopped" : s.stop_reason, s.total.count);
  if (s.rate > 0)
    out += fmt::format("Rate: asked {} calls/s, achieved {} calls/s; {} calls started late ({:.2f}%)\n",
                       format_rate(s.rate), format_rate(s.total.rate(s.wall_ns)), s.late_calls,
                       s.total.count ? 100.0 * static_cast<double>(s.late_calls) /
                                           static_cast<double>(s.total.count)
                                     : 0.0);
  return out;
}

void TextReporter::report_run(const RunSummary& run, std::size_t index, std::size_t count) {
  out_ << run_title(run, index, count) << status_lines(run) << small_report(run)
       << balance_line(run) << '\n';
  out_.flush();
}

void TextReporter::report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) {
  if (runs.size() < 2) return;  // a single run was reported in full already
  out_ << fmt::format("Suite of {} runs, {} calls\n", runs.size(), suite.total.count)
       << small_report(suite);
  out_.flush();
}

}  // namespace gorgon
