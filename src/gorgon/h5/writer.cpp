#include "gorgon/h5/writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "gorgon/base/agree.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/h5/format.hpp"
#include "gorgon/h5/hid.hpp"
#include "gorgon/h5/io.hpp"
#include "gorgon/h5/metadata.hpp"
#include "gorgon/h5/reader.hpp"
#include "gorgon/h5/run_writer.hpp"
#include "gorgon/run/recovery.hpp"

namespace gorgon::h5 {
using detail::check;
using detail::check_id;
using detail::Hid;

namespace {

/// Whether this HDF5 can write deflated datasets in parallel: filters with collective writes
/// need HDF5 >= 1.10.2 and the deflate filter with its encoder.
std::string compression_problem() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  if (maj == 1 && (min < 10 || (min == 10 && rel < 2)))
    return "HDF5 " + std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel) +
           " cannot write compressed datasets in parallel (1.10.2 or newer can)";
  unsigned flags = 0;
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 ||
      H5Zget_filter_info(H5Z_FILTER_DEFLATE, &flags) < 0 ||
      (flags & H5Z_FILTER_CONFIG_ENCODE_ENABLED) == 0)
    return "this HDF5 has no deflate (zlib) encoder";
  if (H5Zfilter_avail(H5Z_FILTER_SHUFFLE) <= 0) return "this HDF5 has no shuffle filter";
  return "";
}

/// Rank 0, before anything runs: the target can be written (docs/cli.md's rule for every
/// output) and compression is available. Returns the temporary file's name.
std::string check_target(const std::string& path, const WriterOptions& o) {
  for (const auto& note : check_output({o.option, path}, o.overwrite))
    std::fprintf(stderr, "gorgon_mpi: %s\n", note.c_str());
  if (o.compress) {
    const std::string problem = compression_problem();
    if (!problem.empty()) throw ConfigError("--compress is not available: " + problem);
  }
  return make_temp_beside(path);
}

/// Rank 0, before the rename: the closed file opens and every run's metadata and summary
/// read back (a metadata write an MPI-IO layer failed to report would show here).
void verify(const std::string& temp, std::size_t runs) {
  try {
    const Reader file(temp);
    if (file.run_count() != runs)
      throw FileError("it holds " + std::to_string(file.run_count()) + " runs instead of " +
                      std::to_string(runs));
    for (std::size_t i = 0; i < runs; ++i) (void)file.run(i);
  } catch (const FileError& e) {
    throw FileError(std::string("the file did not read back: ") + e.what());
  }
}

/// What a run's columns take on disk at most, summed over the ranks (collective): every
/// call row (number, start, duration, label, rank, thread, start delay) and sub-call row at
/// full width, since deflate can only shrink them (it adds a few bytes per chunk).
std::uint64_t column_bytes(MPI_Comm world, const WorldRun& run, std::uint64_t chunk_rows) {
  constexpr std::uint64_t kCallRow = 8 + 8 + 8 + 4 + 4 + 2 + 8, kSubCallRow = 8 + 8 + 8 + 4 + 4 + 2;
  std::uint64_t calls = 0, subcalls = 0;
  if (run.local)
    for (const auto& seg : run.local->kept)
      if (seg) {
        calls += seg->rows.calls.size();
        subcalls += seg->rows.subcalls.size();
      }
  std::uint64_t bytes = calls * kCallRow + subcalls * kSubCallRow, total = 0;
  check_mpi(MPI_Allreduce(&bytes, &total, 1, MPI_UINT64_T, MPI_SUM, world), "MPI_Allreduce");
  const std::uint64_t chunks = total / std::max<std::uint64_t>(chunk_rows, 1) + 16;
  return total + total / 50 + chunks * 1024 + (256u << 10);  // and room for the metadata
}

std::string bytes_text(std::uint64_t bytes) {
  return bytes >= (1u << 20) ? fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20))
                             : fmt::format("{} bytes", bytes);
}

