#include "gorgon/cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <exception>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>

#include "gorgon/run/check.hpp"
#include "gorgon/base/clock.hpp"
#include "gorgon/run/stop.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/api/gorgon_api.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/op/plugin.hpp"
#include "gorgon/report/progress.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/report/reporter.hpp"
#include "gorgon/run/runspec.hpp"
#include "gorgon/base/temp_file.hpp"
#include "gorgon/report/thresholds.hpp"
#include "gorgon/base/units.hpp"

#ifndef GORGON_VERSION
#define GORGON_VERSION "unknown"
#endif

namespace gorgon {
namespace {

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
  std::uint64_t check_calls = 3;  ///< --check [K]
  std::string duration, warmup, time_limit, progress_every = "10s";
  std::string rate;
  std::vector<std::string> fail_if;
  bool quiet = false;
  // Shorthands for the most used operation parameters (--url is --param url=..., and so on).
  std::string url, requests;
  bool capture_failures = false;
  bool op_given = false;  ///< --op was on the command line
};

void build_parser(CLI::App& app, Options& o) {
  app.description(
      "gorgon_mpi: runs one operation N times across MPI ranks x OpenMP threads, records every "
      "call and reports its statistics.\nLaunch with mpirun -np R gorgon_mpi ...");
  app.set_version_flag("--version", std::string("gorgon_mpi ") + GORGON_VERSION);
  app.add_option("--op", o.base.operation, "Operation to run (see --list-ops)")
      ->capture_default_str();
  app.add_option("--ops,-n", o.ops_text, "Calls per run (e.g. 40000, 4e6, 10k)")
      ->capture_default_str();
  app.add_option("--threads,-t", o.base.threads, "OpenMP threads per rank")
      ->capture_default_str();
  app.add_option("--ranks,-r", o.base.ranks, "Use the first R ranks (default: all)");
  app.add_option("--seed", o.seed_text, "First call number")->capture_default_str();
  app.add_option("--param,-p", o.params, "Operation parameter key=value (repeatable)");
  auto* url = app.add_option("--url", o.url, "http: one URL for every call ({n}: the number); "
                                             "implies --op http; same as --param url=URL");
  auto* requests = app.add_option(
      "--requests", o.requests,
      "http: requests read from FILE, one a line; implies --op http; --param requests=FILE");
  url->excludes(requests);
  app.add_flag("--capture-failures", o.capture_failures,
               "exec: keep the output of failed calls; same as --param capture_failures=true");
  auto* runs = app.add_option("--runs", o.runs,
                              "A suite of runs as RANKSxTHREADS list, e.g. 1x1,2x1,2x4");
  auto* suite = app.add_option("--suite", o.suite, "A suite file (JSON), see docs/cli.md");
  runs->excludes(suite);
  app.add_option("--json", o.json, "Write the summary as JSON to this file");
  auto* output = app.add_option(
      "-o,--output", o.output,
      "Write every call and the summary to this HDF5 file (see docs/hdf5-format.md)");
  app.add_flag("--force", o.force, "Overwrite the -o file if it exists")->needs(output);
  app.add_flag("--compress", o.compress, "Compress the -o file's columns (shuffle + deflate)")
      ->needs(output);
  app.add_flag("--list-ops", o.list_ops, "List the operations and their parameters");
  app.add_option("--duration", o.duration,
                 "Call until this much time has passed (e.g. 30s) instead of --ops calls");
  app.add_option("--warmup", o.warmup,
                 "Calls (e.g. 1000) or time (e.g. 5s) before measuring; not in the statistics");
  app.add_option("--rate", o.rate,
                 "Open loop: this many calls/s in total; latency counts from each call's "
                 "intended start");
  app.add_option("--fail-if", o.fail_if,
                 "Exit 3 when a limit fails, e.g. 'p99<50ms', 'errors<1%', 'SUCCESS:rate>100' "
                 "(repeatable)");
  app.add_option("--time-limit", o.time_limit,
                 "Stop cleanly after this long (default: before the Slurm job's end)");
  app.add_option("--progress-every", o.progress_every,
                 "Progress line interval when stderr is not a terminal")
      ->capture_default_str();
  app.add_flag("--quiet,-q", o.quiet, "No progress display");
  app.add_option("--plugin", o.plugins,
                 "Load operations from a shared library (repeatable), see docs/operations.md");
  app.add_option("--check", o.check_calls,
                 "Check mode: run K calls (default 3) one by one on rank 0, print each in full")
      ->expected(0, 1)
      ->default_str("3");
}

std::map<std::string, std::string> parse_params(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("invalid --param '" + item + "' (expected key=value)");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

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
  if (!o.rate.empty()) {
    double r = 0;
    auto [end, ec] = std::from_chars(o.rate.data(), o.rate.data() + o.rate.size(), r);
    if (ec != std::errc() || end != o.rate.data() + o.rate.size() || !(r > 0) || r > 1e12)
      throw ConfigError("invalid --rate '" + o.rate + "' (expected calls per second > 0)");
    o.base.rate = r;
  }
  if (o.base.ranks < 0) throw ConfigError("--ranks must be at least 1");
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

/// Fails now, before any run, when `path` could not be written at the end: a unique empty
/// file is created beside it and removed.
void check_writable(const std::string& path) {
  try {
    std::remove(make_temp_beside(path).c_str());
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());
  }
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
    out += fmt::format("{}\n    {}\n", op->name, op->help);
    for (const auto& p : op->params)
      out += fmt::format("    --param {}=<{}>{}  {}\n", p.name,
                         p.type == ParamType::Integer    ? "integer"
                         : p.type == ParamType::Real     ? "number"
                         : p.type == ParamType::Duration ? "duration"
                         : p.type == ParamType::Boolean  ? "bool"
                                                         : "text",
                         p.default_value.empty() ? "" : " (default " + p.default_value + ")",
                         p.help);
  }
  return out;
}

