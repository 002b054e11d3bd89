#pragma once
// The Chart.js the HTML report inlines: the copy built into gorgon_report (Debian's
// libjs-chart.js, compiled in by embed_chartjs.cmake), or a file given with --chartjs.
#include <string>
#include <string_view>

namespace gorgon::analysis {

/// The Chart.js source built into the program.
std::string_view builtin_chartjs();
/// Its version, from its banner ("3.9.1").
std::string_view builtin_chartjs_version();

/// Throws std::runtime_error naming `what` unless `js` looks like Chart.js and can be put
/// inside a <script> element as it is (no "</script", no "<!--").
void check_inlinable(std::string_view js, const std::string& what);

/// The Chart.js source in the file `path`, checked by check_inlinable. Throws
/// std::runtime_error with a clear message when it is missing, unreadable or unusable.
std::string load_chartjs(const std::string& path);

}  // namespace gorgon::analysis
