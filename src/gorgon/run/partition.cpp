#include "gorgon/run/partition.hpp"

namespace gorgon {

NumberRange rank_slice(std::uint64_t seed, std::uint64_t n, int ranks, int rank) {
  const auto r = static_cast<std::uint64_t>(rank);
  const auto R = static_cast<std::uint64_t>(ranks);
  const std::uint64_t base = n / R, extra = n % R;
  const std::uint64_t begin = r * base + std::min(r, extra);
  const std::uint64_t size = base + (r < extra ? 1 : 0);
  return {seed + begin, seed + begin + size};
}

std::uint64_t chunk_size(std::uint64_t slice, int threads) {
  const std::uint64_t per_thread = slice / static_cast<std::uint64_t>(std::max(threads, 1));
  return std::clamp<std::uint64_t>(per_thread / 16, 1, 1024);
}

}  // namespace gorgon