/// --check: validated like a run, then K calls on rank 0 alone; the status (0 when no call
/// threw, 1 otherwise, 2 for bad input) is shared so every rank exits alike.
int check_mode(Options& o, MPI_Comm world, std::ostream& out, std::ostream& err) {
  int rank = 0, size = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  int status = kExitOk;
  try {
    std::vector<RunSpec> suite;
    all_or_none(world, [&] { suite = build_suite(o, size); });
    if (o.check_calls < 1) throw ConfigError("--check needs at least 1 call");
    all_or_none(world, [&] {
      if (rank != 0) return;
      const RunSpec& spec = suite.front();
      if (run_check(spec, registry().find(spec.operation), o.check_calls, out) > 0)
        status = kExitRunFailed;
    });
  } catch (const ConfigError& e) {
    if (rank == 0) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    if (rank == 0) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, world);
  return status;
}

}  // namespace

std::uint64_t parse_slurm_time_left(const char* text) {
  unsigned long days = 0, a = 0, b = 0, c = 0;
  std::uint64_t seconds = 0;
  if (std::sscanf(text, "%lu-%lu:%lu:%lu", &days, &a, &b, &c) == 4)
    seconds = ((days * 24 + a) * 60 + b) * 60 + c;
  else if (std::sscanf(text, "%lu:%lu:%lu", &a, &b, &c) == 3)
    seconds = (a * 60 + b) * 60 + c;
  else if (std::sscanf(text, "%lu:%lu", &a, &b) == 2)
    seconds = a * 60 + b;
  else if (std::sscanf(text, "%lu", &a) == 1)
    seconds = a;
  return seconds * 1'000'000'000ull;
}

