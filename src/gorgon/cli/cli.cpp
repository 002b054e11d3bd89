#include "gorgon/cli/cli.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <ostream>
#include <set>

#include "gorgon/api/gorgon_api.hpp"
#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/cli/terminal.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/op/plugin.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/report/progress.hpp"
#include "gorgon/report/reporter.hpp"
#include "gorgon/report/thresholds.hpp"
#include "gorgon/run/check.hpp"
#include "gorgon/run/recovery.hpp"
#include "gorgon/run/rounds.hpp"
#include "gorgon/run/runspec.hpp"
#include "gorgon/run/stop.hpp"

#ifndef GORGON_VERSION
#define GORGON_VERSION "unknown"
#endif

namespace gorgon {
namespace {

/// The most calls --check prints one by one.
constexpr std::uint64_t kMaxCheckCalls = 1'000'000;

struct Options {
  RunSpec base;
  std::string ops_text = "1000";
  std::string seed_text = "0";
  std::vector<std::string> params;
  std::string runs;
  std::string suite;
  std::string json;
  std::string output;  ///< HDF5 file of every call (-o)
  bool force = false;
  bool compress = false;
  bool list_ops = false;
  std::vector<std::string> plugins;
  std::string check_calls = "3";  ///< --check [K]
  std::string recover;            ///< --recover DIR: the spill directory of a killed run
  std::string duration, warmup, time_limit, progress_every = "10s";
  std::string rate, ranks, schedule, stonewall, memory, flush_every;
  std::string progress = "auto";
  std::vector<std::string> fail_if;
  bool quiet = false;
  // Shorthands for the most used operation parameters (--url is --param url=..., and so on).
  std::string url, requests;
  bool capture_failures = false;
  bool op_given = false;  ///< --op was on the command line
};

/// Options whose value, when given, must not be empty (an empty value is not "none").
constexpr const char* kNonEmpty[] = {
    "-o",          "--json",         "--suite",          "--runs",
    "--duration",  "--warmup",       "--rate",           "--ranks",
    "--url",       "--requests",     "--time-limit",     "--op",
    "--ops",       "--seed",         "--schedule",       "--stonewall",
    "--ok-labels", "--error-labels", "--progress-every", "--plugin",
    "--fail-if",   "--param",        "--memory",         "--flush-every",
    "--recover"};

void build_parser(CLI::App& app, Options& o) {
  app.description(
      "gorgon_mpi: runs one operation N times across MPI ranks x OpenMP threads, records every "
      "call and reports its statistics.\nLaunch with mpirun -np R gorgon_mpi ...");
  app.set_version_flag("--version", std::string("gorgon_mpi ") + GORGON_VERSION);
  app.add_option("--op", o.base.operation, "Operation to run (see --list-ops)")
      ->capture_default_str();
  app.add_option("--ops,-n", o.ops_text, "Calls per run (e.g. 40000, 4e6, 10k)")
      ->capture_default_str();
  app.add_option("--threads,-t", o.base.threads, "OpenMP threads per rank")->capture_default_str();
  app.add_option("--ranks,-r", o.ranks, "Use the first R ranks (default: all)");
  app.add_option("--seed", o.seed_text, "First call number")->capture_default_str();
  app.add_option("--param,-p", o.params, "Operation parameter key=value (repeatable)");
  auto* url = app.add_option("--url", o.url,
                             "http: one URL for every call ({n}: the number); "
                             "implies --op http; same as --param url=URL");
  auto* requests = app.add_option(
      "--requests", o.requests,
      "http: requests read from FILE, one a line; implies --op http; --param requests=FILE");
  url->excludes(requests);
  app.add_flag("--capture-failures", o.capture_failures,
               "exec: keep the output of failed calls; same as --param capture_failures=true");
  auto* ok = app.add_option("--ok-labels", o.base.ok_labels,
                            "Labels that succeed, every other one is an error (e.g. 2xx,3xx; "
                            "status classes, exact labels, prefixes ending in *)");
  auto* bad = app.add_option("--error-labels", o.base.error_labels,
                             "Labels that are errors, every other one succeeds (e.g. FAIL,5xx)");
  ok->excludes(bad);
  auto* runs =
      app.add_option("--runs", o.runs, "A suite of runs as RANKSxTHREADS list, e.g. 1x1,2x1,2x4");
  auto* suite = app.add_option("--suite", o.suite, "A suite file (JSON), see docs/cli.md");
  runs->excludes(suite);
  app.add_option("--json", o.json, "Write the summary as JSON to this file");
  app.add_option("-o,--output", o.output,
                 "Write every call and the summary to this HDF5 file (see docs/hdf5-format.md)");
  app.add_flag("--force", o.force, "Replace output files (-o, --json) that exist");
  app.add_flag("--compress", o.compress, "Compress the -o file's columns (shuffle + deflate)")
      ->needs("-o");
  app.add_flag("--list-ops", o.list_ops, "List the operations and their parameters");
  app.add_option("--duration", o.duration,
                 "Call until this much time has passed (e.g. 30s) instead of --ops calls");
  app.add_option("--warmup", o.warmup,
                 "Calls (e.g. 1000) or time (e.g. 5s) before measuring; not in the statistics");
  app.add_option("--rate", o.rate,
                 "Open loop: this many calls/s in total; latency counts from each call's "
                 "intended start");
  app.add_option("--schedule", o.schedule,
                 "How the calls are shared between ranks: dynamic (default: blocks taken from "
                 "one counter while the run goes), guided (shrinking blocks) or static (a "
                 "fixed slice each); see docs/cli.md");
  app.add_option("--stonewall", o.stonewall,
                 "Stop every rank from starting calls after this long (e.g. 20s), as IOR's "
                 "stonewalling; the report gives each rank's calls at that moment");
  app.add_flag("--wear-out", o.base.wear_out,
               "After the stonewall, ranks that made fewer calls than the busiest keep calling "
               "until each has made as many")
      ->needs("--stonewall");
  app.add_option("--memory", o.memory,
                 "Memory each rank keeps for its records (e.g. 256M, 2G; default: an eighth of "
                 "the node's memory shared by its ranks, at most 1G); full blocks are folded "
                 "into the statistics and reused while the run goes");
  app.add_option("--flush-every", o.flush_every,
                 "Each thread hands its rows to its rank's record stream at least this often "
                 "(default 2s): with -o, what an abrupt end can lose");
  app.add_option("--fail-if", o.fail_if,
                 "Exit 3 when a limit fails, e.g. 'p99<50ms', 'errors<1%', 'SUCCESS:rate>100' "
                 "(repeatable)");
  app.add_option("--time-limit", o.time_limit,
                 "Stop cleanly after this long (default: before the Slurm job's end)");
  app.add_option("--progress", o.progress,
                 "auto (a bar on a terminal, also behind mpirun; else lines), bar, lines, none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}))
      ->capture_default_str();
  app.add_option("--progress-every", o.progress_every, "Interval of the progress lines")
      ->capture_default_str();
  app.add_flag("--quiet,-q", o.quiet, "No progress display (--progress none)");
  app.add_option("--plugin", o.plugins,
                 "Load operations from a shared library (repeatable), see docs/operations.md");
  app.add_option("--recover", o.recover,
                 "Turn the spill files a killed run left (the .NAME.tmp-...spill directory "
                 "beside its -o target) into a file marked interrupted; needs -o and as many "
                 "ranks as the run had");
  app.add_option("--check", o.check_calls,
                 "Check mode: run K calls (default 3) one by one on rank 0, print each in full")
      ->expected(0, 1)
      ->default_str("3");
}

/// Refuses options given with an empty value: `-o ''` would otherwise mean no file at all.
void refuse_empty_values(const CLI::App& app) {
  for (const char* name : kNonEmpty) {
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr || opt->count() == 0) continue;
    for (const auto& v : opt->results())
      if (v.find_first_not_of(" \t") == std::string::npos)
        throw ConfigError(std::string(name) + " was given an empty value");
  }
}

std::map<std::string, std::string> parse_params(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("invalid --param " + quote_value(item) + " (expected key=value)");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

double parse_rate(const std::string& text) {
  double r = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), r);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(r) || r < 1e-3 ||
      r > 1e12)
    throw ConfigError("invalid --rate " + quote_value(text) +
                      " (expected calls per second, from 0.001 to 1e12)");
  return r;
}

