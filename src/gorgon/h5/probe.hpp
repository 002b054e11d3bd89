#pragma once
// Format 1 files keep their string attributes in HDF5's global heap, which has no checksum;
// libhdf5 1.10 follows a damaged heap into a crash or an endless loop (H5HG_read). Before such
// a file is read, its attributes are read once in a child process: a child that dies or does
// not finish in time means the file is refused. Internal to src/gorgon/h5.
#include <hdf5.h>

#include <functional>

namespace gorgon::h5::detail {

/// Seconds a child may take to read every attribute of a format 1 file.
inline constexpr unsigned kProbeSeconds = 10;

/// Reads every attribute of every object of the open file `file` in a child process. Throws
/// FileError when the child is killed (a crash in libhdf5), runs past kProbeSeconds, or
/// cannot visit every object (what lies behind one was not checked); an attribute that is
/// merely unreadable is left for the caller to report.
/// `reads` runs in the child after that: the reads the caller will make, in its order (a
/// damaged heap crashes one read order and not another).
void probe_attributes(hid_t file, const std::function<void()>& reads = {});
/// Whether this process is a probe's child (which must not probe again).
bool in_probe_child() noexcept;

}  // namespace gorgon::h5::detail
