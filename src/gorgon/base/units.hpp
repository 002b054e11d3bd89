#pragma once
// Parsing and printing of durations and counts, as users type and read them.
#include <cstdint>
#include <string>
#include <string_view>

namespace gorgon {

/// "250ms", "1.5s", "10us", "2m", "1h", "750ns"; a bare number means seconds.
/// Throws ConfigError on anything else, on negative values and on overflow.
std::uint64_t parse_duration_ns(std::string_view text);

/// A positive or zero integer, optionally with a k/M/G suffix (×1000) or in e-notation
/// ("4e6"). Throws ConfigError when it is not a whole non-negative number.
std::uint64_t parse_count(std::string_view text);

/// A duration the way the report prints it, the original tool's layout from a millisecond
/// up ("725ms", "3s 621ms"), then "2m 5s" and "1h 2m 5s"; below a millisecond three
/// significant digits in a finer unit ("512us", "15.2us", "1.52us", "87ns"). Values are
/// truncated, never rounded up.
std::string format_duration(std::uint64_t ns);

}  // namespace gorgon
