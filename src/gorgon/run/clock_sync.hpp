#pragma once
// Clock offsets between the ranks of a run: each rank's CLOCK_MONOTONIC against rank 0's.
#include <mpi.h>

#include <vector>

#include "gorgon/run/rank_run.hpp"

namespace gorgon {

/// Estimates every rank's clock offset to rank 0 of `comm`; rank 0 gets the whole vector,
/// the other ranks an empty one. Collective.
std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, int rounds = 8);

}  // namespace gorgon
