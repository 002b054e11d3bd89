// gorgon_mpi with the HDF5 tests' operations registered (h5_test_ops.hpp).
#include <mpi.h>

#include <iostream>

#include "gorgon/cli/cli.hpp"
#include "h5_test_ops.hpp"

GORGON_OPERATION("h5_subcalls", gorgon::test::h5_subcalls);
GORGON_OPERATION("h5_hostile", gorgon::test::h5_hostile);
GORGON_OPERATION("h5_many", gorgon::test::h5_many);

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int status = 1;
  try {
    status = gorgon::run_cli(argc, argv, MPI_COMM_WORLD, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "h5_cli_driver: fatal: " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::cout.flush();
  MPI_Finalize();
  return status;
}
