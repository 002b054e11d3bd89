# Sourced by the other scripts: common settings for building and running under MPI.
# OpenMPI refuses to run as root unless told twice; set that only when we are root.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Small machines: let mpirun start more ranks than cores.
export OMPI_MCA_rmaps_base_oversubscribe=1
GORGON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GORGON_JOBS="${GORGON_JOBS:-$(nproc)}"
export GORGON_ROOT GORGON_JOBS
