#include "gorgon/report/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "gorgon/base/units.hpp"
#include "gorgon/report/reporter.hpp"

namespace gorgon {

ProgressDisplay::ProgressDisplay(std::ostream& out, bool tty, std::uint64_t every_ns,
                                 std::uint64_t total, std::uint64_t duration_ns)
    : out_(out),
      tty_(tty),
      every_ns_(tty ? 500'000'000 : every_ns),
      total_(total),
      duration_ns_(duration_ns) {}

std::string ProgressDisplay::line(
    const ProgressSnapshot& s,
    const std::vector<std::pair<std::uint64_t, std::string>>& names) const {
  const double elapsed_s = static_cast<double>(s.elapsed_ns) / 1e9;
  const double avg = elapsed_s > 0 ? static_cast<double>(s.calls) / elapsed_s : 0;
  std::string text;
  std::uint64_t eta_ns = 0;
  if (total_ > 0) {
    text = fmt::format("{:3.0f}% {}/{} calls",
                       100.0 * static_cast<double>(s.calls) / static_cast<double>(total_), s.calls,
                       total_);
    if (avg > 0 && s.calls < total_)
      eta_ns = static_cast<std::uint64_t>(static_cast<double>(total_ - s.calls) / avg * 1e9);
  } else {
    text = fmt::format("{} calls", s.calls);
    if (duration_ns_ > s.elapsed_ns) eta_ns = duration_ns_ - s.elapsed_ns;
  }
  text += fmt::format(", {} calls/s now, {} calls/s avg, ETA {}, errors {}", format_rate(rate_now_),
                      format_rate(avg), format_elapsed(eta_ns), s.errors);
  if (s.late > 0) text += fmt::format(", late {}", s.late);
  // Counts per label, largest first; a slot two labels share is shown as such.
  std::vector<std::pair<std::uint64_t, std::string>> labels;
  for (std::size_t slot = 0; slot < s.slot_calls.size(); ++slot) {
    if (s.slot_calls[slot] == 0) continue;
    std::string name = "(several labels)";
    if (s.slot_hash_min[slot] == s.slot_hash_max[slot]) {
      name = fmt::format("label#{:x}", s.slot_hash_min[slot] & 0xffff);
      for (const auto& [h, n] : names)
        if (h == s.slot_hash_min[slot]) name = n;
    }
    labels.emplace_back(s.slot_calls[slot], name);
  }
  std::sort(labels.begin(), labels.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; i < labels.size() && i < 6; ++i)
    text += fmt::format("{} {} {}", i == 0 ? ";" : ",", labels[i].second, labels[i].first);
  return text;
}

void ProgressDisplay::update(const ProgressSnapshot& s,
                             const std::vector<std::pair<std::uint64_t, std::string>>& names) {
  if (s.warmup != warmup_) {  // a new phase: its counts and clock start from zero
    warmup_ = s.warmup;
    last_calls_ = last_elapsed_ = last_shown_ns_ = 0;
    rate_now_ = 0;
  }
  if (s.elapsed_ns > last_elapsed_) {
    rate_now_ = static_cast<double>(s.calls - last_calls_) * 1e9 /
                static_cast<double>(s.elapsed_ns - last_elapsed_);
  }
  last_calls_ = s.calls;
  last_elapsed_ = s.elapsed_ns;
  if (s.elapsed_ns < last_shown_ns_ + every_ns_ || s.finished) return;
  last_shown_ns_ = s.elapsed_ns;
  if (s.warmup) {
    const std::string text =
        fmt::format("warm-up: {} calls in {}, {} calls/s, errors {}", s.calls,
                    format_elapsed(s.elapsed_ns), format_rate(rate_now_), s.errors);
    if (tty_) out_ << "\r" << text << "\x1b[K" << std::flush;
    else out_ << "progress: " << utc_now() << ' ' << text << '\n' << std::flush;
    drawn_ = tty_;
  } else if (tty_) {
    constexpr int kWidth = 24;
    const double done = total_ ? static_cast<double>(s.calls) / static_cast<double>(total_)
                        : duration_ns_
                            ? static_cast<double>(s.elapsed_ns) / static_cast<double>(duration_ns_)
                            : 0.0;
    const int filled = static_cast<int>(std::clamp(done, 0.0, 1.0) * kWidth);
    out_ << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
         << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] " << line(s, names)
         << "\x1b[K" << std::flush;
    drawn_ = true;
  } else {
    out_ << "progress: " << utc_now() << ' ' << line(s, names) << '\n' << std::flush;
  }
}

void ProgressDisplay::finish() {
  if (tty_ && drawn_) out_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

}  // namespace gorgon
