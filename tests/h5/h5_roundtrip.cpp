// Round trip of the HDF5 file at any number of ranks: a suite of runs written with
// gorgon::h5::Writer (and through the library API), read back with gorgon::h5::Reader on
// every rank, each rank comparing every row of every column it wrote, and rank 0 comparing
// the summaries (report lines, JSON, histograms) with the live ones.
//
// One value-parameterised GoogleTest suite, one instance per way of writing (plain,
// compressed, collective; the chunk size); CTest runs each under mpiexec with
// --gtest_filter='*/NAME' (main: tests/mpi_gtest_main.cpp). The files go to a temporary
// directory made by rank 0 and removed at the end.
//
//   mpiexec -np 4 h5_roundtrip [--gtest_filter='*/compress']
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
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

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

/// The directory every rank writes to: made by rank 0 under TMPDIR, its name broadcast,
/// removed (with the files) when every test has run.
class FilesDirectory : public ::testing::Environment {
 public:
  static const std::string& path() { return path_; }

  void SetUp() override {
    std::vector<char> name(4096, '\0');
    if (world_rank() == 0) {
      const std::string pattern =
          (std::filesystem::temp_directory_path() / "gorgon_h5_roundtrip_XXXXXX").string();
      std::strncpy(name.data(), pattern.c_str(), name.size() - 1);
      if (mkdtemp(name.data()) == nullptr) name.assign(name.size(), '\0');
    }
    MPI_Bcast(name.data(), static_cast<int>(name.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = name.data();
    if (path_.empty()) ADD_FAILURE() << "rank 0 could not make a temporary directory";
  }

  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0 && !path_.empty()) std::filesystem::remove_all(path_);
  }

 private:
  static inline std::string path_;
};

[[maybe_unused]] ::testing::Environment* const files_directory =
    ::testing::AddGlobalTestEnvironment(new FilesDirectory);

/// One way of writing the file.
struct Variant {
  const char* name;
  bool compress;
  bool collective;
  std::size_t chunk_rows;  // 0: the writer's default
};

// GoogleTest prints the variant by its name (not as bytes) in its messages.
void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

gorgon::h5::WriterOptions writer_options(const Variant& v) {
  gorgon::h5::WriterOptions options;
  options.overwrite = true;
  options.command_line = "h5_roundtrip";
  options.compress = v.compress;
  options.collective_columns = v.collective;
  if (v.chunk_rows != 0) options.chunk_rows = v.chunk_rows;
  return options;
}

std::string file_path(const Variant& v, const char* what) {
  return FilesDirectory::path() + "/" + what + "_np" + std::to_string(world_size()) + "_" + v.name +
         ".h5";
}

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
    std::vector<const gorgon::RecordRows*> rows;  // the thread's rows, as it handed them over
    for (const auto& seg : run.kept)
      if (seg->thread == rec->thread && !seg->warmup) rows.push_back(&seg->rows);
    for (const auto* r : rows)
      r->calls.for_each_block([&](const gorgon::CallBlock& b, std::size_t used) {
        for (std::size_t i = 0; i < used; ++i)
          calls.push_back({b.number[i], b.start_ns[i], b.duration_ns[i],
                           rec->labels.strings()[b.label[i]], rec->thread});
      });
    for (const auto* r : rows)
      r->subcalls.for_each_block([&](const gorgon::SubCallBlock& b, std::size_t used) {
        for (std::size_t i = 0; i < used; ++i)
          subs.push_back({b.call_number[i], b.start_ns[i], b.duration_ns[i],
                          rec->subcall_names.strings()[b.name[i]]});
      });
  }
}

