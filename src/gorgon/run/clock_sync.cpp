#include "gorgon/run/clock_sync.hpp"

#include <limits>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {

constexpr int kClockTag = 7301;
constexpr int kDoneTag = 7302;  ///< rank 0's "no more rounds" to a peer (any clock value)

/// Rank 0's side with one peer: ping-pongs until the sampling rule says enough.
ClockOffset sample_peer(MPI_Comm comm, int peer, const ClockSampling& s) {
  ClockOffset best{0, std::numeric_limits<std::uint64_t>::max()};
  const std::uint64_t began = now_ns();
  int since_best = 0;
  for (int round = 0; round < s.max_rounds; ++round) {
    const bool enough =
        round >= s.min_rounds && (since_best >= s.settle_rounds || now_ns() - began >= s.budget_ns);
    if (enough) break;
    std::uint64_t remote = 0;
    const std::uint64_t t1 = now_ns();
    check_mpi(MPI_Send(&t1, 1, MPI_UINT64_T, peer, kClockTag, comm), "MPI_Send");
    check_mpi(MPI_Recv(&remote, 1, MPI_UINT64_T, peer, kClockTag, comm, MPI_STATUS_IGNORE),
              "MPI_Recv");
    const std::uint64_t t2 = now_ns();
    ++since_best;
    if (t2 - t1 < best.rtt_ns) {
      best.rtt_ns = t2 - t1;
      best.offset_ns =
          static_cast<std::int64_t>(remote) - static_cast<std::int64_t>(t1 + (t2 - t1) / 2);
      since_best = 0;
    }
  }
  const std::uint64_t done = 0;
  check_mpi(MPI_Send(&done, 1, MPI_UINT64_T, peer, kDoneTag, comm), "MPI_Send");
  return best;
}

/// A peer's side: answers each ping with its clock until rank 0 says done.
void answer_rank0(MPI_Comm comm) {
  while (true) {
    std::uint64_t t1 = 0;
    MPI_Status status;
    check_mpi(MPI_Recv(&t1, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &status), "MPI_Recv");
    if (status.MPI_TAG == kDoneTag) return;
    const std::uint64_t mine = now_ns();
    check_mpi(MPI_Send(&mine, 1, MPI_UINT64_T, 0, kClockTag, comm), "MPI_Send");
  }
}

}  // namespace

std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, const ClockSampling& s) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<ClockOffset> result;
  if (rank == 0) {
    result.resize(static_cast<std::size_t>(size));
    for (int peer = 1; peer < size; ++peer)
      result[static_cast<std::size_t>(peer)] = sample_peer(comm, peer, s);
  } else {
    answer_rank0(comm);
  }
  return result;
}

}  // namespace gorgon