int run_cli(int argc, const char* const* argv, MPI_Comm world, std::ostream& out,
            std::ostream& err) {
  int rank = 0, size = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  const bool root = rank == 0;

  Options o;
  CLI::App app;
  build_parser(app, o);
  // Parsing is local and deterministic (every rank sees the same argv), so every rank takes
  // the same branch here without talking to the others.
  try {
    app.parse(argc, argv);
    o.op_given = app.count("--op") > 0;
  } catch (const CLI::CallForHelp&) {
    if (root) out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    if (root) out << app.help();
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    if (root) out << "gorgon_mpi " << GORGON_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\nRun with --help for the options.\n";
    return kExitBadInput;
  }
  // Plugins first: their operations are listed and validated like the built-in ones. A
  // plugin may load on one node and not on another: agree before going on.
  try {
    all_or_none(world, [&] {
      check_registrations();
      for (const auto& path : o.plugins) load_plugin(path);
    });
  } catch (const std::exception& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (o.list_ops) {
    if (root) out << list_operations();
    return kExitOk;
  }
  if (app.count("--check") > 0) return check_mode(o, world, out, err);

  std::vector<RunSpec> suite;
  std::vector<Threshold> limits;
  std::uint64_t time_left_ns = 0;  // 0: no limit
  std::vector<std::unique_ptr<Reporter>> reporters;
  std::unique_ptr<h5::Writer> file;  // aborted (temporary file removed) unless closed
  try {
    // Files may differ between nodes: agree on the outcome before any collective run.
    all_or_none(world, [&] {
      suite = build_suite(o, size);
      for (const auto& text : o.fail_if) limits.push_back(parse_threshold(text));
      if (root && !o.json.empty()) check_writable(o.json);
      if (root) time_left_ns = time_left(o.time_limit);
      (void)parse_duration_ns(o.progress_every);
    });
    MPI_Bcast(&time_left_ns, 1, MPI_UINT64_T, 0, world);
    if (!o.output.empty())
      file = std::make_unique<h5::Writer>(
          o.output, world, h5::WriterOptions{o.force, o.compress, command_line(argc, argv)});
  } catch (const ConfigError& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  if (root) {
    reporters.push_back(std::make_unique<TextReporter>(out));
    if (!o.json.empty()) reporters.push_back(std::make_unique<JsonReporter>(o.json));
  }
  const std::uint64_t deadline = time_left_ns ? now_ns() + time_left_ns : 0;

  std::vector<RunSummary> summaries;
  std::vector<std::string> failures;
  bool interrupted = false;
  try {
    for (std::size_t i = 0; i < suite.size() && !interrupted; ++i) {
      const RunSpec& spec = suite[i];
      // A stop asked for between runs (on any rank) ends the suite before the next one.
      int stop_here = stop_requested() ? 1 : 0, stop_any = 0;
      check_mpi(MPI_Allreduce(&stop_here, &stop_any, 1, MPI_INT, MPI_MAX, world), "MPI_Allreduce");
      if (stop_any) {
        interrupted = true;
        break;
      }
      RunControl control;
      control.deadline_ns = deadline;
      std::unique_ptr<ProgressDisplay> display;
      if (root && !o.quiet) {
        display = std::make_unique<ProgressDisplay>(
            err, isatty(STDERR_FILENO) == 1, parse_duration_ns(o.progress_every),
            spec.timed() ? 0 : spec.ops, spec.duration_ns);
        control.on_progress = [&display](const ProgressSnapshot& snap, const auto& names) {
          display->update(snap, names);
        };
      }
      WorldRun run = run_on_world(spec, registry().find(spec.operation), world, control);
      if (display) display->finish();
      if (file) file->write_run(run);
      int was_interrupted = run.local && run.local->interrupted ? 1 : 0, any_interrupted = 0;
      check_mpi(MPI_Allreduce(&was_interrupted, &any_interrupted, 1, MPI_INT, MPI_MAX, world),
                "MPI_Allreduce");
      interrupted = any_interrupted != 0;
      if (root) {
        for (auto& r : reporters) r->report_run(run.summary, i, suite.size());
        for (const auto& f : failed_thresholds(limits, run.summary))
          failures.push_back(suite.size() > 1 ? fmt::format("run {}: {}", i + 1, f) : f);
        summaries.push_back(std::move(run.summary));
      }
    }
    // The HDF5 file is closed (and renamed into place) even when the report or the JSON
    // summary fails: every rank learns of such a failure here, closes, then reports it.
    std::exception_ptr report_error;
    try {
      all_or_none(world, [&] {
        if (!root) return;
        if (interrupted && summaries.size() < suite.size())
          err << fmt::format("gorgon_mpi: interrupted ({}): {} of {} runs done\n",
                             stop_reason().empty() ? "another rank" : stop_reason(),
                             summaries.size(), suite.size());
        if (summaries.empty()) return;
        const RunSummary merged = merge_suite(summaries);
        for (auto& r : reporters) r->report_suite(summaries, merged);
        for (const auto& f : failures) out << "Threshold " << f << "\n";
      });
    } catch (...) {
      report_error = std::current_exception();
    }
    if (file) file->close();
    if (report_error) std::rethrow_exception(report_error);
  } catch (const ConfigError& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  int status = interrupted ? kExitInterrupted : failures.empty() ? kExitOk : kExitThreshold;
  MPI_Bcast(&status, 1, MPI_INT, 0, world);
  return status;
}

}  // namespace gorgon
