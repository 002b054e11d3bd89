#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <ostream>

#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon {
namespace {

/// The name column: wide enough for the longest name up to kMaxName; a longer name gets a
/// line of its own above its numbers, so the columns stay where they are.
constexpr std::size_t kMinName = 12, kMaxName = 20;

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // code points (UTF-8 lead bytes)
  return n;
}

std::string stats_columns(const Summary& s, std::uint64_t wall_ns) {
  std::string line = fmt::format(
      "{:>9} {:>8} ops/sec. Avg time: {:>7} Max: {:>7} Min: {:>7}", s.count,
      format_rate(s.rate(wall_ns)), format_duration(static_cast<std::uint64_t>(s.mean_ns())),
      format_duration(s.max_ns), format_duration(s.count ? s.min_ns : 0));
  line += fmt::format(" Std: {:>7}", format_duration(static_cast<std::uint64_t>(s.stddev_ns())));
  for (double p : kReportPercentiles)
    line += fmt::format(" {}: {:>7}", fmt_percentile(p), format_duration(s.percentile_ns(p)));
  return line;
}

/// The width of the name column of `s`'s report.
std::size_t name_width(const RunSummary& s) {
  std::size_t w = kMinName;
  for (const auto& l : s.labels) {
    w = std::max(w, display_width(printable_label(l.label)) + (l.error ? 1 : 0));
    for (const auto& sub : l.subcalls)
      w = std::max(w, display_width(printable_label(sub.name)) + 1);
  }
  return std::min(w, kMaxName);
}

std::string stats_line(const std::string& name, const Summary& s, std::uint64_t wall_ns,
                       std::size_t width) {
  const std::size_t shown = display_width(name);
  if (shown > width)  // its own line, then the numbers under an empty name
    return name + "\n" + std::string(width, ' ') + " " + stats_columns(s, wall_ns);
  return std::string(width - shown, ' ') + name + " " + stats_columns(s, wall_ns);
}

}  // namespace

std::string format_rate(double r) {
  if (r >= 100) return fmt::format("{:.0f}", r);
  if (r >= 1) return fmt::format("{:.1f}", r);
  return fmt::format("{:.3f}", r);
}

