#include "gorgon/base/error.hpp"

#include <mpi.h>

#include <string>

namespace gorgon {
namespace {
std::string mpi_message(const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return std::string(call) + " failed";
  return std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length));
}
}  // namespace

MpiError::MpiError(const char* call, int code) : std::runtime_error(mpi_message(call, code)) {}

void check_mpi(int code, const char* call) {
  if (code != MPI_SUCCESS) throw MpiError(call, code);
}

}  // namespace gorgon