/// Reserves `bytes` of disk beyond the end of `temp` (rank 0; fallocate keeping the size).
/// Compressed columns are written by collective filtered writes, and a write that fails on
/// one rank there (a full disk, a quota) leaves the other ranks waiting inside HDF5 for
/// ever: running out of space is found here, before any rank writes. File systems without
/// fallocate are written without the reservation.
void reserve_space(const std::string& temp, std::uint64_t bytes) {
  const int fd = ::open(temp.c_str(), O_WRONLY);
  if (fd < 0) throw FileError("cannot open " + quote_value(temp) + ": " + std::strerror(errno));
  struct stat st {};
  int rc = ::fstat(fd, &st);
  if (rc == 0) rc = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, static_cast<off_t>(bytes));
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (err != 0 && err != EOPNOTSUPP && err != ENOSYS)
    throw FileError(fmt::format("cannot reserve {} for the compressed columns ({})",
                                bytes_text(bytes), std::strerror(err)));
}

/// Gives back what reserve_space kept beyond the end of the closed file (rank 0).
void release_space(const std::string& temp) {
  struct stat st {};
  if (::stat(temp.c_str(), &st) != 0) return;
  // Growing by a byte and shrinking back frees every block past the end.
  if (::truncate(temp.c_str(), st.st_size + 1) == 0) (void)::truncate(temp.c_str(), st.st_size);
}

}  // namespace

struct Writer::Impl {
  std::string path, temp;
  std::string spill_dir;  ///< the runs' spill files: temp + ".spill"
  MPI_Comm world = MPI_COMM_NULL;
  int rank = 0;
  WriterOptions options;
  Hid file, dxpl, column_dxpl, runs;
  std::size_t written = 0;
  bool closed = false, aborted = false;
  long fail_at_run = -1;  // test hook: GORGON_H5_TEST_FAIL=<run index>

  void remove_spills() const noexcept;

  /// Filters need collective writes in parallel HDF5.
  [[nodiscard]] bool collective_columns() const {
    return options.compress || options.collective_columns;
  }

  /// Runs `body`, turning any error into one agreed runtime_error naming the file.
  template <typename F>
  void guarded(F&& body) {
    try {
      body();
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot write '" + path + "': " + e.what());
    }
  }
};