/// Every row this rank wrote, compared with what it recorded. Non-fatal checks only: every
/// rank must reach the MPI_Exscan.
void compare_rows(const gorgon::h5::Reader& file, std::size_t r, const gorgon::h5::RunInfo& info,
                  const gorgon::RankRun* local) {
  const int rank = world_rank();
  std::vector<CallRow> calls;
  std::vector<SubRow> subs;
  if (local != nullptr) expected_rows(*local, calls, subs);
  std::size_t seen = 0, total = 0;
  std::uint32_t last_rank = 0;
  bool contiguous = true, in_rank_order = true;
  std::int64_t first_mine = -1;
  file.for_each_call_block(
      r,
      [&](const gorgon::h5::CallRows& rows) {
        EXPECT_EQ(rows.first_row, total);
        for (std::size_t i = 0; i < rows.size(); ++i, ++total) {
          if (rows.rank[i] < last_rank) in_rank_order = false;
          last_rank = rows.rank[i];
          if (static_cast<int>(rows.rank[i]) != rank) continue;
          if (first_mine < 0) first_mine = static_cast<std::int64_t>(total);
          if (total != static_cast<std::size_t>(first_mine) + seen) contiguous = false;
          if (seen < calls.size()) {
            const CallRow& e = calls[seen];
            EXPECT_EQ(rows.number[i], e.number) << "call row " << total;
            EXPECT_EQ(rows.start_ns[i], e.start) << "call row " << total;
            EXPECT_EQ(rows.duration_ns[i], e.duration) << "call row " << total;
            EXPECT_EQ(info.labels.at(rows.label[i]), e.label) << "call row " << total;
            EXPECT_EQ(rows.thread[i], e.thread) << "call row " << total;
            if (rank == 0) {
              EXPECT_EQ(info.aligned_start_ns(0, rows.start_ns[i]),
                        static_cast<std::int64_t>(rows.start_ns[i] - info.start_ns))
                  << "call row " << total;
            }
          }
          ++seen;
        }
      },
      777);
  EXPECT_EQ(seen, calls.size()) << "this rank's call rows";
  EXPECT_TRUE(contiguous) << "this rank's call rows are contiguous";
  EXPECT_TRUE(in_rank_order) << "call rows in rank order";
  EXPECT_EQ(total, info.calls) << "call rows in the file";

  // Sub-calls have no rank column: this rank's rows start after the lower ranks' rows.
  std::uint64_t mine = subs.size(), offset = 0;
  MPI_Exscan(&mine, &offset, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) offset = 0;
  std::size_t row = 0, matched = 0;
  file.for_each_subcall_block(
      r,
      [&](const gorgon::h5::SubCallRows& rows) {
        for (std::size_t i = 0; i < rows.size(); ++i, ++row) {
          if (row < offset || row >= offset + mine) continue;
          const SubRow& e = subs[row - offset];
          EXPECT_EQ(rows.call_number[i], e.call) << "sub-call row " << row;
          EXPECT_EQ(rows.start_ns[i], e.start) << "sub-call row " << row;
          EXPECT_EQ(rows.duration_ns[i], e.duration) << "sub-call row " << row;
          EXPECT_EQ(info.subcall_names.at(rows.name[i]), e.name) << "sub-call row " << row;
          ++matched;
        }
      },
      500);
  EXPECT_EQ(matched, subs.size()) << "this rank's sub-call rows";
  EXPECT_EQ(row, info.subcalls) << "sub-call rows in the file";
}

/// Rank 0: the summary read back is the live one, number for number.
void compare_summary(const gorgon::RunSummary& live, const gorgon::h5::RunInfo& info) {
  const gorgon::RunSummary& read = info.summary;
  EXPECT_EQ(gorgon::small_report(read), gorgon::small_report(live));
  EXPECT_EQ(gorgon::balance_line(read), gorgon::balance_line(live));
  EXPECT_EQ(gorgon::run_title(read, 0, 1), gorgon::run_title(live, 0, 1));
  EXPECT_EQ(gorgon::to_json(read).dump(), gorgon::to_json(live).dump());
  EXPECT_TRUE(read.total.histogram == live.total.histogram) << "the total's histogram";
  // Each rank's host: the reducer's (gathered) and the reader's (the file's hosts) agree.
  EXPECT_EQ(read.rank_balance.size(), live.rank_balance.size());
  for (std::size_t r = 0; r < std::min(read.rank_balance.size(), live.rank_balance.size()); ++r) {
    EXPECT_TRUE(!live.rank_balance[r].host.empty() &&
                read.rank_balance[r].host == live.rank_balance[r].host)
        << "rank " << r << "'s host: read '" << read.rank_balance[r].host << "', live '"
        << live.rank_balance[r].host << "'";
  }
  EXPECT_EQ(read.total.m2, live.total.m2);
  EXPECT_EQ(read.labels.size(), live.labels.size());
  for (std::size_t l = 0; l < std::min(read.labels.size(), live.labels.size()); ++l) {
    EXPECT_EQ(read.labels[l].label, live.labels[l].label);
    EXPECT_TRUE(read.labels[l].stats.histogram == live.labels[l].stats.histogram)
        << "label " << live.labels[l].label << "'s histogram";
    EXPECT_EQ(read.labels[l].subcalls.size(), live.labels[l].subcalls.size())
        << "label " << live.labels[l].label << "'s sub-calls";
    for (std::size_t s = 0;
         s < std::min(read.labels[l].subcalls.size(), live.labels[l].subcalls.size()); ++s) {
      EXPECT_TRUE(read.labels[l].subcalls[s].stats.histogram ==
                  live.labels[l].subcalls[s].stats.histogram)
          << "label " << live.labels[l].label << ", sub-call " << s << "'s histogram";
    }
  }
  EXPECT_EQ(info.mode, "count");
  EXPECT_EQ(info.status, "complete");
  EXPECT_EQ(info.rank_start_ns.size(), static_cast<std::size_t>(live.ranks));
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
  runs.push_back(spec("h5_subcalls", 5000, world_size(), 2, 7));
  runs.push_back(spec("hash", 1000, 1, 1, 0));  // the other ranks write no rows
  runs.back().params["iterations"] = "2";
  runs.push_back(spec("noop", 3, world_size(), 3, 100));  // ranks and threads without calls
  runs.push_back(spec("h5_subcalls", 20000, world_size(), 1, 0));
  return runs;
}