int parse_ranks(const std::string& text) {
  int r = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), r);
  if (ec != std::errc() || end != text.data() + text.size() || r < 1)
    throw ConfigError("invalid --ranks " + quote_value(text) +
                      " (expected a number of ranks >= 1)");
  return r;
}

/// The runs of the suite, validated on this rank (every rank does it, then they agree).
std::vector<RunSpec> build_suite(Options& o, int world_size) {
  o.base.ops = parse_count(o.ops_text);
  o.base.seed = parse_count(o.seed_text);
  o.base.params = parse_params(o.params);
  const auto shorthand = [&](const std::string& option, const std::string& key,
                             const std::string& value) {
    if (o.base.params.count(key))
      throw ConfigError(option + " and --param " + key + "= both given: use one");
    o.base.params[key] = value;
  };
  if (!o.url.empty()) shorthand("--url", "url", o.url);
  if (!o.requests.empty()) shorthand("--requests", "requests", o.requests);
  if (o.capture_failures) shorthand("--capture-failures", "capture_failures", "true");
  if ((!o.url.empty() || !o.requests.empty()) && !o.op_given) o.base.operation = "http";
  if (!o.duration.empty()) {
    o.base.duration_ns = parse_duration_ns(o.duration);
    if (o.base.duration_ns == 0) throw ConfigError("--duration must be longer than 0");
  }
  if (!o.warmup.empty()) set_warmup(o.base, o.warmup);
  if (!o.rate.empty()) o.base.rate = parse_rate(o.rate);
  if (!o.ranks.empty()) o.base.ranks = parse_ranks(o.ranks);
  if (!o.schedule.empty()) set_schedule(o.base, o.schedule);
  if (!o.stonewall.empty()) {
    o.base.stonewall_ns = parse_duration_ns(o.stonewall);
    if (o.base.stonewall_ns == 0) throw ConfigError("--stonewall must be longer than 0");
  }
  std::vector<RunSpec> runs;
  if (!o.runs.empty()) runs = parse_runs(o.runs, o.base);
  else if (!o.suite.empty()) runs = read_suite_file(o.suite, o.base);
  else runs.push_back(o.base);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    try {
      validate(runs[i], world_size);
    } catch (const ConfigError& e) {
      if (runs.size() == 1) throw;
      throw ConfigError(fmt::format("run {} of {}: {}", i + 1, runs.size(), e.what()));
    }
  }
  return runs;
}

