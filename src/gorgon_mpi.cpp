// gorgon_mpi: the command-line program. All the work is in gorgon::run_cli.
#include <mpi.h>

#include <exception>
#include <iostream>

#include "gorgon/cli/cli.hpp"
#include "gorgon/run/stop.hpp"

int main(int argc, char** argv) {
  // SIGINT, SIGTERM, SIGUSR1 (Slurm's --signal): stop taking calls, report what completed.
  // Installed first, so a signal during MPI_Init_thread (slow on a large job) or the checks
  // before the first run stops the run at its start instead of killing the rank; and again
  // after MPI_Init_thread, in case the MPI library set handlers of its own.
  gorgon::install_stop_handlers();
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
    std::cerr << "gorgon_mpi: error: MPI_Init_thread failed\n";
    return 1;
  }
  gorgon::install_stop_handlers();
  int status = 1;
  try {
    status = gorgon::run_cli(argc, argv, MPI_COMM_WORLD, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Something escaped the collective error handling: end every rank rather than hang.
    std::cerr << "gorgon_mpi: fatal: " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::cout.flush();
  MPI_Finalize();
  return status;
}
