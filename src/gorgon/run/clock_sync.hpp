#pragma once
// Clock offsets between the ranks of a run: each rank's CLOCK_MONOTONIC against rank 0's.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "gorgon/run/rank_run.hpp"

namespace gorgon {

/// How long rank 0 keeps sampling one peer: at least `min_rounds` ping-pongs, then until the
/// best round trip has not improved for `settle_rounds` in a row, at most `max_rounds` or
/// `budget_ns` per peer. On a quiet machine that is ~min_rounds; on a busy one it samples
/// until a round trip near the minimum came by.
struct ClockSampling {
  int min_rounds = 8;
  int settle_rounds = 16;
  int max_rounds = 1000;
  std::uint64_t budget_ns = 100'000'000;
};

/// Estimates every rank's clock offset to rank 0 of `comm` from its fastest ping-pong (the
/// offset is then within half that round trip of the truth); rank 0 gets the whole vector,
/// the other ranks an empty one. Collective.
std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, const ClockSampling& s = {});

}  // namespace gorgon