/// How long the suite may run: --time-limit, or the time the Slurm job has left less a
/// margin (so the files are written before the job is killed). 0 for no limit.
std::uint64_t time_left(const std::string& limit) {
  if (!limit.empty()) {
    const std::uint64_t ns = parse_duration_ns(limit);
    if (ns == 0) throw ConfigError("--time-limit must be longer than 0");
    return ns;
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr) return 0;
  const std::string cmd = std::string("squeue -h -o %L -j ") + job + " 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  char buf[64] = {0};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  if (!got) return 0;
  const std::uint64_t left = parse_slurm_time_left(buf);
  if (left == 0) return 0;
  const std::uint64_t margin = std::min<std::uint64_t>(60'000'000'000ull, left / 10);
  return left - margin;
}

std::string command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
  return line;
}

std::string list_operations() {
  std::string out;
  for (const auto* op : registry().all()) {
    out += fmt::format("{}\n    {}\n    failures: {}\n", op->name, op->help, op->errors.text());
    for (const auto& p : op->params)
      out +=
          fmt::format("    --param {}=<{}>{}  {}\n", p.name,
                      p.type == ParamType::Integer    ? "integer"
                      : p.type == ParamType::Real     ? "number"
                      : p.type == ParamType::Duration ? "duration"
                      : p.type == ParamType::Boolean  ? "bool"
                                                      : "text",
                      p.default_value.empty() ? "" : " (default " + p.default_value + ")", p.help);
  }
  return out;
}

