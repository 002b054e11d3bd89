#pragma once
// Reporters turn summaries into output. One small interface, one file per format.
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gorgon/stats/summary.hpp"

namespace gorgon {

/// Receives each run's summary as it completes, then the suite's.
class Reporter {
 public:
  virtual ~Reporter() = default;
  /// Run `index` (0-based) of `count` has completed.
  virtual void report_run(const RunSummary& run, std::size_t index, std::size_t count) = 0;
  /// The suite has completed; `suite` is every run merged.
  virtual void report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) = 0;
};

/// What marks a label that is a failure under the run's error rule ("FAIL!").
inline constexpr const char* kErrorMark = "!";

/// The original tool's report: "Total time:", a "Result" line over every call, a line per
/// label, and " name<" lines for the sub-calls under each label, with percentile columns.
std::string small_report(const RunSummary& summary);
/// One line: how evenly calls and busy time were spread over ranks and threads.
std::string balance_line(const RunSummary& summary);
/// One line naming a run: operation, parameters, calls, ranks x threads.
std::string run_title(const RunSummary& summary, std::size_t index, std::size_t count);
/// "p50", "p99.9": the key of a percentile in JSON.
std::string fmt_percentile(double p);
/// The interruption and open-loop rate lines of a run ("" when there is nothing to say).
std::string status_lines(const RunSummary& summary);
/// A call rate the way reports print it: "512", "9.5", "0.250".
std::string format_rate(double per_second);
/// A label as a terminal may show it: control characters (C0 and C1), newlines and
/// backslashes escaped ("\n", "\x1b"), and every byte that is not part of well-formed UTF-8
/// as "\xff", so a label can neither break a report's lines nor drive the terminal, and the
/// report is valid UTF-8.
std::string printable_label(std::string_view label);
/// How many calls failed and under which labels; loud when every call failed ("" for none).
std::string error_lines(const RunSummary& summary);
/// One line per --fail-if limit checked against the run: passed or FAILED, and the value.
std::string limit_lines(const RunSummary& summary);
/// A run's whole text report: title, status, the statistics, errors, limits and balance.
std::string run_report(const RunSummary& run, std::size_t index, std::size_t count);
/// The suite's text report after its runs ("" for a suite of one run).
std::string suite_report(const std::vector<RunSummary>& runs, const RunSummary& suite);

/// Prints each run (title, report, balance) and then the suite to a stream.
class TextReporter final : public Reporter {
 public:
  explicit TextReporter(std::ostream& out) : out_(out) {}
  void report_run(const RunSummary& run, std::size_t index, std::size_t count) override;
  void report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) override;

 private:
  std::ostream& out_;
};

/// The summary as JSON: every number the text report prints, and the balance.
nlohmann::json to_json(const RunSummary& summary);
/// {"format": "gorgon-mpi-summary", "version": 1, "runs": [...], "suite": {...}}
nlohmann::json suite_to_json(const std::vector<RunSummary>& runs, const RunSummary& suite);

/// Writes the suite's JSON to a file when the suite completes (write then rename; an
/// existing file is replaced only with `overwrite`).
class JsonReporter final : public Reporter {
 public:
  explicit JsonReporter(std::string path, bool overwrite = true)
      : path_(std::move(path)), overwrite_(overwrite) {}
  void report_run(const RunSummary&, std::size_t, std::size_t) override {}
  void report_suite(const std::vector<RunSummary>& runs, const RunSummary& suite) override;

 private:
  std::string path_;
  bool overwrite_;
};

/// JSON text of `j` with any invalid UTF-8 in labels replaced (U+FFFD), never a failure.
std::string json_text(const nlohmann::json& j);

}  // namespace gorgon
