#pragma once
// Where a report's data comes from: a small interface over a results file, so the report
// can be built (and tested) from any source — the HDF5 reader, or synthetic data in tests.
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "report_data.hpp"

namespace gorgon::analysis {

/// A file that cannot be read as a gorgon_mpi results file (missing, truncated, another
/// format, a newer format version, ...). The message says which and why; exit status 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

/// The runs of one results file.
class ReportSource {
 public:
  virtual ~ReportSource() = default;
  /// The file's name as the user gave it.
  [[nodiscard]] virtual std::string name() const = 0;
  /// The file's root attributes, as strings.
  virtual Metadata file_metadata() = 0;
  virtual std::size_t run_count() = 0;
  /// Run `run`'s reduced summary, as the live run reported it.
  virtual RunSummary summary(std::size_t run) = 0;
  /// Run `run`'s attributes, as strings.
  virtual Metadata run_metadata(std::size_t run) = 0;
  /// Whether run `run` has raw call records (a time series can be built).
  virtual bool has_calls(std::size_t run) = 0;
  /// Run `run`'s label table: CallChunk::label indexes it.
  virtual std::vector<std::string> labels(std::size_t run) = 0;
  /// Streams run `run`'s raw calls to `sink`, one chunk at a time; a chunk's spans are valid
  /// only during the call to `sink`.
  virtual void stream_calls(std::size_t run, const std::function<void(const CallChunk&)>& sink) = 0;
  /// Rank 0's time of the run's start on the clock the calls' start_ns are on (the time
  /// series' origin), and whether start_ns are each rank's own clock (then the summary's
  /// clock offsets are subtracted).
  virtual std::int64_t time_origin_ns(std::size_t run) = 0;
  virtual bool times_are_rank_local(std::size_t run) = 0;
};

struct BuildOptions {
  std::optional<std::size_t> run;  ///< only this run (0-based); every run when absent
  bool time_series = false;        ///< stream the raw calls into time series (HTML)
  std::size_t max_bins = 240;
};

/// Reads the summaries (and, if asked, streams the calls) of `source` into a ReportData.
/// Throws InputError when `options.run` is out of range or the file has no run.
ReportData build_report(ReportSource& source, const BuildOptions& options);

/// The time series of one run, streamed from `source`.
TimeSeries build_time_series(ReportSource& source, std::size_t run, const RunSummary& summary,
                             std::size_t max_bins = 240);

}  // namespace gorgon::analysis