/// The one mapping of errors to exit statuses: bad input 2, anything else 1. The error was
/// agreed by every rank before it was thrown (all_or_none), so every rank returns the same
/// status; rank 0 prints the message, once.
class Session {
 public:
  Session(MPI_Comm world, std::ostream& out, std::ostream& err)
      : world_(world), out_(out), err_(err) {
    MPI_Comm_rank(world, &rank_);
    MPI_Comm_size(world, &size_);
  }
  template <typename F>
  int guarded(F&& body) {
    try {
      return body();
    } catch (const ConfigError& e) {
      error(e.what());
      return kExitBadInput;
    } catch (const std::exception& e) {
      error(e.what());
      return kExitRunFailed;
    }
  }
  void error(std::string_view message) const {
    // A message that quotes a huge value is cut: one clear line, not a megabyte.
    if (root()) err_ << "gorgon_mpi: error: " << cut(message) << "\n";
  }
  void note(std::string_view message) const {
    if (root()) err_ << "gorgon_mpi: " << message << "\n";
  }
  [[nodiscard]] bool root() const noexcept { return rank_ == 0; }
  MPI_Comm world_;
  std::ostream &out_, &err_;
  int rank_ = 0, size_ = 1;

 private:
  static std::string cut(std::string_view s) {
    constexpr std::size_t kMax = 400;  // a message quoting a huge value stays readable
    return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "... (cut)";
  }
};

/// --check: validated like a run, then K calls on rank 0 alone; the status (0 when no call
/// threw, 1 otherwise, 2 for bad input) is shared so every rank exits alike.
int check_mode(Options& o, Session& s) {
  int status = s.guarded([&] {
    std::vector<RunSpec> suite;
    std::uint64_t calls = 0;
    all_or_none(s.world_, [&] {
      if (!o.output.empty() || !o.json.empty())
        throw ConfigError("--check writes no files: drop -o and --json");
      suite = build_suite(o, s.size_);
      calls = parse_count(o.check_calls);
      if (calls < 1 || calls > kMaxCheckCalls)
        throw ConfigError("--check takes 1 to " + std::to_string(kMaxCheckCalls) + " calls, not " +
                          quote_value(o.check_calls));
    });
    int result = kExitOk;
    all_or_none(s.world_, [&] {
      if (!s.root()) return;
      const RunSpec& spec = suite.front();
      if (run_check(spec, registry().find(spec.operation), calls, s.out_) > 0)
        result = kExitRunFailed;
    });
    return result;
  });
  MPI_Bcast(&status, 1, MPI_INT, 0, s.world_);
  return status;
}

/// Everything a suite needs before its first run, checked and agreed by every rank.
struct SuitePlan {
  std::vector<RunSpec> runs;
  std::vector<Threshold> limits;
  std::uint64_t deadline_ns = 0;   ///< 0: none
  std::uint64_t memory_bytes = 0;  ///< --memory (0: the default)
  std::uint64_t flush_ns = 0;      ///< --flush-every (0: the default)
  ProgressMode progress = ProgressMode::none;
};

/// An option's value (0 when not given) read by `parse`, its errors naming the option; 0 given
/// is refused.
template <typename Parse>
std::uint64_t positive(const std::string& text, const char* option, Parse parse) {
  if (text.empty()) return 0;
  std::uint64_t value = 0;
  try {
    value = parse(text);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string(option) + ": " + e.what());
  }
  if (value == 0) throw ConfigError(std::string(option) + " must be more than 0");
  return value;
}

SuitePlan plan_suite(Options& o, Session& s) {
  SuitePlan plan;
  std::uint64_t time_left_ns = 0;
  all_or_none(s.world_, [&] {
    if (o.force && o.output.empty() && o.json.empty())
      throw ConfigError("--force replaces output files: give -o or --json");
    plan.runs = build_suite(o, s.size_);
    for (const auto& text : o.fail_if) plan.limits.push_back(parse_threshold(text));
    (void)parse_duration_ns(o.progress_every);
    plan.memory_bytes = positive(o.memory, "--memory", parse_bytes);
    plan.flush_ns = positive(o.flush_every, "--flush-every", parse_duration_ns);
    if (!s.root()) return;
    std::vector<OutputName> outputs;
    if (!o.output.empty()) outputs.push_back({"-o", o.output});
    if (!o.json.empty()) outputs.push_back({"--json", o.json});
    check_distinct(outputs);
    if (!o.json.empty())
      for (const auto& note : check_output({"--json", o.json}, o.force)) s.note(note);
    time_left_ns = time_left(o.time_limit);
  });
  check_mpi(MPI_Bcast(&time_left_ns, 1, MPI_UINT64_T, 0, s.world_), "MPI_Bcast");
  plan.deadline_ns = time_left_ns ? now_ns() + time_left_ns : 0;
  plan.progress = o.quiet ? ProgressMode::none : progress_mode(o.progress);
  return plan;
}

