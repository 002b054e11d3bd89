#pragma once
// Writes one run as /runs/NNN of an open parallel file. Internal to src/gorgon/h5.
#include <mpi.h>

#include <cstdint>

#include "gorgon/h5/hid.hpp"
#include "gorgon/reduce/reduce.hpp"

namespace gorgon::h5::detail {

struct RunWriteSettings {
  MPI_Comm world = MPI_COMM_NULL;
  hid_t runs = H5I_INVALID_HID;     ///< the /runs group
  hid_t dxpl = H5P_DEFAULT;         ///< collective transfer (metadata-like small tables)
  hid_t column_dxpl = H5P_DEFAULT;  ///< transfer of the raw columns
  bool collective_columns = false;  ///< column_dxpl is collective (required by compression)
  std::uint64_t chunk_rows = 0;
  bool compress = false;
  bool inject_failure = false;  ///< test hook: fail between the calls and the sub-calls
};

/// Writes run `index`: its attributes, string tables, summary and balance (from rank 0's
/// summary), and every rank's raw calls and sub-calls (none on ranks not in the run), with
/// the dictionaries the reducer merged. Collective over s.world; any rank's failure throws on every
/// rank.
void write_run(const RunWriteSettings& s, std::size_t index, const WorldRun& run);

}  // namespace gorgon::h5::detail
