// Round trip of the HDF5 file at any number of ranks: a suite of runs written with
// gorgon::h5::Writer (and through the library API), read back with gorgon::h5::Reader on
// every rank, each rank comparing every row of every column it wrote, and rank 0 comparing
// the summaries (report lines, JSON, histograms) with the live ones.
//
//   mpiexec -np 4 h5_roundtrip DIR [--compress] [--collective] [--chunk ROWS]
#include <mpi.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gorgon/gorgon.hpp"
#include "gorgon/h5/format.hpp"
#include "gorgon/h5/reader.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/report/reporter.hpp"
#include "h5_test_ops.hpp"

GORGON_OPERATION("h5_subcalls", gorgon::test::h5_subcalls);

namespace {

int world_rank = 0, world_size = 1, failures = 0;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      ++failures;                                                                          \
      std::fprintf(stderr, "rank %d: %s:%d: CHECK(%s) failed\n", world_rank, __FILE__,    \
                   __LINE__, #cond);                                                       \
    }                                                                                      \
  } while (0)

struct CallRow {
  std::uint64_t number, start, duration;
  std::string label;
  int thread;
};
struct SubRow {
  std::uint64_t call, start, duration;
  std::string name;
};

/// This rank's rows in the writer's order: thread by thread, in call order.
void expected_rows(const gorgon::RankRun& run, std::vector<CallRow>& calls,
                   std::vector<SubRow>& subs) {
  for (const auto& rec : run.records) {
    rec->calls.for_each_block([&](const gorgon::CallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i)
        calls.push_back({b.number[i], b.start_ns[i], b.duration_ns[i],
                         rec->labels.strings()[b.label[i]], rec->thread});
    });
    rec->subcalls.for_each_block([&](const gorgon::SubCallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i)
        subs.push_back({b.call_number[i], b.start_ns[i], b.duration_ns[i],
                        rec->subcall_names.strings()[b.name[i]]});
    });
  }
}

