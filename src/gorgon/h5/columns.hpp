#pragma once
// The raw columns of a run (calls/*, subcalls/*): 1-D chunked datasets that every rank
// writes its slice of, collectively, at offsets from an exclusive scan of the row counts.
// Values are copied from the record blocks through one bounded staging buffer per rank, so
// writing adds no memory per call. Internal to src/gorgon/h5.
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "gorgon/h5/hid.hpp"

namespace gorgon::h5::detail {

/// Where this rank's rows of one table go; the same `total` and `rounds` on every rank.
struct Slice {
  std::uint64_t total = 0;   ///< rows over every rank
  std::uint64_t offset = 0;  ///< first row of this rank (exclusive scan)
  std::uint64_t rows = 0;    ///< rows of this rank
  std::uint64_t rounds = 0;  ///< collective writes per column (the most any rank needs)
};

/// The slices of several tables at once (one MPI_Exscan and two MPI_Allreduce). Collective.
std::vector<Slice> agree_slices(MPI_Comm comm, const std::vector<std::uint64_t>& local_rows,
                                std::uint64_t chunk_rows);

struct ColumnSettings {
  MPI_Comm comm = MPI_COMM_NULL;
  hid_t dxpl = H5P_DEFAULT;     ///< the transfer: independent, or collective when `collective`
  bool collective = false;      ///< every rank calls H5Dwrite in every round
  std::uint64_t chunk_rows = 0;  ///< rows per chunk and per round
  bool compress = false;         ///< byte shuffle + deflate
  std::uint64_t* staging = nullptr;  ///< room for chunk_rows values of up to 8 bytes
};

/// Produces the next `n` values of this rank's column into `dst`.
using Fill = std::function<void(void* dst, std::size_t n)>;

/// Creates column `name` in `group` (file type `file_type`) with slice.total rows and writes
/// this rank's rows in slice.rounds rounds. Round k writes the part of this rank's rows inside
/// its k-th chunk window, so every chunk is written whole in one round except where two
/// ranks' slices meet. With a collective transfer every rank calls H5Dwrite in every round
/// (empty selections when it has nothing to write); with an independent one only ranks with
/// rows do. Every round's outcome is agreed by every rank: a failure on one throws on all.
/// Collective (dataset creation and the agreements).
void write_column(hid_t group, const char* name, hid_t file_type, hid_t mem_type,
                  const Slice& slice, const Fill& fill, const ColumnSettings& s);

template <typename T>
void write_column(hid_t group, const char* name, const Slice& slice, const Fill& fill,
                  const ColumnSettings& s) {
  write_column(group, name, TypeOf<T>::file(), TypeOf<T>::memory(), slice, fill, s);
}

/// A block of one thread's records and the rows used in it.
template <typename Block>
struct BlockSegment {
  const Block* block;
  std::size_t used;
  std::size_t thread;  ///< index into the rank's records
};

/// Walks one rank's record blocks (every thread's, in thread order) row by row.
template <typename Block>
class BlockCursor {
 public:
  using Segment = BlockSegment<Block>;
  explicit BlockCursor(const std::vector<Segment>& segments) : segments_(segments) {}

  /// Calls f(block, first row, count, thread, position in the output) until `n` rows.
  template <typename F>
  void next(std::size_t n, F&& f) {
    std::size_t done = 0;
    while (done < n && seg_ < segments_.size()) {
      const Segment& s = segments_[seg_];
      const std::size_t take = std::min(n - done, s.used - row_);
      if (take > 0) f(*s.block, row_, take, s.thread, done);
      done += take;
      row_ += take;
      if (row_ == s.used) {
        ++seg_;
        row_ = 0;
      }
    }
  }

 private:
  const std::vector<Segment>& segments_;
  std::size_t seg_ = 0, row_ = 0;
};
template <typename Block>
BlockCursor(const std::vector<BlockSegment<Block>>&) -> BlockCursor<Block>;

}  // namespace gorgon::h5::detail
