#pragma once
// The self-contained HTML report: one file, Chart.js inlined, no network request when viewed.
//
// Every string taken from the results file reaches the page either HTML-escaped (tables,
// titles) or inside the page's JSON data block, escaped for a <script> element; the page's
// own script only hands strings to Chart.js (drawn on a canvas) or to textContent.
//
// The page checks itself: once every chart is built it sets data-render="ok" on <html>
// (or "error"), and data-charts-expected / data-charts-drawn on <body>; script errors are
// collected into <pre id="gorgon-errors">. The Chromium test (tests/report/check_html_render.py)
// reads those, and measures the drawn page itself.
#include <iosfwd>
#include <string>
#include <string_view>

#include "report_data.hpp"

namespace gorgon::analysis {

/// Writes the report of `data` as one HTML document, inlining `chartjs` (the library's
/// source: builtin_chartjs() or what load_chartjs read, see chartjs.hpp).
void write_html_report(const ReportData& data, std::string_view chartjs, std::ostream& out);

namespace detail {
/// The page's style sheet and its script (the chart builders), kept apart from the C++.
std::string_view page_css();
std::string_view page_error_script();
std::string_view page_script();
}  // namespace detail

}  // namespace gorgon::analysis
