#include "gorgon/run/rounds.hpp"

#include <algorithm>
#include <utility>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {

constexpr std::size_t S = ThreadProgress::kSlots;
constexpr std::size_t kSums = 5 + S;  // calls, errors, late, stop, finished ranks, slot calls
constexpr std::size_t kLength = kSums + 2 * S;

/// The reduction of a progress round: sums, then per-slot minimum and maximum label hashes.
extern "C" void reduce_progress(void* in, void* inout, int* len, MPI_Datatype*) {
  auto* a = static_cast<const std::uint64_t*>(in);
  auto* b = static_cast<std::uint64_t*>(inout);
  if (*len != static_cast<int>(kLength)) return;
  for (std::size_t i = 0; i < kSums; ++i) b[i] = i == 3 ? std::max(a[i], b[i]) : b[i] + a[i];
  for (std::size_t i = kSums; i < kSums + S; ++i) b[i] = std::min(a[i], b[i]);
  for (std::size_t i = kSums + S; i < kLength; ++i) b[i] = std::max(a[i], b[i]);
}

}  // namespace

int agree_stop(MPI_Comm comm) {
  int code = stop_code();
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  if (code != 0 && !stop_requested()) request_stop(stop_code_name(code));
  return code;
}

std::uint64_t label_hash(std::string_view label) noexcept {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: the same on every rank and build
  for (unsigned char c : label) h = (h ^ c) * 1099511628211ull;
  return h == 0 || h == ~std::uint64_t{0} ? 1 : h;
}

std::size_t progress_slot(std::string_view label) noexcept { return label_hash(label) % S; }

std::size_t ThreadProgress::add_label(std::string_view label) {
  const std::uint64_t h = label_hash(label);
  const std::size_t slot = h % S;
  if (h < slot_hash_min[slot].load(std::memory_order_relaxed))
    slot_hash_min[slot].store(h, std::memory_order_relaxed);
  if (h > slot_hash_max[slot].load(std::memory_order_relaxed))
    slot_hash_max[slot].store(h, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  new_labels_.emplace_back(label);
  return slot;
}

std::vector<std::string> ThreadProgress::take_new_labels() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(new_labels_, {});
}

ProgressRounds::ProgressRounds(MPI_Comm comm, std::uint64_t interval_ns, std::uint64_t start_ns)
    : comm_(comm),
      interval_ns_(interval_ns),
      start_ns_(start_ns),
      next_ns_(start_ns + interval_ns),
      send_(kLength),
      recv_(kLength) {
  check_mpi(MPI_Op_create(reduce_progress, 1, &op_), "MPI_Op_create");
}

ProgressRounds::~ProgressRounds() {
  if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  if (op_ != MPI_OP_NULL) MPI_Op_free(&op_);
}

void ProgressRounds::start(std::uint64_t now, const std::vector<ThreadProgress*>& threads,
                           bool done) {
  std::fill(send_.begin(), send_.begin() + kSums, 0);
  std::fill(send_.begin() + kSums, send_.begin() + kSums + S, ~std::uint64_t{0});
  std::fill(send_.begin() + kSums + S, send_.end(), 0);
  for (const ThreadProgress* t : threads) {
    send_[0] += t->calls.load(std::memory_order_relaxed);
    send_[1] += t->errors.load(std::memory_order_relaxed);
    send_[2] += t->late.load(std::memory_order_relaxed);
    for (std::size_t s = 0; s < S; ++s) {
      send_[5 + s] += t->slot_calls[s].load(std::memory_order_relaxed);
      send_[kSums + s] =
          std::min(send_[kSums + s], t->slot_hash_min[s].load(std::memory_order_relaxed));
      send_[kSums + S + s] =
          std::max(send_[kSums + S + s], t->slot_hash_max[s].load(std::memory_order_relaxed));
    }
  }
  send_[3] = stop_requested() ? stop_code() : 0;
  send_[4] = done ? 1 : 0;
  sent_at_ = now;
  check_mpi(MPI_Iallreduce(send_.data(), recv_.data(), static_cast<int>(kLength), MPI_UINT64_T, op_,
                           comm_, &request_),
            "MPI_Iallreduce");
}

bool ProgressRounds::poll(std::uint64_t now, const std::vector<ThreadProgress*>& threads, bool done,
                          bool now_due) {
  if (request_ == MPI_REQUEST_NULL) {
    if (now >= next_ns_ || now_due) start(now, threads, done);
    return false;
  }
  int complete = 0;
  check_mpi(MPI_Test(&request_, &complete, MPI_STATUS_IGNORE), "MPI_Test");
  if (!complete) return false;
  int ranks = 1;
  MPI_Comm_size(comm_, &ranks);
  last_.calls = recv_[0];
  last_.errors = recv_[1];
  last_.late = recv_[2];
  last_.stop = recv_[3] > 0;
  last_.stop_code = static_cast<int>(recv_[3]);
  last_.finished = recv_[4] == static_cast<std::uint64_t>(ranks);
  last_.elapsed_ns = sent_at_ - start_ns_;
  for (std::size_t s = 0; s < S; ++s) {
    last_.slot_calls[s] = recv_[5 + s];
    last_.slot_hash_min[s] = recv_[kSums + s];
    last_.slot_hash_max[s] = recv_[kSums + S + s];
  }
  next_ns_ = std::max(next_ns_ + interval_ns_, now);
  return true;
}

}  // namespace gorgon
