#include "gorgon/run/runspec.hpp"

#include <omp.h>
#include <sys/resource.h>

#include <fmt/format.h>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/op/operation.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/record/record.hpp"

namespace gorgon {
namespace {

int parse_positive_int(std::string_view text, const std::string& what) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1)
    throw ConfigError("invalid " + what + " '" + std::string(text) +
                      "' (expected an integer >= 1)");
  return v;
}

std::string json_scalar_text(const nlohmann::json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return v.dump();
  throw ConfigError(where + ": expected a string, number or boolean");
}

/// A count from the file; its error names the file and key like every other error here.
std::uint64_t count_in(const nlohmann::json& v, const std::string& at) {
  const std::string text = json_scalar_text(v, at);
  try {
    return parse_count(text);
  } catch (const ConfigError& e) {
    throw ConfigError(at + ": " + e.what());
  }
}

std::uint64_t duration_in(const nlohmann::json& v, const std::string& at) {
  try {
    return parse_duration_ns(json_scalar_text(v, at));
  } catch (const ConfigError& e) {
    throw ConfigError(at + ": " + e.what());
  }
}

void apply_json(RunSpec& run, const nlohmann::json& obj, const std::string& where,
                bool allow_runs) {
  if (!obj.is_object()) throw ConfigError(where + ": expected a JSON object");
  for (const auto& [key, value] : obj.items()) {
    const std::string at = where + ": \"" + key + "\"";
    if (key == "op" || key == "operation") {
      if (!value.is_string()) throw ConfigError(at + " must be a string");
      run.operation = value.get<std::string>();
    } else if (key == "ops") {
      run.ops = count_in(value, at);
    } else if (key == "seed") {
      run.seed = count_in(value, at);
    } else if (key == "ranks") {
      run.ranks = parse_positive_int(json_scalar_text(value, at), "ranks in " + at);
    } else if (key == "threads") {
      run.threads = parse_positive_int(json_scalar_text(value, at), "threads in " + at);
    } else if (key == "duration") {
      run.duration_ns = duration_in(value, at);
      if (run.duration_ns == 0) throw ConfigError(at + " must be longer than 0");
    } else if (key == "warmup") {
      set_warmup(run, json_scalar_text(value, at));
    } else if (key == "rate") {
      if (!value.is_number() || value.get<double>() <= 0)
        throw ConfigError(at + " must be a number of calls per second > 0");
      run.rate = value.get<double>();
    } else if (key == "schedule") {
      if (!value.is_string()) throw ConfigError(at + " must be a string");
      set_schedule(run, value.get<std::string>());
    } else if (key == "stonewall") {
      run.stonewall_ns = duration_in(value, at);
      if (run.stonewall_ns == 0) throw ConfigError(at + " must be longer than 0");
    } else if (key == "wear_out") {
      if (!value.is_boolean()) throw ConfigError(at + " must be true or false");
      run.wear_out = value.get<bool>();
    } else if (key == "ok_labels" || key == "error_labels") {
      if (!value.is_string()) throw ConfigError(at + " must be a string");
      (key == "ok_labels" ? run.ok_labels : run.error_labels) = value.get<std::string>();
    } else if (key == "params") {
      if (!value.is_object()) throw ConfigError(at + " must be an object");
      for (const auto& [k, v] : value.items()) run.params[k] = json_scalar_text(v, at + "." + k);
    } else if (key == "runs" && allow_runs) {
      continue;
    } else {
      throw ConfigError(
          at +
          " is not a known key (op, ops, seed, ranks, threads, duration, "
          "warmup, rate, schedule, stonewall, wear_out, ok_labels, error_labels, params" +
          std::string(allow_runs ? ", runs)" : ")"));
    }
  }
}

}  // namespace

void set_warmup(RunSpec& run, const std::string& text) {
  const bool is_count = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  run.warmup_calls = is_count ? parse_count(text) : 0;
  run.warmup_ns = is_count ? 0 : parse_duration_ns(text);
}

void set_schedule(RunSpec& run, const std::string& name) {
  if (!from_name(name, run.schedule))
    throw ConfigError("invalid --schedule " + quote_value(name) +
                      " (expected dynamic, guided or static)");
  run.schedule_given = true;
}

std::vector<RunSpec> parse_runs(const std::string& text, const RunSpec& base) {
  std::vector<RunSpec> runs;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const std::size_t x = item.find('x');
    if (x == std::string::npos)
      throw ConfigError("invalid --runs item '" + item + "' (expected RANKSxTHREADS, e.g. 2x4)");
    RunSpec r = base;
    r.ranks = parse_positive_int(std::string_view(item).substr(0, x), "ranks in --runs");
    r.threads = parse_positive_int(std::string_view(item).substr(x + 1), "threads in --runs");
    runs.push_back(r);
    pos = comma + 1;
  }
  return runs;
}

