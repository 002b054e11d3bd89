#include "gorgon/base/temp_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace gorgon {

std::string make_temp_beside(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string name = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0)
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno) +
                             " (check the directory exists and is writable)");
  // mkstemp makes the file private (0600); the file it becomes gets the mode any new file
  // would (0666 less the umask), so that a shared project directory can read it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(fd, 0666 & ~mask);
  ::close(fd);
  return std::string(buf.data());
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = make_temp_beside(path);
  std::FILE* f = std::fopen(temp.c_str(), "w");
  bool ok = f != nullptr;
  if (ok) ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (f != nullptr) ok = std::fclose(f) == 0 && ok;  // fclose reports a full disk too
  const int error = errno;
  if (!ok) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(error));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(temp.c_str());
    throw std::runtime_error("cannot rename '" + temp + "' to '" + path + "': " + std::strerror(e));
  }
}

}  // namespace gorgon
