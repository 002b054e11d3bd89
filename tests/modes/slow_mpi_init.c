/* Preloaded into the ranks by modes_test.py: MPI_Init_thread takes GORGON_TEST_INIT_DELAY_MS
 * longer, as it does on a large cluster, so a test can send a signal while a rank is inside it
 * (through the MPI profiling interface: the real one is PMPI_Init_thread). */
#include <mpi.h>
#include <stdlib.h>
#include <time.h>

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  const char* ms = getenv("GORGON_TEST_INIT_DELAY_MS");
  const long delay = ms ? atol(ms) : 0;
  struct timespec t = {delay / 1000, (delay % 1000) * 1000000L};
  nanosleep(&t, NULL);
  return PMPI_Init_thread(argc, argv, required, provided);
}
