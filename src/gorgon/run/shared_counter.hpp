#pragma once
// One counter for every rank of a run, kept in an MPI-3 window on rank 0 and advanced with
// MPI-3 atomics (MPI_Rget_accumulate, the request-based MPI_Fetch_and_op) under a
// passive-target lock: a rank claims the next block of the shared schedules (partition.hpp)
// without rank 0's threads taking part. Only a rank's agent (or a thread under the agent's
// lock) calls it (run/agent.hpp).
#include <mpi.h>

#include <cstdint>
#include <string>

namespace gorgon {

class SharedCounter {
 public:
  /// Collective over `comm`: the window, the counter at 0 and every rank's lock. Throws
  /// std::runtime_error with MPI's words when the MPI library cannot make the window (Open MPI
  /// between nodes over TCP without its osc pt2pt component, for one).
  explicit SharedCounter(MPI_Comm comm);
  /// Collective: the lock released and the window freed.
  ~SharedCounter();
  SharedCounter(const SharedCounter&) = delete;
  SharedCounter& operator=(const SharedCounter&) = delete;

  /// Starts adding `n` to the counter (atomic across the ranks; one addition at a time) ...
  void start_fetch_add(std::uint64_t n);
  [[nodiscard]] bool in_flight() const noexcept { return request_ != MPI_REQUEST_NULL; }
  /// The `n` of the last addition started (the one in flight, if any).
  [[nodiscard]] std::uint64_t adding() const noexcept { return add_; }
  /// ... and tests it: true once done, with the value the counter had in `old`. Waiting
  /// this way costs no CPU between tests (a flush would spin in MPI's progress loop, taking
  /// the core from the calling threads on a node held to a CPU share).
  bool test_fetch_add(std::uint64_t& old);
  /// Lets MPI make progress on this rank (on rank 0, other ranks' updates wait for it when
  /// the network cannot do atomics by itself).
  void progress() noexcept;

 private:
  MPI_Comm comm_;
  MPI_Win win_ = MPI_WIN_NULL;
  std::uint64_t* value_ = nullptr;
  MPI_Request request_ = MPI_REQUEST_NULL;
  std::uint64_t add_ = 0, old_ = 0;
};

/// The words to add to a failed window's error: what to try.
std::string shared_counter_hint();

}  // namespace gorgon
