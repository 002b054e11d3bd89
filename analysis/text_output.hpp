#pragma once
// gorgon_report's text and JSON outputs, made from the report's data model with the same
// reporters the live run uses, so the summary lines are identical.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "report_data.hpp"

namespace gorgon::analysis {

/// What gorgon_mpi printed for these runs: each run's title, report and balance, then the
/// suite's report when there are several runs.
std::string text_report(const ReportData& data);

/// The summary JSON gorgon_mpi --json writes (gorgon::suite_to_json) for these runs.
nlohmann::json json_report(const ReportData& data);

/// The comparison with a baseline as text: per label and sub-call, calls/s and each
/// percentile, current and baseline side by side with the change in percent. Durations are
/// the report's (gorgon::format_duration: three significant digits, rounded).
std::string comparison_text(const Comparison& comparison);

/// "+6.7%", "-3.0%", "+0.0%"; "n/a" without a baseline value; "-" when a side is missing.
std::string format_change(const std::optional<double>& percent);

}  // namespace gorgon::analysis
