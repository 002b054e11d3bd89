#pragma once
// A rank's agent: the background thread that carries one phase of a run (the warm-up or the
// measurement) across the ranks while the rank's threads make their calls. It takes part in
// the progress rounds (counts, stops, the deadline; rounds.hpp), claims the blocks of a shared
// schedule (partition.hpp, shared_counter.hpp), and lets MPI progress for the other ranks'
// claims. While a phase runs it is the only thread of its rank that talks to MPI
// (MPI_THREAD_SERIALIZED): no calling thread waits for a round or a claim, and a call in
// flight delays no other rank.
#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gorgon/run/partition.hpp"
#include "gorgon/run/rounds.hpp"
#include "gorgon/run/shared_counter.hpp"

namespace gorgon {

struct RunControl;

class RankAgent {
 public:
  RankAgent(MPI_Comm comm, int rank, const RunControl& control, bool warmup,
            std::vector<ThreadProgress>& progress, const std::atomic<int>& finished_threads);
  ~RankAgent();
  RankAgent(const RankAgent&) = delete;
  RankAgent& operator=(const RankAgent&) = delete;

  /// Creates the rounds (collective set-up; may throw).
  void prepare();
  /// Every rank leaves the rounds (one failed to prepare).
  void cancel() noexcept { rounds_.reset(); }
  [[nodiscard]] bool active() const noexcept { return rounds_ != nullptr; }
  /// The shared schedule this agent claims blocks of (before start; none: static).
  void feed(SharedBlocks& blocks, SharedCounter& counter, const BlockPlan& plan) noexcept {
    blocks_ = &blocks;
    counter_ = &counter;
    plan_ = &plan;
  }
  /// The phase starts now with `team` calling threads: the agent's thread starts.
  void start(std::uint64_t now, int team);
  /// After the caller's own calls: waits until every rank is done with the phase, then
  /// rethrows what went wrong on the agent's thread.
  void join();
  [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }
  [[nodiscard]] const std::string& stop_reason() const noexcept { return stop_reason_; }

 private:
  void loop();
  void claim_blocks();
  /// A calling thread found the queue empty: it claims blocks itself when no other thread
  /// of the rank is in MPI (the calls stay serialised by mpi_), else leaves it to the agent.
  void claim_for_thread() noexcept;
  void update_reserve(std::uint64_t now);
  [[nodiscard]] std::uint64_t blocks_per_claim() const noexcept;
  [[nodiscard]] std::uint64_t calls_in_phase() const noexcept;
  void claim_or_close() noexcept;
  void take_round();

  MPI_Comm comm_;
  int rank_;
  const RunControl& control_;
  bool warmup_;
  std::vector<ThreadProgress*> threads_;
  const std::atomic<int>& finished_;
  int team_ = 0;
  std::uint64_t started_ = 0, calls_at_start_ = 0;
  bool alive_ = false;  ///< under mpi_: the agent's thread runs (threads may claim through it)
  bool display_failed_ = false;
  std::unique_ptr<ProgressRounds> rounds_;
  SharedBlocks* blocks_ = nullptr;
  SharedCounter* counter_ = nullptr;
  const BlockPlan* plan_ = nullptr;
  std::vector<std::pair<std::uint64_t, std::string>> names_;  // rank 0's labels by hash
  // The claim in flight: when it started, and the rank's calls and dry spells then.
  std::uint64_t claim_started_ = 0, calls_at_claim_ = 0, dry_at_claim_ = 0;
  std::uint64_t block_size_ = 0;  ///< the last claimed block's numbers
  ClaimPacing pacing_;            ///< the reserve, from the claims answered
  std::mutex mpi_;  ///< held by whichever thread of the rank is in MPI while the phase runs
  std::thread thread_;
  std::exception_ptr error_, claim_error_;
  bool interrupted_ = false;
  std::string stop_reason_;
};

}  // namespace gorgon
