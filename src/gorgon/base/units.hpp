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

/// A size in bytes: a whole number with an optional binary suffix K, M, G or T (KiB, MiB,
/// GiB, TiB; "KiB" and "MB"-style spellings too, all binary): "512M", "2GiB", "65536".
/// Throws ConfigError on anything else and on overflow.
std::uint64_t parse_bytes(std::string_view text);

/// A size the way messages print it: "512 B", "64 KiB", "1.5 GiB" (three significant digits).
std::string format_bytes(std::uint64_t bytes);

/// A duration the way the statistics print it: three significant digits at every scale,
/// rounded ("87ns", "1.52us", "15.2us", "152us", "1.93ms", "725ms", "3.62s", "362s"), then
/// "16m 40s" and "2h 5m" from 1000 s. At most 7 characters below 100 hours.
std::string format_duration(std::uint64_t ns);

/// An elapsed time the way the original tool printed it: "725ms" below a second (three
/// significant digits), then "3s 621ms", "2m 5s", "1h 2m 5s" (truncated).
std::string format_elapsed(std::uint64_t ns);

/// The wall-clock time now, in UTC, as ISO 8601 to the second: "2026-12-02T21:40:03Z".
std::string utc_now();

}  // namespace gorgon