/// Runs the suite's runs, reporting each as it completes.
class SuiteRunner {
 public:
  SuiteRunner(const Options& o, Session& s, const SuitePlan& plan, h5::Writer* file)
      : o_(o), s_(s), plan_(plan), file_(file) {
    if (s.root()) {
      reporters_.push_back(std::make_unique<TextReporter>(s.out_));
      if (!o.json.empty()) reporters_.push_back(std::make_unique<JsonReporter>(o.json, o.force));
    }
  }

  /// Every run, until the suite ends or a stop is asked for; false when interrupted.
  bool run_all() {
    for (std::size_t i = 0; i < plan_.runs.size(); ++i) {
      // A stop asked for before or between runs (on any rank) ends the suite before the
      // next one, with that rank's cause on every rank.
      if (agree_stop(s_.world_) != 0) return false;
      if (!run_one(i)) return false;
    }
    return true;
  }

  /// The suite's report, the limits that failed and the errors; the file is closed even
  /// when these fail (every rank learns of such a failure, closes, then reports it).
  void finish(bool complete) {
    std::exception_ptr report_error;
    try {
      all_or_none(s_.world_, [&] {
        if (!s_.root()) return;
        if (!complete && summaries_.size() < plan_.runs.size())
          s_.note(fmt::format("interrupted ({}){}: {} of {} runs done", stop_reason(),
                              summaries_.empty() ? " before the first run" : "", summaries_.size(),
                              plan_.runs.size()));
        if (summaries_.empty()) return;
        const RunSummary merged = merge_suite(summaries_);
        for (auto& r : reporters_) r->report_suite(summaries_, merged);
        for (const auto& f : failed_limits_) s_.out_ << "Threshold " << f << "\n";
        if (merged.total.count > 0 && merged.errors() == merged.total.count)
          s_.note(fmt::format("every one of the {} calls failed ({})", merged.total.count,
                              error_lines(merged).substr(0, error_lines(merged).size() - 1)));
      });
    } catch (...) {
      report_error = std::current_exception();
    }
    if (file_) file_->close();
    if (report_error) std::rethrow_exception(report_error);
  }

  [[nodiscard]] bool limits_failed() const noexcept { return !failed_limits_.empty(); }

 private:
  bool run_one(std::size_t i) {
    const RunSpec& spec = plan_.runs[i];
    RunControl control;
    control.deadline_ns = plan_.deadline_ns;
    control.records.budget_bytes = plan_.memory_bytes;
    if (plan_.flush_ns > 0) control.records.flush_ns = plan_.flush_ns;
    if (file_) control.spill_path = file_->spill_path();  // the rows go to disk as it runs
    std::unique_ptr<ProgressDisplay> display;
    if (s_.root() && plan_.progress != ProgressMode::none) {
      display = std::make_unique<ProgressDisplay>(s_.err_, plan_.progress == ProgressMode::bar,
                                                  parse_duration_ns(o_.progress_every),
                                                  spec.timed() ? 0 : spec.ops, spec.duration_ns);
      control.on_progress = [&display](const ProgressSnapshot& snap, const auto& names) {
        display->update(snap, names);
      };
    }
    WorldRun run = run_on_world(spec, registry().find(spec.operation), s_.world_, control);
    if (display) display->finish();
    if (run.local)
      for (const auto& n : run.local->notes) s_.note("note: " + n);
    if (s_.root()) run.summary.limits = check_limits(plan_.limits, run.summary);
    if (file_) file_->write_run(run);
    const bool interrupted = any_rank(s_.world_, run.local && run.local->interrupted);
    if (s_.root()) {
      for (auto& r : reporters_) r->report_run(run.summary, i, plan_.runs.size());
      for (const auto& l : run.summary.limits)
        if (!l.passed)
          failed_limits_.push_back(fmt::format(
              "{}{} failed: measured {}",
              plan_.runs.size() > 1 ? fmt::format("run {}: ", i + 1) : "", l.limit, l.measured));
      summaries_.push_back(std::move(run.summary));
    }
    return !interrupted;
  }

