#pragma once
// The report's source over a gorgon_mpi HDF5 results file (src/gorgon/h5's reader).
#include <memory>
#include <string>

#include "source.hpp"

namespace gorgon::analysis {

/// Opens `path` as a gorgon_mpi results file. Throws InputError, with one clear message, when
/// it is missing, unreadable, not HDF5, HDF5 of another format, or of a newer format version.
std::unique_ptr<ReportSource> open_results_file(const std::string& path);

}  // namespace gorgon::analysis
