#pragma once
// Cross-rank reduction of one run: label dictionaries merged, then counts, sums, extremes,
// spreads and histogram counts reduced with MPI collectives. No raw timing leaves its rank.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gorgon/run/rank_run.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon {

/// The longest label or sub-call name a run keeps, in bytes (docs/operations.md). A longer
/// one is cut, when the run's dictionaries are merged (never in the timed loop), to this
/// many bytes: its first bytes up to a UTF-8 character boundary, then kCutMarker. Labels
/// that differ only past the cut become one.
inline constexpr std::size_t kMaxLabelBytes = 4096;
inline constexpr std::string_view kCutMarker = "...[cut]";
/// `text` within kMaxLabelBytes.
std::string bounded_label(std::string text);

/// The sorted union of every rank's `local` strings, on every rank. Collective.
std::vector<std::string> merge_dictionary(MPI_Comm comm, std::vector<std::string> local);

/// A run's labels and sub-call names as every rank of it agrees on them, and the map from
/// each thread's own ids to those.
struct Dictionaries {
  std::vector<std::string> labels, names;  ///< sorted, the same on every rank of the run
  std::vector<std::vector<std::uint32_t>> label_ids, name_ids;  ///< per thread: local -> global
  /// Per global sub-call name: the earliest position any thread first met it at, so that
  /// sub-calls are listed in the order calls make them.
  std::vector<std::uint32_t> name_order;
};

/// Merges the dictionaries of every thread of every rank of `comm`, each string within
/// kMaxLabelBytes (bounded_label). Collective.
Dictionaries merge_dictionaries(MPI_Comm comm,
                                const std::vector<std::unique_ptr<ThreadRecord>>& records);

/// One run as seen from one rank of the world: what the reducer hands to the reports and
/// the file.
struct WorldRun {
  RunSummary summary;            ///< complete on world rank 0, empty elsewhere
  std::optional<RankRun> local;  ///< this rank's raw records; empty if not in the run
  Dictionaries calls;            ///< the measured calls' dictionaries (ranks of the run only)
  Dictionaries warmup;           ///< the warm-up calls' dictionaries (ranks of the run only)
};

/// Reduces one run to its summary, given its merged dictionaries. Collective over the run's
/// communicator; the complete summary is returned on rank 0, an empty one elsewhere.
RunSummary reduce_run(const RankRun& run, const Dictionaries& dict, MPI_Comm comm);
/// The same, merging the run's dictionaries first.
RunSummary reduce_run(const RankRun& run, MPI_Comm comm);

}  // namespace gorgon