  const Options& o_;
  Session& s_;
  const SuitePlan& plan_;
  h5::Writer* file_;
  std::vector<std::unique_ptr<Reporter>> reporters_;
  std::vector<RunSummary> summaries_;
  std::vector<std::string> failed_limits_;
};

int suite_mode(Options& o, Session& s, int argc, const char* const* argv) {
  SuitePlan plan;
  std::unique_ptr<h5::Writer> file;  // aborted (temporary file removed) unless closed
  int status = s.guarded([&] {
    plan = plan_suite(o, s);
    if (!o.output.empty())
      file = std::make_unique<h5::Writer>(
          o.output, s.world_,
          h5::WriterOptions{o.force, "-o", o.compress, command_line(argc, argv)});
    return kExitOk;
  });
  if (status != kExitOk) return status;
  status = s.guarded([&] {
    SuiteRunner runner(o, s, plan, file.get());
    const bool complete = runner.run_all();
    runner.finish(complete);
    return !complete ? kExitInterrupted : runner.limits_failed() ? kExitThreshold : kExitOk;
  });
  MPI_Bcast(&status, 1, MPI_INT, 0, s.world_);
  return status;
}

}  // namespace

std::uint64_t parse_slurm_time_left(const char* text) {
  unsigned long days = 0, a = 0, b = 0, c = 0;
  std::uint64_t seconds = 0;
  if (std::sscanf(text, "%lu-%lu:%lu:%lu", &days, &a, &b, &c) == 4)
    seconds = ((days * 24 + a) * 60 + b) * 60 + c;
  else if (std::sscanf(text, "%lu:%lu:%lu", &a, &b, &c) == 3) seconds = (a * 60 + b) * 60 + c;
  else if (std::sscanf(text, "%lu:%lu", &a, &b) == 2) seconds = a * 60 + b;
  else if (std::sscanf(text, "%lu", &a) == 1) seconds = a;
  return seconds * 1'000'000'000ull;
}

/// The runs a spill directory holds, from rank 0's files, each with this rank's spill file.
/// ConfigError when the directory is not one, or was written by another number of ranks
/// than this launch has.
std::vector<std::pair<int, std::string>> spill_files(const std::string& dir, const Session& s) {
  std::vector<int> runs;
  all_or_none(s.world_, [&] {
    if (!s.root()) return;
    std::error_code ec;
    std::set<int> ranks;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      int run = -1, rank = -1;
      if (!parse_spill_name(e.path().filename().string(), run, rank)) continue;
      if (rank == 0) runs.push_back(run);
      ranks.insert(rank);
    }
    if (ec) throw ConfigError("--recover " + quote_value(dir) + ": " + ec.message());
    if (runs.empty())
      throw ConfigError("--recover " + quote_value(dir) + " holds no spill files of rank 0");
    if (static_cast<int>(ranks.size()) != s.size_)
      throw ConfigError(
          fmt::format("--recover {}: the run had {} ranks; launch as many "
                      "(mpiexec -np {})",
                      quote_value(dir), ranks.size(), ranks.size()));
    std::sort(runs.begin(), runs.end());
  });
  int n = static_cast<int>(runs.size());
  check_mpi(MPI_Bcast(&n, 1, MPI_INT, 0, s.world_), "MPI_Bcast");
  runs.resize(static_cast<std::size_t>(n));
  check_mpi(MPI_Bcast(runs.data(), n, MPI_INT, 0, s.world_), "MPI_Bcast");
  std::vector<std::pair<int, std::string>> files;
  for (int run : runs)
    files.emplace_back(run, spill_file(dir, static_cast<std::size_t>(run), s.rank_));
  return files;
}

