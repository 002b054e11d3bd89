#include "gorgon/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>

#include "gorgon/check.hpp"
#include "gorgon/error.hpp"
#include "gorgon/gorgon_api.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/plugin.hpp"
#include "gorgon/registry.hpp"
#include "gorgon/report.hpp"
#include "gorgon/runspec.hpp"
#include "gorgon/units.hpp"

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
  if (o.base.ranks < 0) throw ConfigError("--ranks must be at least 1");
  if (o.base.ranks == 0) o.base.ranks = 0;  // all
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

void check_writable(const std::string& path) {
  const std::string probe = path + ".tmp";
  std::ofstream f(probe);
  if (!f) throw ConfigError("cannot write '" + path + "' (check the directory exists and is writable)");
  f.close();
  std::remove(probe.c_str());
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
      out += fmt::format("    --param {}=<{}> (default {})  {}\n", p.name,
                         p.type == ParamType::Integer    ? "integer"
                         : p.type == ParamType::Real     ? "number"
                         : p.type == ParamType::Duration ? "duration"
                         : p.type == ParamType::Boolean  ? "bool"
                                                         : "text",
                         p.default_value, p.help);
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
  std::vector<std::unique_ptr<Reporter>> reporters;
  std::unique_ptr<h5::Writer> file;  // aborted (temporary file removed) unless closed
  try {
    // Files may differ between nodes: agree on the outcome before any collective run.
    all_or_none(world, [&] {
      suite = build_suite(o, size);
      if (root && !o.json.empty()) check_writable(o.json);
    });
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

  std::vector<RunSummary> summaries;
  try {
    for (std::size_t i = 0; i < suite.size(); ++i) {
      const RunSpec& spec = suite[i];
      WorldRun run = run_on_world(spec, registry().find(spec.operation), world);
      if (file) file->write_run(run.summary, run.local ? &*run.local : nullptr);
      if (root) {
        for (auto& r : reporters) r->report_run(run.summary, i, suite.size());
        summaries.push_back(std::move(run.summary));
      }
    }
    all_or_none(world, [&] {
      if (!root) return;
      const RunSummary merged = merge_suite(summaries);
      for (auto& r : reporters) r->report_suite(summaries, merged);
    });
    if (file) file->close();
  } catch (const ConfigError& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    if (root) err << "gorgon_mpi: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  return kExitOk;
}

}  // namespace gorgon
