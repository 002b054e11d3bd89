#pragma once
// Cross-rank reduction of one run: label dictionaries merged, then counts, sums, extremes,
// spreads and histogram counts reduced with MPI collectives. No raw timing leaves its rank.
#include <mpi.h>

#include <string>
#include <vector>

#include "gorgon/run/rank_run.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon {

/// The sorted union of every rank's `local` strings, on every rank. Collective.
std::vector<std::string> merge_dictionary(MPI_Comm comm, std::vector<std::string> local);

/// Reduces one run to its summary. Collective over the run's communicator; the complete
/// summary is returned on rank 0, an empty one elsewhere.
RunSummary reduce_run(const RankRun& run, MPI_Comm comm);

}  // namespace gorgon
