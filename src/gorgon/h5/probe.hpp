#pragma once
// Format 1 files keep their string attributes in HDF5's global heap, which has no checksum;
// libhdf5 1.10 follows a damaged heap into a crash or an endless loop (H5HG_read). Before such
// a file is read, its attributes are read once in a child process: a child that dies or does
// not finish in time means the file is refused. Internal to src/gorgon/h5.
#include <hdf5.h>

namespace gorgon::h5::detail {

/// Seconds a child may take to read every attribute of a format 1 file.
inline constexpr unsigned kProbeSeconds = 10;

/// Reads every attribute of every object of the open file `file` in a child process. Throws
/// FileError when the child is killed (a crash in libhdf5) or runs past kProbeSeconds; an
/// attribute that is merely unreadable is left for the caller to report.
void probe_attributes(hid_t file);

}  // namespace gorgon::h5::detail
