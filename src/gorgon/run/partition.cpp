#include "gorgon/run/partition.hpp"

#include <ctime>

#include "gorgon/run/stop.hpp"

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

BlockPlan::BlockPlan(Schedule schedule, std::uint64_t seed, std::uint64_t n, int ranks)
    : seed_(seed), n_(n) {
  const auto R = static_cast<std::uint64_t>(std::max(ranks, 1));
  if (schedule == Schedule::guided) {
    // Each block takes 1/(2R) of what is left, never less than the smallest block: some
    // 2R * ln(N / (2R * smallest)) + 2R blocks in all.
    const std::uint64_t smallest = std::max<std::uint64_t>(1, n / (R * 1024));
    for (std::uint64_t at = 0; at < n;) {
      starts_.push_back(seed + at);
      at += std::min(n - at, std::max(smallest, (n - at) / (2 * R)));
    }
    starts_.push_back(seed + n);
    count_ = starts_.size() - 1;
  } else {
    size_ = std::clamp<std::uint64_t>(n / (R * 128), 1, std::uint64_t{1} << 16);
    count_ = n / size_ + (n % size_ != 0);
  }
}

NumberRange BlockPlan::block(std::uint64_t k) const noexcept {
  if (!starts_.empty()) return {starts_[k], starts_[k + 1]};
  const std::uint64_t begin = k * size_;
  return {seed_ + begin, seed_ + std::min(begin + size_, n_)};
}

std::uint64_t ClaimPacing::answered(std::uint64_t latency_ns, std::uint64_t during, bool ran_dry,
                                    double calls_per_ns, std::uint64_t threads) noexcept {
  latency_ns_ = latency_ns_ == 0 ? latency_ns : (latency_ns_ * 7 + latency_ns) / 8;
  need_ = ran_dry ? std::max(2 * need_, 2 * during) : std::max(during, need_ - need_ / 16);
  const auto a_second = static_cast<std::uint64_t>(calls_per_ns * 1e9);
  need_ = std::min(need_, std::max(a_second, during));
  const auto by_rate = static_cast<std::uint64_t>(calls_per_ns * static_cast<double>(latency_ns_));
  return std::max(by_rate, need_ + need_ / 2) + threads;
}

std::uint64_t ClaimPacing::blocks_for(std::uint64_t reserve, std::uint64_t block) noexcept {
  if (block == 0) return 1;
  return std::clamp<std::uint64_t>(reserve / block + (reserve % block != 0), 1, most_blocks);
}

void SharedBlocks::push(NumberRange block) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.empty()) chunk_ = std::clamp<std::uint64_t>(block.size() / (threads_ * 4), 1, 1024);
  queue_.push_back(block);
  left_.fetch_add(block.size(), std::memory_order_release);
}

void SharedBlocks::wait_for_demand(std::chrono::nanoseconds most) {
  std::unique_lock<std::mutex> lock(mutex_);
  demand_.wait_for(lock, most, [this] { return wants_more(); });  // false once closed
}

NumberRange SharedBlocks::next() noexcept {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!queue_.empty()) {
        NumberRange& front = queue_.front();
        if (front.size() > 0) {
          const NumberRange chunk{front.begin, front.begin + std::min(chunk_, front.size())};
          front.begin = chunk.end;
          const std::uint64_t left = left_.fetch_sub(chunk.size(), std::memory_order_release);
          if (left - chunk.size() <= reserve_.load(std::memory_order_relaxed))
            demand_.notify_one();  // time for the agent to claim more
          return chunk;
        }
        queue_.pop_front();
        if (!queue_.empty())
          chunk_ = std::clamp<std::uint64_t>(queue_.front().size() / (threads_ * 4), 1, 1024);
      }
      if (closed_.load(std::memory_order_acquire)) return {};
    }
    if (stop_requested()) return {};
    // Found empty: the agent claims further ahead next time; blocks are claimed now unless
    // the agent is in MPI.
    dry_.fetch_add(1, std::memory_order_relaxed);
    if (claim_now_) claim_now_();
    if (left_.load(std::memory_order_acquire) == 0 && !closed()) {
      timespec nap{0, 20'000};  // the agent claims more
      nanosleep(&nap, nullptr);
    }
  }
}

}  // namespace gorgon
