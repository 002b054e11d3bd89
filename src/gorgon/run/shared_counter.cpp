#include "gorgon/run/shared_counter.hpp"

#include <stdexcept>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {
std::string mpi_words(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}
}  // namespace

SharedCounter::SharedCounter(MPI_Comm comm) : comm_(comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // The window's errors come back as codes (the communicator's handler may be fatal).
  MPI_Errhandler previous;
  MPI_Comm_get_errhandler(comm, &previous);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  const int code = MPI_Win_allocate(rank == 0 ? sizeof(std::uint64_t) : 0, sizeof(std::uint64_t),
                                    MPI_INFO_NULL, comm, &value_, &win_);
  MPI_Comm_set_errhandler(comm, previous);
  MPI_Errhandler_free(&previous);
  // Every rank learns whether every rank has its window before any goes on to the barrier
  // below, so a rank that failed alone leaves none waiting in it.
  int made = code == MPI_SUCCESS ? 1 : 0;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &made, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (!made) {
    // A window some ranks made is left to MPI_Finalize: freeing it is collective over ranks
    // that have none.
    win_ = MPI_WIN_NULL;
    throw std::runtime_error(code == MPI_SUCCESS ? "MPI could not make a one-sided window on "
                                                   "another rank"
                                                 : "MPI could not make a one-sided window (" +
                                                       mpi_words(code) + ")");
  }
  MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN);
  if (rank == 0) *value_ = 0;
  // Rank 0's value is set before any rank reads it.
  check_mpi(MPI_Barrier(comm), "MPI_Barrier");
  check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, win_), "MPI_Win_lock_all");
}

SharedCounter::~SharedCounter() {
  if (win_ == MPI_WIN_NULL) return;
  if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  MPI_Win_unlock_all(win_);
  MPI_Win_free(&win_);
}

void SharedCounter::start_fetch_add(std::uint64_t n) {
  add_ = n;
  check_mpi(MPI_Rget_accumulate(&add_, 1, MPI_UINT64_T, &old_, 1, MPI_UINT64_T, 0, 0, 1,
                                MPI_UINT64_T, MPI_SUM, win_, &request_),
            "MPI_Rget_accumulate");
}

bool SharedCounter::test_fetch_add(std::uint64_t& old) {
  int done = 0;
  check_mpi(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test");
  if (done) old = old_;
  return done != 0;
}

void SharedCounter::progress() noexcept {
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, MPI_STATUS_IGNORE);
}

std::string shared_counter_hint() {
  return "--schedule dynamic and guided need MPI one-sided atomics between the ranks; Open MPI "
         "between nodes over TCP needs its osc pt2pt component (Debian's "
         "/etc/openmpi/openmpi-mca-params.conf leaves it out: mpirun --mca osc sm,pt2pt,rdma), "
         "or use --schedule static";
}

}  // namespace gorgon
