#include "gorgon/run/clock_sync.hpp"

#include <limits>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {
constexpr int kClockTag = 7301;
}  // namespace

std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, int rounds) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<ClockOffset> result;
  if (rank == 0) result.resize(static_cast<std::size_t>(size));
  for (int peer = 1; peer < size; ++peer) {
    if (rank == 0) {
      ClockOffset best{0, std::numeric_limits<std::uint64_t>::max()};
      for (int i = 0; i < rounds; ++i) {
        std::uint64_t remote = 0;
        const std::uint64_t t1 = now_ns();
        check_mpi(MPI_Send(&t1, 1, MPI_UINT64_T, peer, kClockTag, comm), "MPI_Send");
        check_mpi(MPI_Recv(&remote, 1, MPI_UINT64_T, peer, kClockTag, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
        const std::uint64_t t2 = now_ns();
        if (t2 - t1 < best.rtt_ns) {
          best.rtt_ns = t2 - t1;
          best.offset_ns = static_cast<std::int64_t>(remote) -
                           static_cast<std::int64_t>(t1 + (t2 - t1) / 2);
        }
      }
      result[static_cast<std::size_t>(peer)] = best;
    } else if (rank == peer) {
      for (int i = 0; i < rounds; ++i) {
        std::uint64_t t1 = 0;
        check_mpi(MPI_Recv(&t1, 1, MPI_UINT64_T, 0, kClockTag, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
        const std::uint64_t mine = now_ns();
        check_mpi(MPI_Send(&mine, 1, MPI_UINT64_T, 0, kClockTag, comm), "MPI_Send");
      }
    }
  }
  return result;
}

}  // namespace gorgon
