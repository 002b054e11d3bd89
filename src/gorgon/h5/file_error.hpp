#pragma once
// The typed error of the HDF5 file boundary: a file that is missing, is not HDF5, is damaged
// or truncated, is another format, or was written by a newer gorgon_mpi.
#include <stdexcept>
#include <string>

namespace gorgon {

/// A file gorgon cannot read or write. The message names the file and says what is wrong in
/// one sentence; HDF5's own error stack is never printed.
class FileError : public std::runtime_error {
 public:
  explicit FileError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace gorgon
