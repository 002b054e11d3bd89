#pragma once
// The gorgon_mpi command line as a function, so tests can run it in-process on any
// communicator (the way hpc/ior's run(argv, comm) works).
#include <mpi.h>

#include <iosfwd>

namespace gorgon {

/// Exit statuses of gorgon_mpi.
enum ExitStatus : int {
  kExitOk = 0,
  kExitRunFailed = 1,    ///< the run itself failed (not an operation's calls: those are counted)
  kExitBadInput = 2,     ///< bad options, parameters, suite file or operation
  kExitThreshold = 3,    ///< a --fail-if limit failed (the report says which)
  kExitInterrupted = 4,  ///< stopped early by a signal or time limit; what completed is reported
};

/// Slurm's time-left text ("UNLIMITED", "45", "12:34", "1:02:03", "2-01:02:03") in ns;
/// 0 when unlimited or unreadable.
std::uint64_t parse_slurm_time_left(const char* text);

/// Parses `argv`, validates it on every rank, runs the suite on `world`, prints the report on
/// rank 0 to `out` and errors (once, from rank 0) to `err`. Collective; returns the same
/// status on every rank.
int run_cli(int argc, const char* const* argv, MPI_Comm world, std::ostream& out,
            std::ostream& err);

}  // namespace gorgon
