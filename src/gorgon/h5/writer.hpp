#pragma once
// Writes a suite's runs to one gorgon-mpi HDF5 file (docs/hdf5-format.md) with parallel HDF5
// over MPI-IO: opened once on the world communicator, one /runs/NNN group per run, each rank
// writing its slice of every raw column collectively. The file is written under a temporary
// name beside the target (base/output_file.hpp) and renamed by close(); anything that fails
// removes the temporary file, so a half-written file never sits under the final name.
//
//     gorgon::h5::Writer out("hash.h5", MPI_COMM_WORLD);   // checks the target first
//     for (const auto& spec : suite) {
//       gorgon::WorldRun run = gorgon::run_on_world(spec, op, MPI_COMM_WORLD);
//       out.write_run(run);
//     }
//     out.close();                                         // rename to hash.h5
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gorgon/reduce/reduce.hpp"

namespace gorgon::h5 {

struct WriterOptions {
  bool overwrite = false;         ///< replace an existing file (gorgon_mpi --force)
  std::string option = "output";  ///< how messages name the file ("-o" in gorgon_mpi)
  bool compress = false;     ///< byte-shuffle + deflate the raw columns (gorgon_mpi --compress)
  std::string command_line;  ///< recorded in the file; "" records /proc/self/cmdline
  std::uint64_t chunk_rows = std::uint64_t{1} << 20;  ///< rows per chunk of the raw columns
  /// Write the raw columns with collective MPI-IO transfers even when uncompressed (always
  /// with `compress`). By default each rank writes its contiguous slices independently:
  /// as fast here, and an I/O error then reaches the rank that met it, so every rank learns
  /// of it (see docs/hdf5-format.md, "How the file is written").
  bool collective_columns = false;
};

class Writer {
 public:
  /// Collective over `world`. Rank 0 checks the target before anything runs: an existing
  /// file without `overwrite`, a missing or unwritable directory, or compression this HDF5
  /// cannot do in parallel throw ConfigError (on every rank). Then creates the temporary
  /// file and writes the root metadata; HDF5 failures throw std::runtime_error on every rank.
  Writer(const std::string& path, MPI_Comm world, WriterOptions options = {});
  /// Aborts (removes the temporary file) unless close() succeeded. Collective.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Writes the next run as /runs/NNN. Collective over `world`: `run` is what run_on_world
  /// returned on this rank (the summary complete on rank 0; no records on ranks not in the
  /// run). Throws on every rank when any rank fails.
  void write_run(const WorldRun& run);
  /// Closes the file and renames it to its final name. Collective.
  void close();
  /// Closes and removes the temporary file without renaming it. Collective; never throws.
  void abort() noexcept;

  /// The temporary file being written (tests).
  [[nodiscard]] const std::string& temp_path() const noexcept;
  /// Where this rank's next run spills its rows (RunControl::spill_path): a file in a
  /// directory beside the temporary file. Every run's spill file stays until close() has
  /// renamed the file into place (a kill before that leaves them for --recover); close()
  /// and abort() remove them and the directory.
  [[nodiscard]] std::string spill_path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorgon::h5
