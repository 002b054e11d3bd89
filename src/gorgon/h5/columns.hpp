#pragma once
// The raw columns of a run (calls/*, subcalls/*): 1-D chunked datasets that every rank
// writes its slice of at offsets from an exclusive scan of the row counts. Values are written
// from the record blocks in place, or (when they need converting, or a collective round needs
// them in one piece) through one bounded staging buffer per rank, so writing adds no memory
// per call. Internal to src/gorgon/h5.
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
  hid_t dxpl = H5P_DEFAULT;          ///< the transfer: independent, or collective when `collective`
  bool collective = false;           ///< every rank calls H5Dwrite in every round
  std::uint64_t chunk_rows = 0;      ///< rows per chunk and per round
  bool compress = false;             ///< byte shuffle + deflate
  std::uint64_t* staging = nullptr;  ///< room for `staging_values` values of up to 8 bytes
  std::size_t staging_values = 0;    ///< at least min(chunk_rows, this rank's rows)
};

/// This rank's values of a column, in order, one piece per call: at most `max` values, either
/// where they already are (a record block) or converted into `scratch`. Sets `*data` to the
/// piece and returns its length; 0 when every value has been given.
using Source = std::function<std::size_t(std::size_t max, void* scratch, const void** data)>;

/// One column of a table: its name, types and values.
struct Column {
  const char* name;
  hid_t file_type;
  hid_t mem_type;
  std::size_t value_size;
  Source source;
};

template <typename T>
Column column_of(const char* name, Source source) {
  return {name, TypeOf<T>::file(), TypeOf<T>::memory(), sizeof(T), std::move(source)};
}

/// Creates the columns of one table (equal length: slice.total rows) in `group` and writes
/// this rank's rows [slice.offset, slice.offset + slice.rows) of each from its source.
/// Independent transfers: one H5Dwrite per piece, then one agreement over every rank for the
/// whole table (a failure on one rank throws on all). Collective transfers: per column,
/// slice.rounds rounds in which every rank calls H5Dwrite (an empty selection when it has
/// nothing left); round k writes this rank's rows in its k-th chunk window, so a chunk is
/// written whole in one round except where two ranks' slices meet; every round is agreed.
/// Collective.
void write_columns(hid_t group, std::vector<Column>& columns, const Slice& slice,
                   const ColumnSettings& s);

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

  /// The next piece of at most `max` rows, all in one block: calls f(block, first row,
  /// count, thread) and returns count, or returns 0 at the end.
  template <typename F>
  std::size_t next(std::size_t max, F&& f) {
    while (seg_ < segments_.size() && row_ == segments_[seg_].used) {
      ++seg_;
      row_ = 0;
    }
    if (seg_ == segments_.size() || max == 0) return 0;
    const Segment& s = segments_[seg_];
    const std::size_t take = std::min(max, s.used - row_);
    f(*s.block, row_, take, s.thread);
    row_ += take;
    return take;
  }

 private:
  const std::vector<Segment>& segments_;
  std::size_t seg_ = 0, row_ = 0;
};
template <typename Block>
BlockCursor(const std::vector<BlockSegment<Block>>&) -> BlockCursor<Block>;

}  // namespace gorgon::h5::detail