std::string spec_json(const RunSpec& run) {
  nlohmann::json j;
  j["op"] = run.operation;
  j["ops"] = std::to_string(run.ops);
  j["seed"] = std::to_string(run.seed);
  if (run.ranks > 0) j["ranks"] = run.ranks;
  j["threads"] = run.threads;
  if (run.duration_ns > 0) j["duration"] = std::to_string(run.duration_ns) + "ns";
  if (run.warmup_calls > 0) j["warmup"] = std::to_string(run.warmup_calls);
  if (run.warmup_ns > 0) j["warmup"] = std::to_string(run.warmup_ns) + "ns";
  if (run.rate > 0) j["rate"] = run.rate;
  j["schedule"] = std::string(name_of(run.schedule));
  if (run.stonewall_ns > 0) j["stonewall"] = std::to_string(run.stonewall_ns) + "ns";
  j["wear_out"] = run.wear_out;
  if (!run.ok_labels.empty()) j["ok_labels"] = run.ok_labels;
  if (!run.error_labels.empty()) j["error_labels"] = run.error_labels;
  j["params"] = nlohmann::json::object();
  for (const auto& [k, v] : run.params) j["params"][k] = v;
  return j.dump();
}

RunSpec spec_of_json(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(where + ": not JSON (" + e.what() + ")");
  }
  RunSpec run;
  apply_json(run, j, where, false);
  return run;
}

std::vector<RunSpec> read_suite_file(const std::string& path, const RunSpec& base) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("suite file " + quote_value(path) + " is a directory");
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read suite file " + quote_value(path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("cannot read suite file " + quote_value(path));
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());  // the whole file: trailing text is an error
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError("suite file " + quote_value(path) + " is not valid JSON: " + e.what());
  }
  RunSpec defaults = base;
  apply_json(defaults, doc, path, true);
  if (!doc.contains("runs") || !doc["runs"].is_array() || doc["runs"].empty())
    throw ConfigError("suite file '" + path + "' needs a non-empty \"runs\" array");
  std::vector<RunSpec> runs;
  for (std::size_t i = 0; i < doc["runs"].size(); ++i) {
    RunSpec r = defaults;
    apply_json(r, doc["runs"][i], path + ": runs[" + std::to_string(i) + "]", false);
    runs.push_back(r);
  }
  return runs;
}

int max_threads_per_rank() {
  // What this rank can start: OpenMP's limit, the process limit, the kernel's thread limit
  // shared by the ranks of the node, and the file's 16-bit thread column.
  long limit = std::min<long>(omp_get_thread_limit(), 65'535);
  rlimit r{};
  if (::getrlimit(RLIMIT_NPROC, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
    limit = std::min<long>(limit, static_cast<long>(r.rlim_cur));
  long kernel = 0;
  if (std::ifstream("/proc/sys/kernel/threads-max") >> kernel && kernel > 0) {
    long ranks_here = 1;
    if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE"))
      ranks_here = std::max(1L, std::atol(local));
    limit = std::min(limit, kernel / 2 / ranks_here);
  }
  return static_cast<int>(std::max(1L, limit));
}

void validate(RunSpec& run, int world_size) {
  validate(run, world_size, registry().find(run.operation));
}

void validate(RunSpec& run, int world_size, const OperationInfo& op) {
  if (run.ops < 1 && !run.timed())
    throw ConfigError("the number of calls (--ops) must be at least 1");
  if (run.rate < 0 || run.rate != run.rate)
    throw ConfigError("--rate must be a number of calls per second > 0");
  if (run.threads < 1) throw ConfigError("--threads must be at least 1");
  if (const int most = max_threads_per_rank(); run.threads > most)
    throw ConfigError("--threads " + std::to_string(run.threads) +
                      ": a rank here can start at most " + std::to_string(most) +
                      " threads (OMP_THREAD_LIMIT, ulimit -u and the "
                      "kernel's threads-max shared by the node's ranks)");
  if (run.ranks == 0) run.ranks = world_size;
  if (run.ranks < 1) throw ConfigError("--ranks must be at least 1");
  if (run.ranks > world_size)
    throw ConfigError("a run asks for " + std::to_string(run.ranks) + " ranks but only " +
                      std::to_string(world_size) + " were launched");
  // seed + ops + warm-up calls must stay below 2^64, checked without wrapping.
  const std::uint64_t numbers = run.timed() ? 0 : run.ops;
  if (run.warmup_calls > UINT64_MAX - numbers || run.seed > UINT64_MAX - numbers - run.warmup_calls)
    throw ConfigError("--seed, --ops and --warmup together overflow the 64-bit call numbers");
  if (run.stonewall_ns > 0 && run.timed())
    throw ConfigError(
        "--stonewall applies to a number of calls (--ops): with --duration every "
        "rank already stops at the same time");
  if (run.stonewall_ns > 0 && run.paced())
    throw ConfigError("--stonewall needs a closed loop: with --rate the calls follow a schedule");
  if (run.wear_out && run.stonewall_ns == 0) throw ConfigError("--wear-out needs --stonewall");
  if (run.schedule_given && run.schedule == Schedule::guided && run.timed())
    throw ConfigError(
        "--schedule guided shrinks its blocks as the calls run out: it needs a "
        "number of calls (--ops), not --duration");
  if (!run.ok_labels.empty() && !run.error_labels.empty())
    throw ConfigError("--ok-labels and --error-labels both given: use one");
  (void)error_rule(run, op);
  const Params params(op.params, run.params, op.name);
  if (op.check) op.check(params);  // the operation's own checks, opening nothing
}

LabelRule error_rule(const RunSpec& run, const OperationInfo& op) {
  if (!run.ok_labels.empty()) return LabelRule::ok(run.ok_labels);
  if (!run.error_labels.empty()) return LabelRule::errors(run.error_labels);
  return op.errors;
}

}  // namespace gorgon
