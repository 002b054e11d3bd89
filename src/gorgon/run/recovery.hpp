#pragma once
// A run's records after an abrupt end (a rank or the whole job killed): each rank's recovery
// note, written once the run has started, and its spill file (record/spill) give back the
// RankRun the rank would have ended with, marked interrupted, for reduce_run and the file's
// writer. The rows are those of the spill file's whole frames: every block a thread handed
// over, so at most its last --flush-every of calls is missing.
#include <string>

#include "gorgon/run/rank_run.hpp"

namespace gorgon {

/// The spill file of run `run` (of a suite, from 0) of rank `rank` in the directory `dir`.
std::string spill_file(const std::string& dir, std::size_t run, int rank);

/// The run and rank of a spill file's name (no directory); false for a note or another file.
bool parse_spill_name(const std::string& name, int& run, int& rank);

/// The note beside a spill file.
std::string recovery_note_path(const std::string& spill_path);

/// Writes this rank's note for `spill_path` (atomically): the run's spec, its rank, ranks,
/// threads and host, and its clocks (start, and rank 0's offsets). Throws on a write error.
void write_recovery_note(const RankRun& run, const std::string& spill_path);

/// This rank's run from the note and the spill file at `spill_path`: its strings, counts and
/// folds from the spill's frames (up to a torn one), interrupted with reason `why`; its
/// operation (for the error rule) from the registry. Throws ConfigError naming the file when
/// either is missing or not what it should be, or when the operation is not registered.
RankRun recover_rank_run(const std::string& spill_path, const std::string& why);

}  // namespace gorgon
