#pragma once
// What to run: one RunSpec per run of a suite, from the command line or a suite file.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gorgon/base/schedule.hpp"

namespace gorgon {

struct RunSpec {
  std::string operation = "hash";
  std::map<std::string, std::string> params;
  std::uint64_t ops = 1000;
  std::uint64_t seed = 0;
  int ranks = 0;  ///< 0: every rank of the world
  int threads = 1;
  std::uint64_t duration_ns = 0;   ///< > 0: call until this much time has passed (not `ops`)
  std::uint64_t warmup_calls = 0;  ///< calls before measuring, not in the statistics
  std::uint64_t warmup_ns = 0;     ///< or: time spent calling before measuring
  double rate = 0;                 ///< > 0: open loop, this many calls/s over all threads
  /// Which labels are failures, instead of the operation's own rule: the labels that
  /// succeed (--ok-labels) or the labels that fail (--error-labels), as typed; "" for none.
  std::string ok_labels, error_labels;
  /// How the calls are shared between the ranks (count mode; a run of a duration numbers its
  /// calls the same way under every schedule). dynamic unless the user chose.
  Schedule schedule = Schedule::dynamic;
  bool schedule_given = false;     ///< chosen by the user (then never replaced by static)
  std::uint64_t stonewall_ns = 0;  ///< > 0: no rank starts a call after this time (IOR's)
  bool wear_out = false;           ///< after the stonewall, ranks catch up with the busiest one

  [[nodiscard]] bool timed() const noexcept { return duration_ns > 0; }
  [[nodiscard]] bool paced() const noexcept { return rate > 0; }
};

/// "5s" -> warmup_ns, "1000" -> warmup_calls (the same syntax as --warmup).
void set_warmup(RunSpec& run, const std::string& text);

/// "dynamic" -> schedule (given by the user); ConfigError for a name that is none.
void set_schedule(RunSpec& run, const std::string& name);

/// Parses "1x1,2x1,2x4" (ranks x threads per run) into runs copied from `base`.
std::vector<RunSpec> parse_runs(const std::string& text, const RunSpec& base);

/// Reads a suite file: top-level keys set defaults (op, ops, seed, ranks, threads, params),
/// "runs" is a non-empty array of objects overriding them. Throws ConfigError with the file
/// name on anything malformed or unknown.
std::vector<RunSpec> read_suite_file(const std::string& path, const RunSpec& base);

/// The run as one object of a suite file (the keys read_suite_file reads; durations in ns),
/// and back: spec_of_json(spec_json(r)) is r. ConfigError, naming `where`, on bad text.
std::string spec_json(const RunSpec& run);
RunSpec spec_of_json(const std::string& text, const std::string& where);

/// Checks a run against the world size and the registry (operation and parameters), and
/// fills ranks = 0 in with the world size. Throws ConfigError.
void validate(RunSpec& run, int world_size);
struct OperationInfo;
/// The same, for an operation not in the registry (the library API's own callables).
void validate(RunSpec& run, int world_size, const OperationInfo& op);
/// The most threads a rank can start here (--threads beyond it is refused up front).
int max_threads_per_rank();

class LabelRule;
/// The rule that says which labels of `run` are failures: the user's, or the operation's.
LabelRule error_rule(const RunSpec& run, const OperationInfo& op);

}  // namespace gorgon
