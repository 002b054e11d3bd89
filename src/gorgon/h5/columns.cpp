#include "gorgon/h5/columns.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gorgon/base/agree.hpp"
#include "gorgon/base/error.hpp"

namespace gorgon::h5::detail {
namespace {

std::uint64_t windows(std::uint64_t offset, std::uint64_t rows, std::uint64_t chunk) {
  if (rows == 0) return 0;
  return (offset + rows - 1) / chunk - offset / chunk + 1;
}

}  // namespace

std::vector<Slice> agree_slices(MPI_Comm comm, const std::vector<std::uint64_t>& local_rows,
                                std::uint64_t chunk_rows) {
  const int n = static_cast<int>(local_rows.size());
  std::vector<std::uint64_t> offset(local_rows.size(), 0), total(local_rows.size(), 0);
  check_mpi(MPI_Exscan(local_rows.data(), offset.data(), n, MPI_UINT64_T, MPI_SUM, comm),
            "MPI_Exscan");
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) std::fill(offset.begin(), offset.end(), 0);  // undefined on rank 0
  check_mpi(MPI_Allreduce(local_rows.data(), total.data(), n, MPI_UINT64_T, MPI_SUM, comm),
            "MPI_Allreduce");
  std::vector<std::uint64_t> mine(local_rows.size()), rounds(local_rows.size());
  for (std::size_t i = 0; i < local_rows.size(); ++i)
    mine[i] = windows(offset[i], local_rows[i], chunk_rows);
  check_mpi(MPI_Allreduce(mine.data(), rounds.data(), n, MPI_UINT64_T, MPI_MAX, comm),
            "MPI_Allreduce");
  std::vector<Slice> out;
  for (std::size_t i = 0; i < local_rows.size(); ++i)
    out.push_back({total[i], offset[i], local_rows[i], rounds[i]});
  return out;
}

namespace {

/// One H5Dwrite of `count` values at row `start` (count 0: an empty selection).
void write_rows(hid_t dset, hid_t mem_type, hid_t dxpl, hsize_t start, hsize_t count,
                const void* data, const std::string& what) {
  Hid file_space = check_id(H5Dget_space(dset), "H5Dget_space");
  const hsize_t mem_dims = std::max<hsize_t>(count, 1);
  Hid mem_space = check_id(H5Screate_simple(1, &mem_dims, nullptr), "H5Screate_simple");
  if (count > 0) {
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
          "H5Sselect_hyperslab");
  } else {
    check(H5Sselect_none(file_space.get()), "H5Sselect_none");
    check(H5Sselect_none(mem_space.get()), "H5Sselect_none");
  }
  check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), dxpl, data),
        "cannot write " + what);
}

Hid create_column(hid_t group, const Column& c, hsize_t rows, const ColumnSettings& s) {
  Hid space = check_id(H5Screate_simple(1, &rows, nullptr), "H5Screate_simple");
  Hid dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  if (rows > 0) {  // an empty column stays contiguous: chunks need a size > 0
    const hsize_t chunk = std::min<hsize_t>(s.chunk_rows, rows);
    check(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk");
    if (s.compress) {
      check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
      check(H5Pset_deflate(dcpl.get(), 1), "H5Pset_deflate");
    }
  }
  return check_id(
      H5Dcreate2(group, c.name, c.file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      std::string("cannot create column '") + c.name + "'");
}

/// Independent: pieces gathered into the staging buffer (a source that converts or reads
/// writes straight into it) and written a full buffer at a time: one H5Dwrite a record
/// block (64 Ki rows) took a fifth longer. A piece given in place that fills the buffer by
/// itself, while it is empty, is written from where it is.
void write_pieces(hid_t dset, Column& c, const Slice& slice, const ColumnSettings& s) {
  const std::string what = std::string("column '") + c.name + "'";
  auto* staging = reinterpret_cast<unsigned char*>(s.staging);
  std::uint64_t at = slice.offset;
  std::size_t filled = 0;
  auto flush = [&] {
    if (filled == 0) return;
    write_rows(dset, c.mem_type, s.dxpl, at, filled, staging, what);
    at += filled;
    filled = 0;
  };
  for (;;) {
    unsigned char* dst = staging + filled * c.value_size;
    const void* data = nullptr;
    const std::size_t n = c.source(s.staging_values - filled, dst, &data);
    if (n == 0) break;
    if (data != dst && filled == 0 && n == s.staging_values) {
      write_rows(dset, c.mem_type, s.dxpl, at, n, data, what);
      at += n;
      continue;
    }
    if (data != dst) std::memcpy(dst, data, n * c.value_size);
    filled += n;
    if (filled == s.staging_values) flush();
  }
  flush();
  if (at != slice.offset + slice.rows) throw std::logic_error(what + ": rows miscounted");
}

/// Collective: rounds of one chunk window, each gathered into the staging buffer.
void write_rounds(hid_t dset, Column& c, const Slice& slice, const ColumnSettings& s) {
  const std::string what = std::string("column '") + c.name + "'";
  auto* staging = reinterpret_cast<unsigned char*>(s.staging);
  const std::uint64_t first_window = slice.offset / s.chunk_rows;
  const std::uint64_t end = slice.offset + slice.rows;
  for (std::uint64_t k = 0; k < slice.rounds; ++k) {
    all_or_none(s.comm, [&] {
      std::uint64_t lo = 0, hi = 0;
      if (slice.rows > 0) {
        lo = std::max(slice.offset, (first_window + k) * s.chunk_rows);
        hi = std::max(lo, std::min(end, (first_window + k + 1) * s.chunk_rows));
      }
      for (std::size_t filled = 0; filled < hi - lo;) {
        unsigned char* dst = staging + filled * c.value_size;
        const void* data = nullptr;
        const std::size_t n = c.source(static_cast<std::size_t>(hi - lo - filled), dst, &data);
        if (n == 0) throw std::logic_error(what + ": rows miscounted");
        if (data != dst) std::memcpy(dst, data, n * c.value_size);
        filled += n;
      }
      write_rows(dset, c.mem_type, s.dxpl, lo, hi - lo, staging, what);
    });
  }
}

}  // namespace

void write_columns(hid_t group, std::vector<Column>& columns, const Slice& slice,
                   const ColumnSettings& s) {
  std::vector<Hid> sets(columns.size());
  all_or_none(s.comm, [&] {
    for (std::size_t i = 0; i < columns.size(); ++i)
      sets[i] = create_column(group, columns[i], slice.total, s);
  });
  if (slice.total > 0 && !s.collective) {
    std::string error;  // this rank's; agreed once for the whole table
    try {
      for (std::size_t i = 0; i < columns.size(); ++i)
        write_pieces(sets[i].get(), columns[i], slice, s);
    } catch (const std::exception& e) {
      error = e.what();
    }
    all_or_none(s.comm, [&] {
      if (!error.empty()) throw FileError(error);
    });
  } else if (slice.total > 0) {
    for (std::size_t i = 0; i < columns.size(); ++i)
      write_rounds(sets[i].get(), columns[i], slice, s);
  }
  all_or_none(s.comm, [&] {
    for (std::size_t i = 0; i < sets.size(); ++i)
      if (!sets[i].reset())
        throw FileError(std::string("cannot close column '") + columns[i].name +
                        "': " + hdf5_error_message());
  });
}

}  // namespace gorgon::h5::detail
