#pragma once
// A file written whole or not at all: written under a unique temporary name beside its
// target, then renamed over it.
#include <string>

namespace gorgon {

/// Creates an empty file with a new, unique name in the directory of `path`
/// (`.NAME.tmp-XXXXXX`, mode 0666 less the umask) and returns that name. No existing file
/// is touched. Not thread-safe (it reads the umask by setting it). Throws
/// std::runtime_error naming `path` and the reason when the directory does not take it.
std::string make_temp_beside(const std::string& path);

/// Writes `text` to `path` through a temporary file beside it, renamed over `path` once the
/// text is all written; on any failure the temporary file is removed, `path` is untouched,
/// and std::runtime_error says what failed.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace gorgon
