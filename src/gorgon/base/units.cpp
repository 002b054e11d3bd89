#include "gorgon/base/units.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "gorgon/base/error.hpp"

namespace gorgon {

std::uint64_t parse_duration_ns(std::string_view text) {
  const std::string shown(text);
  std::size_t split = 0;
  while (split < text.size() &&
         ((text[split] >= '0' && text[split] <= '9') || text[split] == '.'))
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

std::uint64_t parse_count(std::string_view text) {
  const std::string shown(text);
  if (text.empty() || text.front() == '-' || text.front() == '+')
    throw ConfigError("invalid count '" + shown + "' (expected a whole number >= 0)");
  double scale = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 'k': scale = 1e3; digits.remove_suffix(1); break;
    case 'M': scale = 1e6; digits.remove_suffix(1); break;
    case 'G': scale = 1e9; digits.remove_suffix(1); break;
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
  constexpr std::uint64_t us = 1000, ms = 1000 * us, s = 1000 * ms, min = 60 * s, h = 60 * min;
  if (ns < us) return fmt::format("{}ns", ns);
  if (ns < 10 * us) return fmt::format("{}.{:02}us", ns / us, ns % us / 10);
  if (ns < 100 * us) return fmt::format("{}.{}us", ns / us, ns % us / 100);
  if (ns < ms) return fmt::format("{}us", ns / us);
  if (ns < s) return fmt::format("{}ms", ns / ms);
  if (ns < min) return fmt::format("{}s {}ms", ns / s, ns % s / ms);
  if (ns < h) return fmt::format("{}m {}s", ns / min, ns % min / s);
  return fmt::format("{}h {}m {}s", ns / h, ns % h / min, ns % min / s);
}

}  // namespace gorgon
