#include "gorgon/run/agent.hpp"

#include <algorithm>
#include <ctime>

#include "gorgon/base/clock.hpp"
#include "gorgon/run/runner.hpp"

namespace gorgon {
namespace {
void nap(long ns) {
  timespec t{0, ns};
  nanosleep(&t, nullptr);
}
}  // namespace

RankAgent::RankAgent(MPI_Comm comm, int rank, const RunControl& control, bool warmup,
                     std::vector<ThreadProgress>& progress,
                     const std::atomic<int>& finished_threads)
    : comm_(comm), rank_(rank), control_(control), warmup_(warmup), finished_(finished_threads) {
  for (auto& p : progress) threads_.push_back(&p);
}

RankAgent::~RankAgent() {
  if (thread_.joinable()) thread_.join();
}

void RankAgent::prepare() {
  rounds_ = std::make_unique<ProgressRounds>(comm_, control_.round_ns, 0);
}

void RankAgent::start(std::uint64_t now, int team) {
  if (!rounds_) return;
  team_ = team;
  started_ = now;
  calls_at_start_ = 0;  // the wear-out's threads count on from the measurement's calls
  for (const auto* p : threads_) calls_at_start_ += p->calls.load(std::memory_order_relaxed);
  if (counter_ != nullptr && counter_->in_flight()) {  // left by the phase before
    claim_started_ = now;
    calls_at_claim_ = 0;
    dry_at_claim_ = blocks_->dry_spells();
  }
  rounds_->restart(now);
  alive_ = true;
  if (blocks_ != nullptr) blocks_->set_claimer([this] { claim_for_thread(); });
  thread_ = std::thread([this] { loop(); });
}

void RankAgent::join() {
  if (thread_.joinable()) thread_.join();
  // The claimer stays set (no thread calls it once the phase is over; the next phase's agent
  // replaces it between OpenMP barriers): resetting it here could race a thread still in
  // SharedBlocks::next after the agent failed.
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (claim_error_) std::rethrow_exception(std::exchange(claim_error_, nullptr));
}

void RankAgent::loop() {
  try {
    while (true) {
      bool claiming = false, round = false, finished = false;
      {
        std::lock_guard<std::mutex> in_mpi(mpi_);
        if (blocks_ != nullptr && !claim_error_) claim_or_close();
        const std::uint64_t now = now_ns();
        if (control_.deadline_ns && now >= control_.deadline_ns) request_stop("time limit");
        const bool done = finished_.load() == team_;
        round = rounds_->poll(now, threads_, done, done);
        finished = round && rounds_->last().finished;
        if (finished) alive_ = false;  // under mpi_: no thread claims through this agent now
        // On rank 0, other ranks' claims may need this rank in MPI.
        if (counter_ != nullptr) counter_->progress();
        claiming = counter_ != nullptr && counter_->in_flight();
      }
      if (round) take_round();  // outside mpi_: rank 0's display never delays a claim
      if (finished) return;
      // A shared schedule: a claim in flight is tested again soon; else the agent waits for
      // the queue to fall to its reserve, and on rank 0 lets MPI progress for the others'
      // claims at least every 2 ms. Each MPI call costs CPU (over TCP, a poll of every
      // socket), taken from the calling threads on a node held to a CPU share: rank 0
      // serving every 200 us and claims tested every 200 us cost the nodes 4% of their calls
      // (bench/schedules.py stragglers), and a claim answered later is covered by the reserve.
      if (claiming) {
        nap(1'000'000);
      } else if (blocks_ != nullptr) {
        blocks_->wait_for_demand(std::chrono::milliseconds(2));
      } else {
        nap(2'000'000);
      }
    }
  } catch (...) {  // the rounds themselves failed: MPI is broken for this rank
    std::lock_guard<std::mutex> in_mpi(mpi_);
    alive_ = false;
    error_ = std::current_exception();
    if (blocks_ != nullptr) blocks_->close();  // no thread waits for a block that cannot come
  }
}

/// A failed claim ends the rank's share of the numbers, not its part in the rounds: the
/// queue closes, the threads finish, every rank leaves the phase together, and join()
/// reports the error (agreed by every rank after the phase).
void RankAgent::claim_or_close() noexcept {
  try {
    claim_blocks();
  } catch (...) {
    claim_error_ = std::current_exception();
    blocks_->close();
  }
}

/// Claims blocks whenever the numbers left in the queue fall to the reserve: the rank holds
/// what it calls during a claim, and a claim's worth more at most.
void RankAgent::claim_blocks() {
  // One claim in flight at a time, tested rather than waited for; at most 64 answered in a
  // row (claims on one node are answered at once), so the rounds are not held up.
  for (int i = 0; i < 64; ++i) {
    if (!counter_->in_flight()) {
      // None after a stop (or the stonewall: the phase's threads are done).
      if (!blocks_->wants_more() || stop_requested() || finished_.load() == team_) return;
      claim_started_ = now_ns();
      calls_at_claim_ = calls_in_phase();
      dry_at_claim_ = blocks_->dry_spells();
      counter_->start_fetch_add(blocks_per_claim());
    }
    std::uint64_t k = 0;
    if (!counter_->test_fetch_add(k)) return;
    update_reserve(now_ns());
    const std::uint64_t end = k + counter_->adding();  // blocks [k, end) are this rank's
    for (std::uint64_t b = k; b < std::min(end, plan_->blocks()); ++b) {
      const NumberRange block = plan_->block(b);
      block_size_ = block.size();
      blocks_->push(block);
    }
    if (end >= plan_->blocks()) blocks_->close();  // the counter has passed the end
  }
}

/// Enough blocks to cover the reserve, so a rank whose claims take longer than its threads
/// need to use up a block (the counter's node held to a CPU share) is not held to one block
/// a claim's latency. Before the phase's first block the plan's first (for guided, its
/// largest) stands for the size: the wear-out's agent starts with the measurement's reserve.
std::uint64_t RankAgent::blocks_per_claim() const noexcept {
  std::uint64_t size = block_size_;
  if (size == 0 && plan_->blocks() != 0) size = plan_->block(0).size();
  return ClaimPacing::blocks_for(blocks_->reserve(), size);
}

/// The rank's calls in this phase so far.
std::uint64_t RankAgent::calls_in_phase() const noexcept {
  std::uint64_t calls = 0;
  for (const auto* p : threads_) calls += p->calls.load(std::memory_order_relaxed);
  return calls - std::min(calls, calls_at_start_);
}

/// The reserve (ClaimPacing) from the claim just answered.
void RankAgent::update_reserve(std::uint64_t now) {
  const std::uint64_t calls = calls_in_phase();
  const double per_ns =
      now > started_ ? static_cast<double>(calls) / static_cast<double>(now - started_) : 0;
  const std::uint64_t during = calls - std::min(calls, calls_at_claim_);
  const bool ran_dry = blocks_->dry_spells() != dry_at_claim_;
  blocks_->set_reserve(
      pacing_.answered(now - claim_started_, during, ran_dry, per_ns, threads_.size()));
}

void RankAgent::claim_for_thread() noexcept {
  std::unique_lock<std::mutex> in_mpi(mpi_, std::try_to_lock);
  if (!in_mpi.owns_lock() || !alive_ || claim_error_) return;
  claim_or_close();
}

/// A round completed: a stop it carried is taken up here; rank 0 shows the progress.
void RankAgent::take_round() {
  ProgressSnapshot snap = rounds_->last();
  snap.warmup = warmup_;
  if (snap.stop && !stop_requested()) request_stop(stop_code_name(snap.stop_code));
  if (snap.stop && !interrupted_) {
    interrupted_ = true;
    stop_reason_ = stop_code_name(snap.stop_code);  // the same text on every rank
  }
  if (rank_ == 0 && control_.on_progress && !display_failed_) {
    try {
      for (auto* p : threads_)
        for (auto& l : p->take_new_labels()) names_.emplace_back(label_hash(l), std::move(l));
      control_.on_progress(snap, names_);
    } catch (...) {
      display_failed_ = true;  // the run goes on without its display (a closed stderr)
    }
  }
}

}  // namespace gorgon
