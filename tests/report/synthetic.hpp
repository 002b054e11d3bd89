#pragma once
// Synthetic results for the report's tests: runs whose raw calls are generated on the fly
// (deterministically, integers only) and whose summaries are exactly what those calls give.
#include <cstdint>
#include <string>
#include <vector>

#include "source.hpp"

namespace gorgon::analysis::testing {

struct SyntheticRun {
  std::string operation = "synthetic";
  std::vector<std::pair<std::string, std::string>> params = {{"size", "64"}};
  int ranks = 2;
  int threads = 2;
  std::uint64_t ops = 2000;
  std::uint64_t seed = 0;
  std::vector<std::string> labels = {"200", "500"};          ///< label 0 most calls, then fewer
  std::vector<std::string> subcalls = {"connect", "query"};  ///< made by calls of label 0
  std::uint64_t base_ns = 1'000'000;                         ///< typical call duration
  bool raw_calls = true;                                     ///< whether the "file" holds raw calls
  /// The node each rank ran on (rank r: hosts[r]); ranks past it (and every rank when it is
  /// empty) on "localhost".
  std::vector<std::string> hosts;
  /// Calls record each rank's own clock, this far from rank 0's per rank (rank r: r*skew).
  std::int64_t rank_clock_skew_ns = 0;
  Metadata metadata = {{"status", "complete"}, {"mode", "ops"}};
  /// Labels the run's error rule counts as failures.
  std::vector<std::string> error_labels;
  /// The last label of `labels`, when set, goes only to the calls numbered k * rare_every
  /// (k >= 1), each lasting rare_ns: a small count of one duration, as an exception's.
  std::uint64_t rare_every = 0;
  std::uint64_t rare_ns = 0;
  std::vector<LimitResult> limits;  ///< --fail-if results the "file" holds
};

/// A results "file" of synthetic runs.
class SyntheticSource final : public ReportSource {
 public:
  SyntheticSource(std::string name, std::vector<SyntheticRun> runs, Metadata file_metadata = {});

  [[nodiscard]] std::string name() const override { return name_; }
  Metadata file_metadata() override { return file_metadata_; }
  std::size_t run_count() override { return runs_.size(); }
  RunSummary summary(std::size_t run) override { return summaries_.at(run); }
  Metadata run_metadata(std::size_t run) override { return runs_.at(run).metadata; }
  bool has_calls(std::size_t run) override { return runs_.at(run).raw_calls; }
  std::vector<std::string> labels(std::size_t run) override { return runs_.at(run).labels; }
  void stream_calls(std::size_t run, const std::function<void(const CallChunk&)>& sink) override;
  std::int64_t time_origin_ns(std::size_t) override { return 1'000'000'000; }  // run start
  bool times_are_rank_local(std::size_t run) override {
    return runs_.at(run).rank_clock_skew_ns != 0;
  }

  /// Largest chunk handed to a sink so far (memory bound checks).
  std::size_t chunk_rows = 4096;

 private:
  std::string name_;
  std::vector<SyntheticRun> runs_;
  Metadata file_metadata_;
  std::vector<RunSummary> summaries_;
};

/// One generated call (label and sub-calls as indexes into SyntheticRun's tables).
struct SyntheticCall {
  std::uint64_t number, start_ns, duration_ns;  ///< start on the rank's own clock
  std::uint32_t label;
  int rank, thread;
  std::uint64_t subcall_ns[2];  ///< durations of subcalls[0..1] (label 0 only)
};

/// Calls `f(call)` for every call of `run`, worker by worker (rank, then thread).
void generate_calls(const SyntheticRun& run, const std::function<void(const SyntheticCall&)>& f);

/// The summary the live run would have reduced from those calls.
RunSummary summarize(const SyntheticRun& run);

/// A three-run scaling suite (1x1, 2x1, 2x2) with sub-calls, as tests and fixtures use.
std::vector<SyntheticRun> scaling_suite(std::uint64_t ops = 3000);

/// The label an attacker would pick.
inline const std::string kHostile = "</script><img src=x onerror=alert(1)>";

}  // namespace gorgon::analysis::testing
