#pragma once
// The file's root metadata: gathered once per file on every rank (collective), written as
// root attributes. Internal to src/gorgon/h5.
#include <mpi.h>

#include <string>
#include <vector>

#include "gorgon/h5/hid.hpp"

namespace gorgon::h5::detail {

struct RootMetadata {
  std::string tool_version, git_revision, command_line, mpi_library, hdf5_library, start_utc;
  int world_size = 0;
  std::vector<std::string> hosts;  ///< per world rank
  int omp_max_threads = 0;
  std::string omp_proc_bind;  ///< the binding in effect: false, true, master, close, spread
  std::string omp_places;     ///< OMP_PLACES, or "N places (runtime default)", or ""
  std::string slurm_job_id, slurm_job_nodelist;  ///< "" when not under Slurm
};

/// Gathers the metadata (hosts from every rank, the rest from rank 0) so that every rank
/// holds the same values. `command_line` "" reads /proc/self/cmdline. Collective.
RootMetadata gather_metadata(MPI_Comm world, const std::string& command_line);

/// Writes the metadata and format name and version as attributes of `file`'s root group.
/// Collective in a parallel file (every rank passes the same values).
void write_root_attributes(hid_t file, const RootMetadata& m);

}  // namespace gorgon::h5::detail
