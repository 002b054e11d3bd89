#pragma once
// gorgon_report's command line, callable from tests with any source of results.
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "source.hpp"

namespace gorgon::analysis {

/// Opens a results file by name (open_results_file; tests pass synthetic sources).
using SourceOpener = std::function<std::unique_ptr<ReportSource>(const std::string&)>;

/// Exit statuses: 0 success, 1 a failure of the tool or its installation, 2 bad input
/// (options, missing or unreadable files).
inline constexpr int kReportOk = 0;
inline constexpr int kReportFailed = 1;
inline constexpr int kReportBadInput = 2;

/// Runs gorgon_report with `argv`, writing reports to `out` and messages to `err`.
int report_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                const SourceOpener& open);

}  // namespace gorgon::analysis
