#pragma once
// Typed errors at configuration boundaries. Anything a user typed wrong is a ConfigError:
// the command line reports it once, from rank 0, and exits with status 2.
#include <stdexcept>
#include <string>

namespace gorgon {

/// Bad options, parameters, suite files or operation names.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& what) : std::runtime_error(what) {}
};

/// An MPI call that failed; the message carries MPI_Error_string's text.
class MpiError : public std::runtime_error {
 public:
  MpiError(const char* call, int code);
};

/// Throws MpiError when `code` is not MPI_SUCCESS.
void check_mpi(int code, const char* call);

}  // namespace gorgon
