#pragma once
// The library API, mirroring the original tool: make a Gorgon with an operation, call go()
// for each configuration, print the report.
//
//     gorgon::Result op(std::uint64_t n, gorgon::Context& g) {
//       auto t = g.measurement("step 1");
//       return n % 5 ? "SUCCESS" : "FAIL";
//     }
//     int main() {
//       gorgon::Gorgon test(op);            // initialises MPI when the program has not
//       test.go(4000, 1, 1).go(4000, 2, 4); // operations, ranks, threads
//       std::cout << test.small_report();   // on rank 0; empty elsewhere
//     }
#include <mpi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gorgon/base/agree.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/op/operation.hpp"
#include "gorgon/reduce/reduce.hpp"
#include "gorgon/run/runner.hpp"
#include "gorgon/run/runspec.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon {

class Gorgon {
 public:
  /// An operation given as a callable. MPI is initialised if it is not yet (and finalised
  /// at program exit); runs use the ranks of `comm`.
  explicit Gorgon(OperationFn op, MPI_Comm comm = MPI_COMM_WORLD);
  /// The same, named `name` in reports and files (instead of "user").
  Gorgon(OperationFn op, std::string name, MPI_Comm comm = MPI_COMM_WORLD);
  /// A registered operation (built-in or GORGON_OPERATION) with its parameters.
  explicit Gorgon(const std::string& operation,
                  const std::map<std::string, std::string>& params = {},
                  MPI_Comm comm = MPI_COMM_WORLD);

  /// One run: `operations` calls numbered seed.., on the first `ranks` ranks (0: all) with
  /// `threads` OpenMP threads each. Collective over the communicator. Arguments get the
  /// command line's checks; bad ones throw ConfigError (on every rank).
  Gorgon& go(std::uint64_t operations, int ranks = 0, int threads = 1, std::uint64_t seed = 0);

  /// Writes every following run's calls and summary to an HDF5 file (docs/hdf5-format.md),
  /// under a temporary name until close_output() (or destruction) renames it. Collective.
  /// Throws ConfigError when the file exists (without options.overwrite) or its directory
  /// cannot be written.
  ///
  ///     test.output("runs.h5").go(4000, 1, 1).go(4000, 2, 4).close_output();
  Gorgon& output(const std::string& path, h5::WriterOptions options = {});
  /// Closes the output file and gives it its final name. Collective; does nothing without one.
  Gorgon& close_output();
  /// Closes the output file like close_output(), or removes it when destroyed by an exception.
  ~Gorgon();
  Gorgon(Gorgon&&) noexcept;
  Gorgon& operator=(Gorgon&&) noexcept;

  /// The original's report of each run so far, then of every run merged (rank 0; "" on
  /// other ranks).
  [[nodiscard]] std::string small_report() const;
  /// Each run's report, then the suite's (rank 0; "" on other ranks).
  [[nodiscard]] std::string report() const;
  /// Each run's reduced summary (complete on rank 0, empty elsewhere).
  [[nodiscard]] const std::vector<RunSummary>& runs() const noexcept { return runs_; }
  /// Every run merged (rank 0).
  [[nodiscard]] RunSummary suite() const;
  [[nodiscard]] bool is_root() const noexcept { return rank_ == 0; }

 private:
  OperationInfo op_;
  std::map<std::string, std::string> params_;
  MPI_Comm comm_;
  int rank_ = 0;
  std::vector<RunSummary> runs_;
  std::unique_ptr<h5::Writer> output_;
};

/// Runs one RunSpec on the first spec.ranks ranks of `world` (the others wait). Collective
/// over `world`. An error on any rank is thrown on every rank.
WorldRun run_on_world(const RunSpec& spec, const OperationInfo& op, MPI_Comm world,
                      const RunControl& control = {});

namespace detail {
/// Initialises MPI (MPI_THREAD_SERIALIZED: each rank's agent thread talks to MPI while the
/// calling threads run) unless already done; finalises at exit if it did. A program that
/// initialises MPI itself must ask for MPI_THREAD_SERIALIZED or more.
void ensure_mpi();
}  // namespace detail

}  // namespace gorgon