/// Whether every rank wrote its recovery note for `spill`: a run killed before that had
/// made no call.
bool started_everywhere(const std::string& spill, const Session& s) {
  int here = std::filesystem::exists(recovery_note_path(spill)) ? 1 : 0, all = 0;
  check_mpi(MPI_Allreduce(&here, &all, 1, MPI_INT, MPI_MIN, s.world_), "MPI_Allreduce");
  return all == 1;
}

/// --recover DIR -o FILE: every run of a killed job's spill files into FILE, marked
/// interrupted; a run that had not started on every rank is skipped. The spill files are
/// left for the user to remove.
int recover_mode(Options& o, Session& s, int argc, const char* const* argv) {
  std::unique_ptr<h5::Writer> file;
  int status = s.guarded([&] {
    all_or_none(s.world_, [&] {
      if (o.output.empty()) throw ConfigError("--recover needs -o: the file to write");
    });
    std::vector<std::pair<int, std::string>> runs = spill_files(o.recover, s);
    std::erase_if(runs, [&](const auto& run) {
      if (started_everywhere(run.second, s)) return false;
      if (s.root())
        s.note(fmt::format("run {} of {} had not started on every rank (no recovery note): "
                           "skipped",
                           run.first, quote_value(o.recover)));
      return true;
    });
    all_or_none(s.world_, [&] {
      if (runs.empty())
        throw ConfigError("--recover " + quote_value(o.recover) + " holds no run that started");
    });
    file = std::make_unique<h5::Writer>(
        o.output, s.world_, h5::WriterOptions{o.force, "-o", o.compress, command_line(argc, argv)});
    for (const auto& [index, spill] : runs) {
      WorldRun run;
      all_or_none(s.world_,
                  [&] { run.local = recover_rank_run(spill, "recovered after an abrupt end"); });
      run.calls = merge_dictionaries(s.world_, run.local->records);
      run.warmup = merge_dictionaries(s.world_, run.local->warmup);
      run.summary = reduce_run(*run.local, run.calls, s.world_);
      file->write_run(run);
      if (s.root())
        s.out_ << fmt::format("recovered run {}: {} calls of {} ({} ranks x {} threads)\n", index,
                              run.summary.total.count, run.summary.operation, run.summary.ranks,
                              run.summary.threads);
    }
    file->close();
    if (s.root()) s.note("the spill files stay in " + quote_value(o.recover) + ": remove them");
    return kExitOk;
  });
  MPI_Bcast(&status, 1, MPI_INT, 0, s.world_);
  return status;
}

int run_cli(int argc, const char* const* argv, MPI_Comm world, std::ostream& out,
            std::ostream& err) {
  Session s(world, out, err);
  Options o;
  CLI::App app;
  build_parser(app, o);
  // Parsing is local and deterministic (every rank sees the same argv), so every rank takes
  // the same branch here without talking to the others.
  try {
    app.parse(argc, argv);
    o.op_given = app.count("--op") > 0;
    refuse_empty_values(app);
  } catch (const CLI::CallForHelp&) {
    if (s.root()) out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    if (s.root()) out << app.help();
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    if (s.root()) out << "gorgon_mpi " << GORGON_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    s.error(std::string(e.what()) + "\nRun with --help for the options.");
    return kExitBadInput;
  } catch (const ConfigError& e) {
    s.error(e.what());
    return kExitBadInput;
  }
  // Plugins first: their operations are listed and validated like the built-in ones. A
  // plugin may load on one node and not on another: agree before going on.
  const int loaded = s.guarded([&] {
    all_or_none(world, [&] {
      check_registrations();
      for (const auto& path : o.plugins) load_plugin(path);
    });
    return kExitOk;
  });
  if (loaded != kExitOk) return kExitBadInput;  // a plugin that does not load is bad input
  if (o.list_ops) {
    if (s.root()) out << list_operations();
    return kExitOk;
  }
  if (app.count("--check") > 0) return check_mode(o, s);
  if (!o.recover.empty()) return recover_mode(o, s, argc, argv);
  return suite_mode(o, s, argc, argv);
}

}  // namespace gorgon
