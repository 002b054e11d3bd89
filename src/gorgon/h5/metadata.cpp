#include "gorgon/h5/metadata.hpp"

#include <omp.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>

#include "gorgon/base/build_info.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/h5/format.hpp"
#include "gorgon/h5/io.hpp"

#ifndef GORGON_VERSION
#define GORGON_VERSION "unknown"
#endif

namespace gorgon::h5::detail {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string own_command_line() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw)
    if (c == '\0') c = ' ';
  return raw;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

RootMetadata gather_metadata(MPI_Comm world, const std::string& command_line) {
  boost::mpi::communicator comm(world, boost::mpi::comm_attach);
  RootMetadata m;
  if (comm.rank() == 0) {
    m.tool_version = GORGON_VERSION;
    m.git_revision = ::gorgon::detail::git_revision();
    m.command_line = command_line.empty() ? own_command_line() : command_line;
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(lib, &len);
    m.mpi_library = trimmed(std::string(lib, static_cast<std::size_t>(len)));
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    m.hdf5_library = std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
    m.start_utc = ::gorgon::utc_now();
    m.omp_max_threads = omp_get_max_threads();
    // The binding in effect (OMP_PROC_BIND, or the runtime's default when it is unset).
    switch (omp_get_proc_bind()) {
      case omp_proc_bind_false: m.omp_proc_bind = "false"; break;
      case omp_proc_bind_true: m.omp_proc_bind = "true"; break;
      case omp_proc_bind_master: m.omp_proc_bind = "master"; break;
      case omp_proc_bind_close: m.omp_proc_bind = "close"; break;
      case omp_proc_bind_spread: m.omp_proc_bind = "spread"; break;
      default: m.omp_proc_bind = "unknown"; break;
    }
    m.omp_places = env("OMP_PLACES");
    if (m.omp_places.empty() && omp_get_num_places() > 0)
      m.omp_places = std::to_string(omp_get_num_places()) + " places (runtime default)";
    m.slurm_job_id = env("SLURM_JOB_ID");
    m.slurm_job_nodelist = env("SLURM_JOB_NODELIST");
  }
  std::vector<std::string> text = {
      m.tool_version, m.git_revision,  m.command_line, m.mpi_library,  m.hdf5_library,
      m.start_utc,    m.omp_proc_bind, m.omp_places,   m.slurm_job_id, m.slurm_job_nodelist};
  boost::mpi::broadcast(comm, text, 0);
  boost::mpi::broadcast(comm, m.omp_max_threads, 0);
  m.tool_version = text[0];
  m.git_revision = text[1];
  m.command_line = text[2];
  m.mpi_library = text[3];
  m.hdf5_library = text[4];
  m.start_utc = text[5];
  m.omp_proc_bind = text[6];
  m.omp_places = text[7];
  m.slurm_job_id = text[8];
  m.slurm_job_nodelist = text[9];

  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  boost::mpi::all_gather(comm, std::string(name, static_cast<std::size_t>(len)), m.hosts);
  m.world_size = comm.size();
  return m;
}

void write_root_attributes(hid_t file, const RootMetadata& m) {
  namespace f = format;
  write_attr(file, f::kAttrFormat, std::string(f::kFormatName));
  write_attr(file, f::kAttrFormatVersion, std::int32_t{f::kFormatVersion});
  write_attr(file, f::kAttrToolVersion, m.tool_version);
  write_attr(file, f::kAttrGitRevision, m.git_revision);
  write_attr(file, f::kAttrCommandLine, m.command_line);
  write_attr(file, f::kAttrMpiLibrary, m.mpi_library);
  write_attr(file, f::kAttrHdf5Library, m.hdf5_library);
  write_attr(file, f::kAttrWorldSize, std::int32_t{m.world_size});
  write_attr(file, f::kAttrHosts, m.hosts);
  write_attr(file, f::kAttrOmpMaxThreads, std::int32_t{m.omp_max_threads});
  write_attr(file, f::kAttrOmpProcBind, m.omp_proc_bind);
  write_attr(file, f::kAttrOmpPlaces, m.omp_places);
  if (!m.slurm_job_id.empty()) write_attr(file, f::kAttrSlurmJobId, m.slurm_job_id);
  if (!m.slurm_job_nodelist.empty()) write_attr(file, f::kAttrSlurmNodeList, m.slurm_job_nodelist);
  write_attr(file, f::kAttrStartUtc, m.start_utc);
}

}  // namespace gorgon::h5::detail
