#include "gorgon/run/recovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/record/spill.hpp"

namespace gorgon {

std::string spill_file(const std::string& dir, std::size_t run, int rank) {
  return fmt::format("{}/run-{:03}.rank-{:05}", dir, run, rank);
}

bool parse_spill_name(const std::string& name, int& run, int& rank) {
  char tail = 0;
  return std::sscanf(name.c_str(), "run-%d.rank-%d%c", &run, &rank, &tail) == 2 && run >= 0 &&
         rank >= 0;
}

std::string recovery_note_path(const std::string& spill_path) { return spill_path + ".json"; }

void write_recovery_note(const RankRun& run, const std::string& spill_path) {
  nlohmann::json j;
  j["spec"] = nlohmann::json::parse(spec_json(run.spec));
  j["params_given"] = run.params_given;
  j["rank"] = run.rank;
  j["ranks"] = run.ranks;
  j["threads"] = run.spec.threads;
  j["host"] = run.host;
  j["start_ns"] = run.start_ns;
  j["offsets"] = nlohmann::json::array();
  for (const auto& o : run.offsets) j["offsets"].push_back({o.offset_ns, o.rtt_ns});
  write_file_atomically(recovery_note_path(spill_path), j.dump() + "\n");
}

namespace {

/// The note, read back.
void read_note(const std::string& path, RankRun& run) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read " + quote_value(path) + " (the run's recovery note)");
  std::stringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    run.spec = spec_of_json(j.at("spec").dump(), path);
    run.params_given = j.at("params_given").get<std::vector<std::string>>();
    run.rank = j.at("rank").get<int>();
    run.ranks = j.at("ranks").get<int>();
    run.threads = j.at("threads").get<int>();
    run.host = j.at("host").get<std::string>();
    run.start_ns = j.at("start_ns").get<std::uint64_t>();
    for (const auto& o : j.at("offsets"))
      run.offsets.push_back({o.at(0).get<std::int64_t>(), o.at(1).get<std::uint64_t>()});
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(quote_value(path) + " is not a recovery note (" + e.what() + ")");
  }
}

/// The thread record `t` of `set`, made when first met.
ThreadRecord& record_of(std::vector<std::unique_ptr<ThreadRecord>>& set, int t, int rank) {
  if (static_cast<std::size_t>(t) >= set.size()) set.resize(static_cast<std::size_t>(t) + 1);
  auto& rec = set[static_cast<std::size_t>(t)];
  if (!rec) {
    rec = std::make_unique<ThreadRecord>();
    rec->thread = t;
    rec->rank = rank;
  }
  return *rec;
}

/// `n` values of type T of the column at `offset`.
template <typename T>
std::vector<T> column(const SpillReader& in, std::uint64_t offset, std::uint64_t n) {
  std::vector<T> v(n);
  in.read(offset, sizeof(T), 0, n, v.data());
  return v;
}

/// One frame's rows read into `rows` (emptied first).
void read_rows(const SpillReader& in, const SpillFrame& f, RecordRows& rows) {
  rows.recycle();
  const auto number = column<std::uint64_t>(in, f.number, f.calls);
  const auto start = column<std::uint64_t>(in, f.start, f.calls);
  const auto duration = column<std::uint64_t>(in, f.duration, f.calls);
  const auto label = column<std::uint32_t>(in, f.label, f.calls);
  for (std::uint64_t i = 0; i < f.calls; ++i)
    rows.calls.push(number[i], start[i], duration[i], label[i]);
  const auto call = column<std::uint64_t>(in, f.sub_call, f.subcalls);
  const auto sub_start = column<std::uint64_t>(in, f.sub_start, f.subcalls);
  const auto sub_duration = column<std::uint64_t>(in, f.sub_duration, f.subcalls);
  const auto name = column<std::uint32_t>(in, f.sub_name, f.subcalls);
  for (std::uint64_t i = 0; i < f.subcalls; ++i)
    rows.subcalls.push(call[i], name[i], sub_start[i], sub_duration[i]);
}

}  // namespace

RankRun recover_rank_run(const std::string& spill_path, const std::string& why) {
  RankRun run;
  read_note(recovery_note_path(spill_path), run);
  run.errors = error_rule(run.spec, registry().find(run.spec.operation));
  if (spill_being_written(spill_path))
    throw ConfigError(quote_value(spill_path) +
                      " is still being written by a running rank: recover it once the run's "
                      "processes have ended");
  std::unique_ptr<SpillReader> in;
  try {
    in = std::make_unique<SpillReader>(spill_path);
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());
  }
  run.records.resize(static_cast<std::size_t>(run.threads));
  run.folds.resize(static_cast<std::size_t>(run.threads));
  RecordRows rows;
  for (const SpillFrame& f : in->frames()) {
    if (f.thread < 0 || f.thread >= run.threads)
      throw ConfigError(quote_value(spill_path) + " names thread " + std::to_string(f.thread) +
                        " of a run of " + std::to_string(run.threads));
    ThreadRecord& rec = record_of(f.warmup ? run.warmup : run.records, f.thread, run.rank);
    // The strings come in the order the thread met them: its ids, numbered on.
    if (rec.labels.size() != f.first_label || rec.subcall_names.size() != f.first_name)
      throw ConfigError(quote_value(spill_path) + ": thread " + std::to_string(f.thread) +
                        "'s strings are out of order");
    for (const auto& l : f.new_labels) (void)rec.labels.intern(l);
    for (const auto& n : f.new_names) (void)rec.subcall_names.intern(n);
    read_rows(*in, f, rows);
    rec.handed_calls += f.calls;
    rows.calls.for_each_block([&](const CallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i) {
        rec.busy_ns += b.duration_ns[i];
        if (rec.first_start_ns == 0) rec.first_start_ns = b.start_ns[i];
        rec.last_end_ns = std::max(rec.last_end_ns, b.start_ns[i] + b.duration_ns[i]);
      }
    });
    if (!f.warmup) run.folds[static_cast<std::size_t>(f.thread)].add(rows);
  }
  for (auto& rec : run.records)  // a thread that handed nothing over
    if (!rec) rec = std::make_unique<ThreadRecord>();
  for (std::size_t t = 0; t < run.records.size(); ++t) run.records[t]->thread = static_cast<int>(t);
  run.end_ns = run.start_ns;
  for (const auto& rec : run.records) run.end_ns = std::max(run.end_ns, rec->last_end_ns);
  run.interrupted = true;
  run.stop_reason = why;
  run.spill_path = spill_path;
  run.spill_torn = in->torn_bytes() > 0;
  return run;
}

}  // namespace gorgon
