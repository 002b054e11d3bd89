#include "gorgon/base/units.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>

#include "gorgon/base/error.hpp"

namespace gorgon {

std::uint64_t parse_duration_ns(std::string_view text) {
  const std::string shown(text);
  std::size_t split = 0;
  while (split < text.size() && ((text[split] >= '0' && text[split] <= '9') || text[split] == '.'))
    ++split;
  const std::string_view number = text.substr(0, split);
  const std::string_view unit = text.substr(split);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size())
    throw ConfigError("invalid duration '" + shown + "' (expected e.g. 500ms, 2s, 1m)");
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else
    throw ConfigError("invalid duration '" + shown + "': unknown unit '" + std::string(unit) +
                      "' (use ns, us, ms, s, m or h)");
  const double ns = value * scale;
  if (!std::isfinite(ns) || ns >= 1.8e19) throw ConfigError("duration '" + shown + "' is too long");
  return static_cast<std::uint64_t>(std::round(ns));  // not llround: past 2^63 it overflows
}

std::uint64_t parse_bytes(std::string_view text) {
  const std::string shown(text);
  std::string_view digits = text;
  for (std::string_view tail : {"iB", "B"})
    if (digits.size() > tail.size() && digits.substr(digits.size() - tail.size()) == tail) {
      digits.remove_suffix(tail.size());
      break;
    }
  int shift = 0;
  if (!digits.empty()) switch (digits.back()) {
      case 'K':
      case 'k': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: break;
    }
  if (shift > 0) digits.remove_suffix(1);
  std::uint64_t whole = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), whole);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    throw ConfigError("invalid size '" + shown + "' (expected e.g. 512M, 2G or 65536)");
  if (shift > 0 && whole > (std::numeric_limits<std::uint64_t>::max() >> shift))
    throw ConfigError("size '" + shown + "' is too large");
  return whole << shift;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.3g} {}", v, kUnits[u]);
}

std::uint64_t parse_count(std::string_view text) {
  const std::string shown(text);
  if (text.empty() || text.front() == '-' || text.front() == '+')
    throw ConfigError("invalid count '" + shown + "' (expected a whole number >= 0)");
  double scale = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 'k':
      scale = 1e3;
      digits.remove_suffix(1);
      break;
    case 'M':
      scale = 1e6;
      digits.remove_suffix(1);
      break;
    case 'G':
      scale = 1e9;
      digits.remove_suffix(1);
      break;
    default: break;
  }
  std::uint64_t whole = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), whole);
  if (ec == std::errc() && end == digits.data() + digits.size() && scale == 1) return whole;
  double value = 0;
  auto [end2, ec2] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec2 != std::errc() || end2 != digits.data() + digits.size())
    throw ConfigError("invalid count '" + shown + "' (expected a whole number >= 0)");
  value *= scale;
  if (value < 0 || value != std::floor(value) || value >= 1.8e19)
    throw ConfigError("invalid count '" + shown + "' (expected a whole number >= 0)");
  return static_cast<std::uint64_t>(value);
}

std::string format_duration(std::uint64_t ns) {
  if (ns < 1000) return fmt::format("{}ns", ns);
  // Three significant digits, rounded: the first bracket whose rounded value stays below
  // 1000 (so 9.996us is "10.0us" and 999.6us is "1.00ms").
  struct Bracket {
    std::uint64_t unit;
    int decimals;
    const char* name;
  };
  static constexpr Bracket kBrackets[] = {
      {1'000, 2, "us"},        {1'000, 1, "us"},        {1'000, 0, "us"},
      {1'000'000, 2, "ms"},    {1'000'000, 1, "ms"},    {1'000'000, 0, "ms"},
      {1'000'000'000, 2, "s"}, {1'000'000'000, 1, "s"}, {1'000'000'000, 0, "s"}};
  for (const Bracket& b : kBrackets) {
    const std::uint64_t scale = b.unit / (b.decimals == 2 ? 100 : b.decimals == 1 ? 10 : 1);
    const std::uint64_t r = ns / scale + (ns % scale >= scale / 2 ? 1 : 0);
    if (r >= 1000) continue;
    if (b.decimals == 0) return fmt::format("{}{}", r, b.name);
    const std::uint64_t div = b.decimals == 2 ? 100 : 10;
    return fmt::format("{}.{:0{}}{}", r / div, r % div, b.decimals, b.name);
  }
  // From 1000 s: minutes and seconds, then hours and minutes (rounded to the last unit).
  constexpr std::uint64_t s = 1'000'000'000, min = 60 * s, h = 60 * min;
  const auto rounded = [ns](std::uint64_t unit) { return ns / unit + (ns % unit >= unit / 2); };
  if (ns < h - s / 2) {
    const std::uint64_t secs = rounded(s);
    return fmt::format("{}m {}s", secs / 60, secs % 60);
  }
  if (ns < 100 * h - min / 2) {
    const std::uint64_t mins = rounded(min);
    return fmt::format("{}h {}m", mins / 60, mins % 60);
  }
  return fmt::format("{}h", rounded(h));
}

std::string format_elapsed(std::uint64_t ns) {
  constexpr std::uint64_t ms = 1'000'000, s = 1000 * ms, min = 60 * s, h = 60 * min;
  if (ns < s) return format_duration(ns);
  if (ns < min) return fmt::format("{}s {}ms", ns / s, ns % s / ms);
  if (ns < h) return fmt::format("{}m {}s", ns / min, ns % min / s);
  return fmt::format("{}h {}m {}s", ns / h, ns % h / min, ns % min / s);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gorgon
