#include "gorgon/run/runspec.hpp"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gorgon/base/error.hpp"
#include "gorgon/op/operation.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/base/units.hpp"

namespace gorgon {
namespace {

int parse_positive_int(std::string_view text, const std::string& what) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1)
    throw ConfigError("invalid " + what + " '" + std::string(text) + "' (expected an integer >= 1)");
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
    } else if (key == "ok_labels" || key == "error_labels") {
      if (!value.is_string()) throw ConfigError(at + " must be a string");
      (key == "ok_labels" ? run.ok_labels : run.error_labels) = value.get<std::string>();
    } else if (key == "params") {
      if (!value.is_object()) throw ConfigError(at + " must be an object");
      for (const auto& [k, v] : value.items()) run.params[k] = json_scalar_text(v, at + "." + k);
    } else if (key == "runs" && allow_runs) {
      continue;
    } else {
      throw ConfigError(at + " is not a known key (op, ops, seed, ranks, threads, duration, "
                        "warmup, rate, ok_labels, error_labels, params" +
                        std::string(allow_runs ? ", runs)" : ")"));
    }
  }
}

}  // namespace

void set_warmup(RunSpec& run, const std::string& text) {
  const bool is_count = !text.empty() &&
                        text.find_first_not_of("0123456789") == std::string::npos;
  run.warmup_calls = is_count ? parse_count(text) : 0;
  run.warmup_ns = is_count ? 0 : parse_duration_ns(text);
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

std::vector<RunSpec> read_suite_file(const std::string& path, const RunSpec& base) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read suite file '" + path + "'");
  nlohmann::json doc;
  try {
    in >> doc;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError("suite file '" + path + "' is not valid JSON: " + e.what());
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

void validate(RunSpec& run, int world_size) {
  if (run.ops < 1 && !run.timed())
    throw ConfigError("the number of calls (--ops) must be at least 1");
  if (run.rate < 0 || run.rate != run.rate)
    throw ConfigError("--rate must be a number of calls per second > 0");
  if (run.threads < 1) throw ConfigError("--threads must be at least 1");
  if (run.ranks == 0) run.ranks = world_size;
  if (run.ranks < 1) throw ConfigError("--ranks must be at least 1");
  if (run.ranks > world_size)
    throw ConfigError("a run asks for " + std::to_string(run.ranks) + " ranks but only " +
                      std::to_string(world_size) + " were launched");
  if (run.seed > UINT64_MAX - run.ops - run.warmup_calls)
    throw ConfigError("--seed plus --ops overflows the 64-bit call numbers");
  if (!run.ok_labels.empty() && !run.error_labels.empty())
    throw ConfigError("--ok-labels and --error-labels both given: use one");
  const OperationInfo& op = registry().find(run.operation);
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