namespace {

/// Bytes of the well-formed UTF-8 character at label[i] (RFC 3629: shortest form, no
/// surrogates, at most U+10FFFF), or 0 when the bytes there are not one. C1 controls
/// (U+0080..U+009F; U+009B starts a terminal escape) count as not one either.
std::size_t utf8_char_bytes(std::string_view label, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(label[k]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1Fu;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0Fu;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07u;
  else return 0;
  if (i + n > label.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  static constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  if (cp < 0xA0) return 0;
  return n;
}

}  // namespace

std::string printable_label(std::string_view label) {
  std::string out;
  out.reserve(label.size());
  for (std::size_t i = 0; i < label.size();) {
    const auto c = static_cast<unsigned char>(label[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_char_bytes(label, i);
      if (n == 0) out += fmt::format("\\x{:02x}", c);  // not UTF-8, or a C1 control
      else out.append(label.substr(i, n));
      i += n == 0 ? 1 : n;
      continue;
    }
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
    ++i;
  }
  return out;
}

std::string small_report(const RunSummary& s) {
  const std::size_t w = name_width(s);
  std::string out = fmt::format("Total time: {:>9}\n", format_elapsed(s.wall_ns));
  out += stats_line("Result", s.total, s.wall_ns, w) + "\n";
  for (const auto& l : s.labels) {
    out +=
        stats_line(printable_label(l.label) + (l.error ? kErrorMark : ""), l.stats, s.wall_ns, w) +
        "\n";
    for (const auto& sub : l.subcalls)
      out += stats_line(printable_label(sub.name) + "<", sub.stats, s.wall_ns, w) + "\n";
  }
  return out + error_lines(s);
}

std::string error_lines(const RunSummary& s) {
  const std::uint64_t errors = s.errors();
  if (errors == 0) return "";
  std::string which;
  for (const auto& l : s.labels)
    if (l.error) which += (which.empty() ? "" : ", ") + printable_label(l.label);
  if (errors == s.total.count)
    return fmt::format("EVERY CALL FAILED: all {} calls are errors ({})\n", errors, which);
  return fmt::format("Errors: {} of {} calls ({:.3g}%), marked {}: {}\n", errors, s.total.count,
                     100.0 * static_cast<double>(errors) / static_cast<double>(s.total.count),
                     kErrorMark, which);
}

namespace {
/// The clocks' uncertainty, when it is not small against the run: each rank's offset to rank
/// 0 is known within half its estimate's round trip; past 1% of the run's wall time, times
/// compared across ranks (the file's aligned starts) are said to be that uncertain.
std::string clock_line(const RunSummary& s) {
  std::uint64_t rtt = 0, wall = 0;
  int rank = 0;
  for (const auto& r : s.rank_balance) {
    wall = std::max(wall, r.wall_ns);
    if (r.rank != 0 && r.clock_rtt_ns > rtt) {
      rtt = r.clock_rtt_ns;
      rank = r.rank;
    }
  }
  if (rtt == 0 || rtt / 2 * 100 <= wall) return "";
  return fmt::format(
      "Clocks: rank {}'s offset to rank 0 is uncertain by up to {} (half its "
      "estimate's round trip), {:.2g}% of the run; times across ranks are "
      "good to that\n",
      rank, format_duration(rtt / 2),
      100.0 * static_cast<double>(rtt / 2) / static_cast<double>(std::max<std::uint64_t>(wall, 1)));
}

/// The balance line's per-node part, when the run spans more than one host ("" on one):
/// "; nodes 3: calls per node a..b, busy per node c..d; slowest node gvc2 (wall)".
std::string node_figures(const RunSummary& s) {
  const std::vector<NodeBalance> nodes = s.nodes();
  if (nodes.size() < 2) return "";
  auto [cmin, cmax] = std::minmax_element(nodes.begin(), nodes.end(),
                                          [](auto& a, auto& b) { return a.calls < b.calls; });
  auto [bmin, bmax] = std::minmax_element(nodes.begin(), nodes.end(),
                                          [](auto& a, auto& b) { return a.busy_ns < b.busy_ns; });
  const std::string slow = s.slowest_node();
  std::uint64_t wall = 0;
  for (const auto& n : nodes)
    if (n.host == slow) wall = n.wall_ns;
  return fmt::format(
      "; nodes {}: calls per node {}..{}, busy per node {}..{}; slowest node {} ({})", nodes.size(),
      cmin->calls, cmax->calls, format_elapsed(bmin->busy_ns), format_elapsed(bmax->busy_ns),
      printable_label(slow), format_elapsed(wall));
}
}  // namespace

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
  const RankBalance* slowest = nullptr;
  for (const auto& r : s.rank_balance)
    if (r.rank == slow) slowest = &r;
  std::string line = fmt::format(
      "Balance: calls per rank {}..{}, per thread {}..{}; busy per thread {}..{}; "
      "slowest rank {} ({}){}\n",
      rmin->calls, rmax->calls, tmin, tmax, format_elapsed(bmin), format_elapsed(bmax), slow,
      format_elapsed(slowest != nullptr ? slowest->wall_ns : 0), node_figures(s));
  return line + clock_line(s);
}

namespace {
/// A parameter's value in the title: at most 80 bytes ("..." for the rest, never inside a
/// UTF-8 character; the file and the JSON keep it whole).
std::string shortened(std::string v) {
  constexpr std::size_t kMax = 80;
  if (v.size() <= kMax) return v;
  std::size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
  return v.substr(0, cut) + "...";
}
}  // namespace

std::string run_title(const RunSummary& s, std::size_t index, std::size_t count) {
  std::string params;
  for (const auto& [k, v] : s.params)
    if (std::find(s.params_given.begin(), s.params_given.end(), k) != s.params_given.end())
      params += (params.empty() ? "" : ", ") + k + "=" + shortened(printable_label(v));
  std::string what = s.mode == RunMode::duration
                         ? fmt::format("for {}", format_elapsed(s.duration_ns))
                         : fmt::format("x {} calls", s.ops);
  if (s.rate > 0) what += fmt::format(" at {} calls/s", format_rate(s.rate));
  if (s.warmup_calls > 0) what += fmt::format(" after {} warm-up calls", s.warmup_calls);
  return fmt::format("Run {} of {}: {}{} {}, {} ranks x {} threads, seed {}\n", index + 1, count,
                     s.operation, params.empty() ? "" : " (" + params + ")", what, s.ranks,
                     s.threads, s.seed);
}

/// --stonewall: each rank's calls when every rank stopped starting calls, and the rate up to
/// then; with --wear-out, the rate of the whole run too (IOR reports both).
std::string stonewall_line(const RunSummary& s) {
  if (s.stonewall_ns == 0) return "";
  if (!s.stonewall_reached)
    return fmt::format("Stonewall: {}, not reached (every call was made before it)\n",
                       format_duration(s.stonewall_ns));
  std::uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
  for (const auto& r : s.rank_balance) {
    lo = std::min(lo, r.stonewall_calls);
    hi = std::max(hi, r.stonewall_calls);
    sum += r.stonewall_calls;
  }
  if (s.rank_balance.empty()) lo = 0;
  std::string out = fmt::format(
      "Stonewall: at {}, calls per rank {}..{}, {} in all, {} calls/s",
      format_duration(s.stonewall_ns), lo, hi, sum,
      format_rate(static_cast<double>(sum) * 1e9 / static_cast<double>(s.stonewall_ns)));
  if (s.wear_out)
    out += fmt::format("; with the wear-out {} calls in {}, {} calls/s", s.total.count,
                       format_elapsed(s.wall_ns), format_rate(s.total.rate(s.wall_ns)));
  return out + "\n";
}

std::string status_lines(const RunSummary& s) {
  std::string out;
  if (s.status != RunStatus::complete)
    out += fmt::format("Interrupted ({}): the report covers the {} calls that completed\n",
                       s.stop_reason.empty() ? "stopped" : s.stop_reason, s.total.count);
  if (s.rate > 0)
    out += fmt::format(
        "Rate: asked {} calls/s, achieved {} calls/s; {} calls started late ({:.2f}%)\n",
        format_rate(s.rate), format_rate(s.total.rate(s.wall_ns)), s.late_calls,
        s.total.count
            ? 100.0 * static_cast<double>(s.late_calls) / static_cast<double>(s.total.count)
            : 0.0);
  if (s.record_waits > 0)  // the record stream's budget was used up: the threads waited
    out += fmt::format(
        "Records: the threads waited {} times, {} in all, for the {} each rank may hold "
        "(--memory)\n",
        s.record_waits, format_elapsed(s.record_wait_ns), format_bytes(s.record_budget_bytes));
  return out + stonewall_line(s);
}

std::string limit_lines(const RunSummary& s) {
  std::string out;
  for (const auto& l : s.limits)
    out += fmt::format("Limit {}: {} (measured {})\n", l.limit, l.passed ? "passed" : "FAILED",
                       l.measured);
  return out;
}

std::string run_report(const RunSummary& run, std::size_t index, std::size_t count) {
  return run_title(run, index, count) + status_lines(run) + small_report(run) + limit_lines(run) +
         balance_line(run) + "\n";
}

std::string suite_report(const std::vector<RunSummary>& runs, const RunSummary& suite) {
  if (runs.size() < 2) return "";  // a single run was reported in full already
  return fmt::format("Suite of {} runs, {} calls\n", runs.size(), suite.total.count) +
         small_report(suite);
}

void TextReporter::report_run(const RunSummary& run, std::size_t index, std::size_t count) {
  out_ << run_report(run, index, count);
  out_.flush();
}

void TextReporter::report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) {
  out_ << suite_report(runs, suite);
  out_.flush();
}

}  // namespace gorgon
