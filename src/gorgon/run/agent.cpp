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

void RankAgent::prepare() { rounds_ = std::make_unique<ProgressRounds>(comm_, control_.round_ns, 0); }

void RankAgent::start(std::uint64_t now, int team) {
  if (!rounds_) return;
  team_ = team;
  rounds_->restart(now);
  if (blocks_ != nullptr) blocks_->set_claimer([this] { claim_for_thread(); });
  thread_ = std::thread([this] { loop(); });
}

void RankAgent::join() {
  if (thread_.joinable()) thread_.join();
  if (blocks_ != nullptr) blocks_->set_claimer(nullptr);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (claim_error_) std::rethrow_exception(std::exchange(claim_error_, nullptr));
}

void RankAgent::loop() {
  try {
    while (true) {
      {
        std::lock_guard<std::mutex> in_mpi(mpi_);
        if (blocks_ != nullptr) claim_blocks();
        const std::uint64_t now = now_ns();
        if (control_.deadline_ns && now >= control_.deadline_ns) request_stop("time limit");
        const bool done = finished_.load() == team_;
        if (rounds_->poll(now, threads_, done, done)) {
          take_round();
          if (rounds_->last().finished) return;
        }
        // On rank 0, other ranks' claims may need this rank in MPI.
        if (counter_ != nullptr) counter_->progress();
      }
      // A shared schedule: a block is claimed as soon as the threads start on the last.
      if (blocks_ != nullptr) {
        blocks_->wait_for_demand(std::chrono::microseconds(200));
      } else {
        nap(1'000'000);
      }
    }
  } catch (...) {
    error_ = std::current_exception();
    if (blocks_ != nullptr) blocks_->close();  // no thread waits for a block that cannot come
  }
}

/// Claims blocks while the threads have started on every queued one: the rank holds at most
/// the rest of one block and one block more.
void RankAgent::claim_blocks() {
  while (blocks_->wants_more()) {
    const std::uint64_t k = counter_->fetch_add(1);
    if (k >= plan_->blocks()) blocks_->close();
    else blocks_->push(plan_->block(k));
  }
}

void RankAgent::claim_for_thread() noexcept {
  std::unique_lock<std::mutex> in_mpi(mpi_, std::try_to_lock);
  if (!in_mpi.owns_lock()) return;
  try {
    claim_blocks();
  } catch (...) {
    claim_error_ = std::current_exception();  // under mpi_; join() rethrows it
    blocks_->close();
  }
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
  if (rank_ == 0 && control_.on_progress) {
    for (auto* p : threads_)
      for (auto& l : p->take_new_labels()) names_.emplace_back(label_hash(l), std::move(l));
    control_.on_progress(snap, names_);
  }
}

}  // namespace gorgon
