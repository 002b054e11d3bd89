#pragma once
// Output files, one rule for all of them (the HDF5 file, the JSON summary, the HTML report):
// checked before anything runs, written whole under a temporary name beside the target and
// then renamed into place, never replacing an existing file without --force.
//
// Temporary names are `.NAME.tmp-HOST.PID.XXXXXX`, so a temporary left behind by a process
// that died (SIGKILL, a lost node) is recognised, and removed, by the next run that writes
// NAME from the same host.
#include <string>
#include <string_view>
#include <vector>

namespace gorgon {

/// An output as the user named it: the option and the path.
struct OutputName {
  std::string option;  ///< "-o", "--json", "--html"
  std::string path;
};

/// Checks, before any run, that `out.path` can be written: a non-empty name of a file (not
/// a directory, not an existing file or link unless `overwrite`) in a directory that takes a
/// new file. Removes stale temporaries of the name (their process is gone) and returns a
/// note for each. Throws ConfigError naming the option.
std::vector<std::string> check_output(const OutputName& out, bool overwrite);

/// Throws ConfigError when two of `outputs` name the same file, or one names one of `inputs`.
void check_distinct(const std::vector<OutputName>& outputs,
                    const std::vector<OutputName>& inputs = {});

/// Creates an empty file with a new, unique temporary name beside `path` (mode 0666 less the
/// umask) and returns the name. No existing file is touched. Not thread-safe (it reads the
/// umask by setting it). Throws std::runtime_error naming `path` and the reason.
std::string make_temp_beside(const std::string& path);

/// Gives the written temporary `temp` its final name `path`. Without `overwrite`, a file
/// that appeared under `path` meanwhile is kept and std::runtime_error says so (link(2), not
/// rename(2)); the temporary is removed on every failure.
void commit_temp(const std::string& temp, const std::string& path, bool overwrite);

/// Writes `text` to `path` through a temporary file beside it, committed once the text is
/// all written; on any failure the temporary file is removed, `path` is untouched, and
/// std::runtime_error says what failed.
void write_file_atomically(const std::string& path, const std::string& text, bool overwrite = true);

/// Removes the temporaries of `path` whose process (on this host) no longer runs, except
/// their spill directories (`*.spill`, kept for gorgon_mpi --recover); returns their names.
std::vector<std::string> remove_stale_temps(const std::string& path);

/// `value` in quotes for a message, cut to at most `max` bytes ("'abc...' (1048576 bytes)").
std::string quote_value(std::string_view value, std::size_t max = 80);

}  // namespace gorgon