/// A suite written once per variant (on first use, by every rank alike): the file, the
/// temporary name it was written under, every rank's live records and rank 0's summaries.
struct Written {
  std::string path, temp;
  std::vector<gorgon::WorldRun> live;
};

const Written& written(const Variant& v) {
  static std::map<std::string, Written> files;
  auto [it, made] = files.try_emplace(v.name);
  if (!made) return it->second;
  Written& w = it->second;
  w.path = file_path(v, "roundtrip");
  gorgon::h5::Writer out(w.path, MPI_COMM_WORLD, writer_options(v));
  w.temp = out.temp_path();
  for (const auto& spec : suite()) {
    gorgon::RunControl control;  // the rows kept for the file, handed over in small blocks
    control.keep_rows = true;
    control.records.block_rows = 1000;
    w.live.push_back(gorgon::run_on_world(spec, gorgon::registry().find(spec.operation),
                                          MPI_COMM_WORLD, control));
    out.write_run(w.live.back());
  }
  out.close();
  MPI_Barrier(MPI_COMM_WORLD);
  return w;
}

class RoundTrip : public ::testing::TestWithParam<Variant> {};

TEST_P(RoundTrip, FileUnderItsNameAndNoTemporaryLeft) {
  const Written& w = written(GetParam());
  EXPECT_TRUE(std::filesystem::exists(w.path)) << w.path;
  EXPECT_FALSE(std::filesystem::exists(w.temp)) << w.temp;
}

TEST_P(RoundTrip, FileInfoReadBackOnEveryRank) {
  const Written& w = written(GetParam());
  try {
    gorgon::h5::Reader file(w.path);
    EXPECT_EQ(file.run_count(), w.live.size());
    EXPECT_EQ(file.info().format, "gorgon-mpi");
    EXPECT_EQ(file.info().format_version, gorgon::h5::format::kFormatVersion);
    EXPECT_EQ(file.info().world_size, world_size());
    EXPECT_EQ(file.info().hosts.size(), static_cast<std::size_t>(world_size()));
    EXPECT_EQ(file.info().command_line, "h5_roundtrip");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reading " << w.path << ": " << e.what();
  }
}

TEST_P(RoundTrip, EveryRowAndSummaryReadBackAsWritten) {
  const Written& w = written(GetParam());
  try {
    gorgon::h5::Reader file(w.path);
    for (std::size_t r = 0; r < std::min(file.run_count(), w.live.size()); ++r) {
      SCOPED_TRACE("run " + std::to_string(r));
      const gorgon::h5::RunInfo info = file.run(r);
      if (world_rank() == 0) compare_summary(w.live[r].summary, info);
      compare_rows(file, r, info, w.live[r].local ? &*w.live[r].local : nullptr);
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reading " << w.path << ": " << e.what();
  }
}

// The library API writes the same file format; an existing file is refused.
TEST_P(RoundTrip, LibraryApiWritesTheSameFormatAndRefusesAnExistingFile) {
  const std::string api_path = file_path(GetParam(), "api");
  gorgon::Gorgon test("h5_subcalls");
  test.output(api_path, writer_options(GetParam())).go(3000, 0, 2).go(500, 1, 1).close_output();
  gorgon::h5::Reader file(api_path);
  EXPECT_EQ(file.run_count(), 2u);
  if (world_rank() == 0) {
    for (std::size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(gorgon::small_report(file.run(r).summary), gorgon::small_report(test.runs()[r]))
          << "run " << r;
    }
  }
  std::string refused;
  try {
    gorgon::h5::Writer again(api_path, MPI_COMM_WORLD, {});
  } catch (const gorgon::ConfigError& e) {
    refused = e.what();
  }
  EXPECT_NE(refused.find("exists"), std::string::npos) << "refusal: '" << refused << "'";
}

// The CTest names are h5.roundtrip.<name>.np<ranks> (tests/h5/CMakeLists.txt).
INSTANTIATE_TEST_SUITE_P(
    Files, RoundTrip,
    ::testing::Values(Variant{"plain", false, false, 1000},
                      // chunks small enough that ranks share chunks (filtered collective writes)
                      Variant{"compress", true, false, 1000},
                      Variant{"compress_default_chunks", true, false, 0},
                      // uncompressed columns, collective transfers
                      Variant{"collective", false, true, 1000}),
    [](const ::testing::TestParamInfo<Variant>& v) { return std::string(v.param.name); });

}  // namespace
// main: tests/mpi_gtest_main.cpp