Writer::Writer(const std::string& path, MPI_Comm world, WriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  detail::silence_hdf5_errors();
  Impl& m = *impl_;
  m.path = path;
  m.world = world;
  m.options = std::move(options);
  MPI_Comm_rank(world, &m.rank);
  if (m.options.chunk_rows == 0) throw ConfigError("chunk_rows must be at least 1");
  all_or_none(world, [&] {
    if (m.rank == 0) m.temp = check_target(path, m.options);
  });
  boost::mpi::communicator comm(world, boost::mpi::comm_attach);
  boost::mpi::broadcast(comm, m.temp, 0);
  m.spill_dir = m.temp + ".spill";
  try {
    all_or_none(world, [&] {
      if (m.rank == 0 && ::mkdir(m.spill_dir.c_str(), 0755) != 0)
        throw std::runtime_error("cannot make " + quote_value(m.spill_dir) + ": " +
                                 std::strerror(errno));
    });
  } catch (...) {
    abort();
    throw;
  }
  const detail::RootMetadata meta = detail::gather_metadata(world, m.options.command_line);
  if (const char* fail = std::getenv("GORGON_H5_TEST_FAIL")) m.fail_at_run = std::atol(fail);
  try {
    m.guarded([&] {
      all_or_none(world, [&] {
        Hid fapl = check_id(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
        check(H5Pset_fapl_mpio(fapl.get(), world, MPI_INFO_NULL), "H5Pset_fapl_mpio");
        // The 1.8 file format: superblock, object headers (and the attributes in them) and
        // the heaps and B-trees of groups are checksummed, so a reader detects damage to
        // them instead of following it.
        check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
              "H5Pset_libver_bounds");
        check(H5Pset_all_coll_metadata_ops(fapl.get(), true), "H5Pset_all_coll_metadata_ops");
        check(H5Pset_coll_metadata_write(fapl.get(), true), "H5Pset_coll_metadata_write");
        m.file = check_id(H5Fcreate(m.temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                          "cannot create the file");
      });
      all_or_none(world, [&] {
        m.dxpl = check_id(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate");
        check(H5Pset_dxpl_mpio(m.dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
        m.column_dxpl = check_id(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate");
        check(H5Pset_dxpl_mpio(m.column_dxpl.get(), m.collective_columns() ? H5FD_MPIO_COLLECTIVE
                                                                           : H5FD_MPIO_INDEPENDENT),
              "H5Pset_dxpl_mpio");
        detail::write_root_attributes(m.file.get(), meta);
        m.runs = detail::create_group(m.file.get(), format::kRuns);
      });
    });
  } catch (...) {
    abort();
    throw;
  }
}

Writer::~Writer() { abort(); }

void Writer::write_run(const WorldRun& run) {
  Impl& m = *impl_;
  if (m.closed || m.aborted) throw std::logic_error("h5::Writer::write_run after close or abort");
  m.guarded([&] {
    detail::RunWriteSettings s;
    s.world = m.world;
    s.runs = m.runs.get();
    s.dxpl = m.dxpl.get();
    s.column_dxpl = m.column_dxpl.get();
    s.collective_columns = m.collective_columns();
    s.chunk_rows = m.options.chunk_rows;
    s.compress = m.options.compress;
    s.inject_failure = static_cast<long>(m.written) == m.fail_at_run;
    if (m.options.compress) {
      const std::uint64_t bytes = column_bytes(m.world, run, m.options.chunk_rows);
      all_or_none(m.world, [&] {
        if (m.rank == 0) reserve_space(m.temp, bytes);
      });
    }
    detail::write_run(s, m.written, run);
  });
  // The run's spill file stays until the file is renamed into place: until then it is the
  // only copy of the rows that survives a kill (--recover reads it).
  ++m.written;
}

std::string Writer::spill_path() const {
  const Impl& m = *impl_;
  return spill_file(m.spill_dir, m.written, m.rank);
}

/// This rank's spill files and notes: of every run written and of the one being run.
void Writer::Impl::remove_spills() const noexcept {
  if (spill_dir.empty()) return;
  for (std::size_t run = 0; run <= written; ++run) {
    const std::string spill = spill_file(spill_dir, run, rank);
    ::unlink(spill.c_str());
    ::unlink(recovery_note_path(spill).c_str());
  }
}

void Writer::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  if (m.aborted) throw std::logic_error("h5::Writer::close after abort");
  try {
    m.guarded([&] {
      all_or_none(m.world, [&] {
        m.runs.reset();
        m.dxpl.reset();
        m.column_dxpl.reset();
        if (!m.file.reset())
          throw FileError("cannot close the file (" + detail::hdf5_error_message() + ")");
      });
      all_or_none(m.world, [&] {
        if (m.rank != 0) return;
        if (m.options.compress) release_space(m.temp);
        verify(m.temp, m.written);
        try {
          commit_temp(m.temp, m.path, m.options.overwrite);
        } catch (const std::runtime_error& e) {
          throw FileError(e.what());
        }
      });
    });
    m.closed = true;
  } catch (...) {
    abort();
    throw;
  }
  // The file is in place: the rows' other copies go, then (every rank's gone) their folder.
  m.remove_spills();
  MPI_Barrier(m.world);
  if (m.rank == 0) (void)::rmdir(m.spill_dir.c_str());
}

void Writer::abort() noexcept {
  Impl& m = *impl_;
  if (m.closed || m.aborted) return;
  m.aborted = true;
  // The spill files first: on a full disk they hold the room the file's last metadata flush
  // needs. (An aborted file is removed, and its rows with it.)
  m.remove_spills();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    // H5Fclose is collective: close only when every rank holds the file open.
    int open_here = m.file.valid() ? 1 : 0, open_everywhere = 0;
    if (MPI_Allreduce(&open_here, &open_everywhere, 1, MPI_INT, MPI_MIN, m.world) == MPI_SUCCESS &&
        open_everywhere == 1) {
      // Closing flushes metadata. After a full disk (or quota) that flush would fail too and
      // leave HDF5 with a broken file handle; emptying the doomed file first gives it room.
      if (m.rank == 0) (void)::truncate(m.temp.c_str(), 0);
      MPI_Barrier(m.world);
      m.runs.reset();
      m.dxpl.reset();
      m.column_dxpl.reset();
      m.file.reset();
    } else {
      (void)m.runs.release();
      (void)m.file.release();
    }
    MPI_Barrier(m.world);
  }
  if (m.rank == 0 && !m.temp.empty()) ::unlink(m.temp.c_str());
  if (m.rank == 0 && !m.spill_dir.empty()) (void)::rmdir(m.spill_dir.c_str());
}

const std::string& Writer::temp_path() const noexcept { return impl_->temp; }

}  // namespace gorgon::h5
