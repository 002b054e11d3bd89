#include "gorgon/h5/columns.hpp"

#include <algorithm>
#include <string>

#include "gorgon/error.hpp"
#include "gorgon/gorgon_api.hpp"

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

void write_column(hid_t group, const char* name, hid_t file_type, hid_t mem_type,
                  const Slice& slice, const Fill& fill, const ColumnSettings& s) {
  const std::string what = std::string("column '") + name + "'";
  Hid dset;
  all_or_none(s.comm, [&] {
    const hsize_t dims = slice.total;
    Hid space = check_id(H5Screate_simple(1, &dims, nullptr), "H5Screate_simple");
    Hid dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    if (slice.total > 0) {  // an empty column stays contiguous: chunks need a size > 0
      const hsize_t chunk = std::min<hsize_t>(s.chunk_rows, slice.total);
      check(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk");
      if (s.compress) {
        check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
        check(H5Pset_deflate(dcpl.get(), 1), "H5Pset_deflate");
      }
    }
    dset = check_id(H5Dcreate2(group, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                               H5P_DEFAULT),
                    "cannot create " + what);
  });
  if (slice.total == 0) return;

  const std::uint64_t first_window = slice.offset / s.chunk_rows;
  const std::uint64_t end = slice.offset + slice.rows;
  for (std::uint64_t k = 0; k < slice.rounds; ++k) {
    all_or_none(s.comm, [&] {
      Hid file_space = check_id(H5Dget_space(dset.get()), "H5Dget_space");
      hsize_t start = 0, count = 0;
      if (slice.rows > 0) {
        const std::uint64_t lo = std::max(slice.offset, (first_window + k) * s.chunk_rows);
        const std::uint64_t hi = std::min(end, (first_window + k + 1) * s.chunk_rows);
        if (lo < hi) {
          start = lo;
          count = hi - lo;
        }
      }
      const hsize_t mem_dims = std::max<hsize_t>(count, 1);
      Hid mem_space = check_id(H5Screate_simple(1, &mem_dims, nullptr), "H5Screate_simple");
      if (count == 0 && !s.collective) return;
      if (count > 0) {
        fill(s.staging, static_cast<std::size_t>(count));
        check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count,
                                  nullptr),
              "H5Sselect_hyperslab");
      } else {
        check(H5Sselect_none(file_space.get()), "H5Sselect_none");
        check(H5Sselect_none(mem_space.get()), "H5Sselect_none");
      }
      check(H5Dwrite(dset.get(), mem_type, mem_space.get(), file_space.get(), s.dxpl, s.staging),
            "cannot write " + what);
    });
  }
  all_or_none(s.comm, [&] {
    if (!dset.reset()) throw FileError("cannot close " + what + ": " + hdf5_error_message());
  });
}

}  // namespace gorgon::h5::detail