/// Every row this rank wrote, compared with what it recorded.
void compare_rows(const gorgon::h5::Reader& file, std::size_t r, const gorgon::h5::RunInfo& info,
                  const gorgon::RankRun* local) {
  std::vector<CallRow> calls;
  std::vector<SubRow> subs;
  if (local != nullptr) expected_rows(*local, calls, subs);
  std::size_t seen = 0, total = 0;
  std::uint32_t last_rank = 0;
  bool contiguous = true, in_rank_order = true;
  std::int64_t first_mine = -1;
  file.for_each_call_block(r, [&](const gorgon::h5::CallRows& rows) {
    CHECK(rows.first_row == total);
    for (std::size_t i = 0; i < rows.size(); ++i, ++total) {
      if (rows.rank[i] < last_rank) in_rank_order = false;
      last_rank = rows.rank[i];
      if (static_cast<int>(rows.rank[i]) != world_rank) continue;
      if (first_mine < 0) first_mine = static_cast<std::int64_t>(total);
      if (total != static_cast<std::size_t>(first_mine) + seen) contiguous = false;
      if (seen < calls.size()) {
        const CallRow& e = calls[seen];
        CHECK(rows.number[i] == e.number);
        CHECK(rows.start_ns[i] == e.start);
        CHECK(rows.duration_ns[i] == e.duration);
        CHECK(info.labels.at(rows.label[i]) == e.label);
        CHECK(rows.thread[i] == e.thread);
        if (world_rank == 0)
          CHECK(info.aligned_start_ns(0, rows.start_ns[i]) ==
                static_cast<std::int64_t>(rows.start_ns[i] - info.start_ns));
      }
      ++seen;
    }
  }, 777);
  CHECK(seen == calls.size());
  CHECK(contiguous);
  CHECK(in_rank_order);
  CHECK(total == info.calls);

  // Sub-calls have no rank column: this rank's rows start after the lower ranks' rows.
  std::uint64_t mine = subs.size(), offset = 0;
  MPI_Exscan(&mine, &offset, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (world_rank == 0) offset = 0;
  std::size_t row = 0, matched = 0;
  file.for_each_subcall_block(r, [&](const gorgon::h5::SubCallRows& rows) {
    for (std::size_t i = 0; i < rows.size(); ++i, ++row) {
      if (row < offset || row >= offset + mine) continue;
      const SubRow& e = subs[row - offset];
      CHECK(rows.call_number[i] == e.call);
      CHECK(rows.start_ns[i] == e.start);
      CHECK(rows.duration_ns[i] == e.duration);
      CHECK(info.subcall_names.at(rows.name[i]) == e.name);
      ++matched;
    }
  }, 500);
  CHECK(matched == subs.size());
  CHECK(row == info.subcalls);
}

/// Rank 0: the summary read back is the live one, number for number.
void compare_summary(const gorgon::RunSummary& live, const gorgon::h5::RunInfo& info) {
  const gorgon::RunSummary& read = info.summary;
  CHECK(gorgon::small_report(read) == gorgon::small_report(live));
  CHECK(gorgon::balance_line(read) == gorgon::balance_line(live));
  CHECK(gorgon::run_title(read, 0, 1) == gorgon::run_title(live, 0, 1));
  CHECK(gorgon::to_json(read).dump() == gorgon::to_json(live).dump());
  CHECK(read.total.histogram == live.total.histogram);
  // Each rank's host: the reducer's (gathered) and the reader's (the file's hosts) agree.
  CHECK(read.rank_balance.size() == live.rank_balance.size());
  for (std::size_t r = 0; r < std::min(read.rank_balance.size(), live.rank_balance.size()); ++r)
    CHECK(!live.rank_balance[r].host.empty() &&
          read.rank_balance[r].host == live.rank_balance[r].host);
  CHECK(read.total.m2 == live.total.m2);
  CHECK(read.labels.size() == live.labels.size());
  for (std::size_t l = 0; l < std::min(read.labels.size(), live.labels.size()); ++l) {
    CHECK(read.labels[l].label == live.labels[l].label);
    CHECK(read.labels[l].stats.histogram == live.labels[l].stats.histogram);
    CHECK(read.labels[l].subcalls.size() == live.labels[l].subcalls.size());
    for (std::size_t s = 0; s < std::min(read.labels[l].subcalls.size(),
                                         live.labels[l].subcalls.size());
         ++s)
      CHECK(read.labels[l].subcalls[s].stats.histogram ==
            live.labels[l].subcalls[s].stats.histogram);
  }
  CHECK(info.mode == "count");
  CHECK(info.status == "complete");
  CHECK(info.rank_start_ns.size() == static_cast<std::size_t>(live.ranks));
}

std::vector<gorgon::RunSpec> suite() {
  auto spec = [](const char* op, std::uint64_t ops, int ranks, int threads, std::uint64_t seed) {
    gorgon::RunSpec s;
    s.operation = op;
    s.ops = ops;
    s.ranks = ranks;
    s.threads = threads;
    s.seed = seed;
    return s;
  };
  std::vector<gorgon::RunSpec> runs;
  runs.push_back(spec("h5_subcalls", 5000, world_size, 2, 7));
  runs.push_back(spec("hash", 1000, 1, 1, 0));              // the other ranks write no rows
  runs.back().params["iterations"] = "2";
  runs.push_back(spec("noop", 3, world_size, 3, 100));      // ranks and threads without calls
  runs.push_back(spec("h5_subcalls", 20000, world_size, 1, 0));
  return runs;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  if (argc < 2) {
    std::fprintf(stderr, "usage: h5_roundtrip DIR [--compress] [--collective] [--chunk ROWS]\n");
    return 2;
  }
  gorgon::h5::WriterOptions options;
  options.overwrite = true;
  options.command_line = "h5_roundtrip";
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--compress") == 0) options.compress = true;
    if (std::strcmp(argv[i], "--collective") == 0) options.collective_columns = true;
    if (std::strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) options.chunk_rows = std::stoull(argv[++i]);
  }
  const std::string tag = "np" + std::to_string(world_size) + (options.compress ? "_z" : "") +
                          (options.collective_columns ? "_coll" : "") +
                          "_c" + std::to_string(options.chunk_rows);
  const std::string path = std::string(argv[1]) + "/roundtrip_" + tag + ".h5";

  // 1. Write a suite, keeping every rank's live records and rank 0's live summaries.
  std::vector<gorgon::WorldRun> live;
  std::string temp;
  {
    gorgon::h5::Writer out(path, MPI_COMM_WORLD, options);
    temp = out.temp_path();
    for (const auto& spec : suite()) {
      live.push_back(gorgon::run_on_world(spec, gorgon::registry().find(spec.operation),
                                          MPI_COMM_WORLD));
      out.write_run(live.back());
    }
    out.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(std::filesystem::exists(path));
  CHECK(!std::filesystem::exists(temp));

  // 2. Read it back on every rank.
  try {
    gorgon::h5::Reader file(path);
    CHECK(file.run_count() == live.size());
    CHECK(file.info().format == "gorgon-mpi");
    CHECK(file.info().format_version == gorgon::h5::format::kFormatVersion);
    CHECK(file.info().world_size == world_size);
    CHECK(file.info().hosts.size() == static_cast<std::size_t>(world_size));
    CHECK(file.info().command_line == "h5_roundtrip");
    for (std::size_t r = 0; r < std::min(file.run_count(), live.size()); ++r) {
      const gorgon::h5::RunInfo info = file.run(r);
      if (world_rank == 0) compare_summary(live[r].summary, info);
      compare_rows(file, r, info, live[r].local ? &*live[r].local : nullptr);
    }
  } catch (const std::exception& e) {
    ++failures;
    std::fprintf(stderr, "rank %d: %s\n", world_rank, e.what());
  }

  // 3. The library API writes the same file format; an existing file is refused.
  const std::string api_path = std::string(argv[1]) + "/api_" + tag + ".h5";
  {
    gorgon::Gorgon test("h5_subcalls");
    test.output(api_path, options).go(3000, 0, 2).go(500, 1, 1).close_output();
    gorgon::h5::Reader file(api_path);
    CHECK(file.run_count() == 2);
    if (world_rank == 0)
      for (std::size_t r = 0; r < 2; ++r)
        CHECK(gorgon::small_report(file.run(r).summary) == gorgon::small_report(test.runs()[r]));
    bool refused = false;
    try {
      gorgon::h5::Writer again(api_path, MPI_COMM_WORLD, {});
    } catch (const gorgon::ConfigError& e) {
      refused = std::strstr(e.what(), "exists") != nullptr;
    }
    CHECK(refused);
  }

  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (world_rank == 0) std::printf("h5_roundtrip %s: %d failed checks\n", tag.c_str(), total);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
