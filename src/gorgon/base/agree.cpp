#include "gorgon/base/agree.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>

namespace gorgon {

bool any_rank(MPI_Comm comm, bool failed) {
  int local = failed ? 1 : 0, global = 0;
  check_mpi(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  return global != 0;
}

SharedError agree_on_error(MPI_Comm comm, const SharedError& local) {
  boost::mpi::communicator world(comm, boost::mpi::comm_attach);
  const int mine = local.failed ? world.rank() : world.size();
  int first = world.size();
  boost::mpi::all_reduce(world, mine, first, boost::mpi::minimum<int>());
  if (first == world.size()) return {};
  SharedError agreed = local;
  int config = local.config ? 1 : 0;
  boost::mpi::broadcast(world, agreed.message, first);
  boost::mpi::broadcast(world, config, first);
  agreed.failed = true;
  agreed.config = config != 0;
  return agreed;
}

}  // namespace gorgon
