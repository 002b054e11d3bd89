#pragma once
// Reads a gorgon-mpi HDF5 file (docs/hdf5-format.md): the root metadata, each run's metadata
// and reduced summary (back into the RunSummary the live run had, so reports print identical
// lines), and the raw call and sub-call columns, streamed in blocks of rows so memory stays
// bounded whatever the file size. Serial: open it on one process.
//
//     gorgon::h5::Reader file("hash.h5");               // throws gorgon::FileError
//     for (std::size_t r = 0; r < file.run_count(); ++r) {
//       const gorgon::h5::RunInfo run = file.run(r);
//       std::cout << gorgon::small_report(run.summary);
//       file.for_each_call_block(r, [&](const gorgon::h5::CallRows& rows) {
//         for (std::size_t i = 0; i < rows.size(); ++i)
//           use(rows.number[i], run.aligned_start_ns(rows.rank[i], rows.start_ns[i]));
//       });
//     }
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gorgon/h5/file_error.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon::h5 {

/// Ordered (name, value as text) pairs, e.g. every attribute of a group, for tables.
using Attributes = std::vector<std::pair<std::string, std::string>>;

/// The file's root metadata.
struct FileInfo {
  std::string format;        ///< "gorgon-mpi"
  int format_version = 0;    ///< 1
  std::string tool_version;  ///< gorgon_mpi's version that wrote the file
  std::string git_revision;  ///< its git revision, or "unknown"
  std::string command_line;
  std::string mpi_library;         ///< MPI_Get_library_version of rank 0
  int world_size = 0;              ///< ranks of the MPI world that wrote the file
  std::vector<std::string> hosts;  ///< MPI_Get_processor_name of each world rank
  int omp_max_threads = 0;         ///< omp_get_max_threads() on rank 0
  std::string omp_proc_bind;       ///< binding in effect on rank 0 (omp_get_proc_bind())
  std::string omp_places;          ///< OMP_PLACES on rank 0, "N places (runtime default)", or ""
  std::string slurm_job_id;        ///< SLURM_JOB_ID, "" when not run under Slurm
  std::string slurm_job_nodelist;  ///< SLURM_JOB_NODELIST, "" when not run under Slurm
  std::string start_utc;           ///< when the file was opened, ISO 8601 UTC
  Attributes attributes;           ///< every root attribute as text, by name
};

/// One run's metadata and reduced summary.
struct RunInfo {
  std::size_t index = 0;
  std::string path;  ///< "/runs/000"
  /// Operation, params, ops, seed, ranks, threads, wall time, the statistics per label and
  /// sub-call with their histograms, and the balance per rank and thread: the same values the
  /// live run had, so small_report(summary) prints the same lines.
  RunSummary summary;
  std::string mode;                          ///< "count"
  std::string status;                        ///< "complete" or "interrupted"
  std::uint64_t start_ns = 0;                ///< rank 0's clock at the run's start barrier
  std::vector<std::uint64_t> rank_start_ns;  ///< each rank's own clock at the start barrier
  std::vector<std::string> labels;           ///< calls/label indexes this table
  std::vector<std::string> subcall_names;    ///< subcalls/name indexes this table
  std::uint64_t calls = 0;                   ///< rows of calls/*
  std::uint64_t subcalls = 0;                ///< rows of subcalls/*
  Attributes attributes;  ///< every attribute of the run's group as text, by name

  /// A start_ns recorded on `rank` as nanoseconds since the run's start on rank 0's clock:
  /// start_ns - clock_offset_ns[rank] - start_ns(run). Negative values are possible within
  /// the offset estimate's error (about half its round trip, clock_rtt_ns).
  [[nodiscard]] std::int64_t aligned_start_ns(std::uint32_t rank, std::uint64_t start_ns) const;
};

/// A block of consecutive rows of a run's calls/* columns. Spans are valid only during the
/// callback; every span has size() elements.
struct CallRows {
  std::uint64_t first_row = 0;  ///< index of the block's first row in the run
  std::span<const std::uint64_t> number, start_ns, duration_ns;
  std::span<const std::uint32_t> label;  ///< index into RunInfo::labels
  std::span<const std::uint32_t> rank;   ///< rank in the run
  std::span<const std::uint16_t> thread;
  [[nodiscard]] std::size_t size() const noexcept { return number.size(); }
};

/// A block of consecutive rows of a run's subcalls/* columns.
struct SubCallRows {
  std::uint64_t first_row = 0;
  std::span<const std::uint64_t> call_number, start_ns, duration_ns;
  std::span<const std::uint32_t> name;  ///< index into RunInfo::subcall_names
  [[nodiscard]] std::size_t size() const noexcept { return call_number.size(); }
};

/// An open gorgon-mpi file. Every failure throws FileError with one clear message.
class Reader {
 public:
  /// Rows per block handed to the streaming callbacks by default (about 34 MiB of calls).
  static constexpr std::size_t kDefaultBlockRows = std::size_t{1} << 20;

  /// Opens `path` read-only and checks its format and format_version. Throws FileError when
  /// the file is missing, not HDF5, damaged or truncated, another format, or newer. Nothing
  /// in the file is trusted (docs/hdf5-format.md, "Reading it"): a format 1 file's attributes
  /// are first read in a forked child process, since libhdf5 does not survive a damaged
  /// global heap.
  explicit Reader(const std::string& path);
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  [[nodiscard]] const std::string& path() const noexcept;
  [[nodiscard]] const FileInfo& info() const noexcept;
  /// Runs in the file (/runs/000 ...).
  [[nodiscard]] std::size_t run_count() const noexcept;
  /// Run `index`'s metadata and summary (throws FileError past run_count()).
  [[nodiscard]] RunInfo run(std::size_t index) const;

  /// Calls `f` with consecutive blocks of at most `block_rows` rows of run `index`'s calls,
  /// in file order (grouped by rank, then thread, then call order). Memory: one block.
  void for_each_call_block(std::size_t index, const std::function<void(const CallRows&)>& f,
                           std::size_t block_rows = kDefaultBlockRows) const;
  /// The same for the run's sub-calls.
  void for_each_subcall_block(std::size_t index, const std::function<void(const SubCallRows&)>& f,
                              std::size_t block_rows = kDefaultBlockRows) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorgon::h5
