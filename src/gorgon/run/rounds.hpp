#pragma once
// Watching a run from every rank: the periodic cross-rank progress rounds that carry both the
// counts for the progress display and a stop request to every rank of the run.
#include <mpi.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gorgon/run/stop.hpp"

namespace gorgon {

/// Progress counters of one thread: written by that thread only, read by its rank's master
/// thread at progress rounds (relaxed atomics: plain loads and stores on x86).
struct ThreadProgress {
  static constexpr std::size_t kSlots = 16;  ///< labels are counted in hashed slots
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> errors{0};  ///< calls that threw
  std::atomic<std::uint64_t> late{0};    ///< rate mode: calls that started a slot late
  std::array<std::atomic<std::uint64_t>, kSlots> slot_calls{};
  /// Smallest and largest hash of the labels counted in each slot (UINT64_MAX / 0: none).
  std::array<std::atomic<std::uint64_t>, kSlots> slot_hash_min{}, slot_hash_max{};
  std::atomic<bool> finished{false};

  ThreadProgress() {
    for (auto& h : slot_hash_min) h.store(~std::uint64_t{0}, std::memory_order_relaxed);
  }
  static void bump(std::atomic<std::uint64_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  /// Called by the owning thread the first time it sees a label; returns the label's slot.
  std::size_t add_label(std::string_view label);
  /// Label texts first seen since the last call (for rank 0's display), taken by the master.
  std::vector<std::string> take_new_labels();

 private:
  std::mutex mutex_;  // guards new_labels_ only: taken once per new label, never per call
  std::vector<std::string> new_labels_;
};

/// The slot a label is counted in by the progress rounds (a hash of its text).
std::size_t progress_slot(std::string_view label) noexcept;
/// A 64-bit hash of a label, equal on every rank.
std::uint64_t label_hash(std::string_view label) noexcept;

/// What one progress round found, summed over the ranks of the run.
struct ProgressSnapshot {
  std::uint64_t calls = 0, errors = 0, late = 0;
  std::uint64_t elapsed_ns = 0;
  bool stop = false;      ///< some rank asked to stop
  int stop_code = 0;      ///< the largest stop_code() of the ranks that asked
  bool finished = false;  ///< every rank is done
  bool warmup = false;    ///< a round of the warm-up (set by the runner, not sent)
  /// Per slot: calls, and the smallest and largest label hash counted there (equal when
  /// exactly one label uses the slot).
  std::array<std::uint64_t, ThreadProgress::kSlots> slot_calls{}, slot_hash_min{}, slot_hash_max{};
};

/// Between runs (collective over `comm`): the largest stop_code() of the ranks, so every rank
/// stops with the same cause; a rank that had no stop of its own takes that one. 0: none.
int agree_stop(MPI_Comm comm);

/// A rank's side of the rounds: one MPI_Iallreduce in flight at a time, a new one
/// started every `interval_ns`. Only the rank's agent thread calls it while a phase runs.
class ProgressRounds {
 public:
  ProgressRounds(MPI_Comm comm, std::uint64_t interval_ns, std::uint64_t start_ns);
  ~ProgressRounds();
  /// Takes `start_ns` as the run's start: the first round is due one interval after it.
  void restart(std::uint64_t start_ns) noexcept {
    start_ns_ = start_ns;
    next_ns_ = start_ns + interval_ns_;
  }
  ProgressRounds(const ProgressRounds&) = delete;
  ProgressRounds& operator=(const ProgressRounds&) = delete;

  /// Polls the round in flight; starts the next one when due (or at once with `now_due`).
  /// Returns true when a round completed on this poll (then `last()` is fresh). `threads`
  /// are this rank's counters; `done` says whether every local thread has finished.
  bool poll(std::uint64_t now, const std::vector<ThreadProgress*>& threads, bool done,
            bool now_due = false);
  [[nodiscard]] const ProgressSnapshot& last() const noexcept { return last_; }

 private:
  void start(std::uint64_t now, const std::vector<ThreadProgress*>& threads, bool done);
  MPI_Comm comm_;
  MPI_Op op_ = MPI_OP_NULL;
  MPI_Request request_ = MPI_REQUEST_NULL;
  std::uint64_t interval_ns_, start_ns_, next_ns_ = 0, sent_at_ = 0;
  std::vector<std::uint64_t> send_, recv_;
  ProgressSnapshot last_;
};

}  // namespace gorgon
