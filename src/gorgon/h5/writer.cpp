#include "gorgon/h5/writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/base/agree.hpp"
#include "gorgon/h5/format.hpp"
#include "gorgon/h5/hid.hpp"
#include "gorgon/h5/io.hpp"
#include "gorgon/h5/metadata.hpp"
#include "gorgon/h5/reader.hpp"
#include "gorgon/h5/run_writer.hpp"

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

}  // namespace

struct Writer::Impl {
  std::string path, temp;
  MPI_Comm world = MPI_COMM_NULL;
  int rank = 0;
  WriterOptions options;
  Hid file, dxpl, column_dxpl, runs;
  std::size_t written = 0;
  bool closed = false, aborted = false;
  long fail_at_run = -1;  // test hook: GORGON_H5_TEST_FAIL=<run index>

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
        check(H5Pset_dxpl_mpio(m.column_dxpl.get(), m.collective_columns()
                                                        ? H5FD_MPIO_COLLECTIVE
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
    detail::write_run(s, m.written, run);
  });
  ++m.written;
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
}

void Writer::abort() noexcept {
  Impl& m = *impl_;
  if (m.closed || m.aborted) return;
  m.aborted = true;
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
}

const std::string& Writer::path() const noexcept { return impl_->path; }
const std::string& Writer::temp_path() const noexcept { return impl_->temp; }
std::size_t Writer::runs_written() const noexcept { return impl_->written; }

}  // namespace gorgon::h5
