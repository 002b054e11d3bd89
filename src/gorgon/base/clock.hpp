#pragma once
// The one clock every timing in gorgon_mpi is read from.
#include <cstdint>
#include <ctime>

namespace gorgon {

/// Nanoseconds on this node's monotonic clock (CLOCK_MONOTONIC, a vDSO call on Linux).
/// Origins differ between nodes; the runner estimates each rank's offset to rank 0.
inline std::uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace gorgon
