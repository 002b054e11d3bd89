#include "gorgon/base/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace fs = std::filesystem;
namespace {

std::string this_host() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "host";
  std::string h(buf);
  for (char& c : h)
    if (c == '.' || c == '/') c = '_';  // the name's fields are separated by dots
  return h;
}

fs::path directory_of(const fs::path& target) {
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

/// ".NAME.tmp-" : every temporary of `target` starts so.
std::string temp_prefix(const fs::path& target) {
  return "." + target.filename().string() + ".tmp-";
}

/// The same file or the same name, whether or not it exists yet.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  if (fs::exists(a, ec1) && fs::exists(b, ec2)) return fs::equivalent(a, b, ec1);
  return fs::weakly_canonical(fs::absolute(a), ec1) == fs::weakly_canonical(fs::absolute(b), ec2);
}

}  // namespace

std::string quote_value(std::string_view value, std::size_t max) {
  if (value.size() <= max) return "'" + std::string(value) + "'";
  return "'" + std::string(value.substr(0, max)) + "...' (" + std::to_string(value.size()) +
         " bytes)";
}

std::vector<std::string> remove_stale_temps(const std::string& path) {
  const fs::path target(path);
  const std::string prefix = temp_prefix(target) + this_host() + ".";
  std::vector<std::string> removed;
  DIR* d = ::opendir(directory_of(target).c_str());
  if (d == nullptr) return removed;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // A killed run's spill files stay for gorgon_mpi --recover (docs/cli.md).
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".spill") == 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      const fs::path stale = directory_of(target) / name;
      std::error_code ec;
      if (fs::remove_all(stale, ec) > 0 && !ec) removed.push_back(stale.string());
    }
  }
  ::closedir(d);
  return removed;
}

std::vector<std::string> check_output(const OutputName& out, bool overwrite) {
  const std::string& path = out.path;
  if (path.empty()) throw ConfigError(out.option + " needs a file name");
  const fs::path target(path);
  if (!target.has_filename() || target.filename() == "." || target.filename() == "..")
    throw ConfigError(out.option + " " + quote_value(path) + " is not a file name");
  std::error_code ec;
  const auto link = fs::symlink_status(target, ec);
  if (fs::exists(link) || fs::is_symlink(link)) {
    if (fs::is_directory(fs::status(target, ec)))
      throw ConfigError(out.option + " " + quote_value(path) + " is a directory");
    if (!overwrite)
      throw ConfigError(out.option + " " + quote_value(path) +
                        (fs::is_symlink(link) ? " is a symbolic link" : " exists") +
                        "; use --force to replace it");
  }
  const fs::path dir = directory_of(target);
  const auto dst = fs::status(dir, ec);
  if (!fs::exists(dst))
    throw ConfigError("cannot write " + quote_value(path) + ": directory " +
                      quote_value(dir.string()) + " does not exist");
  if (!fs::is_directory(dst))
    throw ConfigError("cannot write " + quote_value(path) + ": " + quote_value(dir.string()) +
                      " is not a directory");
  std::vector<std::string> notes;
  for (const auto& stale : remove_stale_temps(path))
    notes.push_back("removed " + quote_value(stale, 200) +
                    ", left by a process that no longer runs");
  try {
    ::unlink(make_temp_beside(path).c_str());
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());
  }
  return notes;
}

void check_distinct(const std::vector<OutputName>& outputs, const std::vector<OutputName>& inputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = i + 1; j < outputs.size(); ++j)
      if (same_file(outputs[i].path, outputs[j].path))
        throw ConfigError(outputs[i].option + " and " + outputs[j].option + " name the same file " +
                          quote_value(outputs[i].path) + ": give each its own");
    for (const auto& in : inputs)
      if (same_file(outputs[i].path, in.path))
        throw ConfigError(outputs[i].option + " " + quote_value(outputs[i].path) + " is the " +
                          in.option + " file: it would be replaced");
  }
}

std::string make_temp_beside(const std::string& path) {
  const fs::path target(path);
  std::string name =
      (directory_of(target) / (temp_prefix(target) + this_host() + "." +
                               std::to_string(static_cast<long>(::getpid())) + ".XXXXXX"))
          .string();
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0)
    throw std::runtime_error("cannot write " + quote_value(path) + ": " + std::strerror(errno) +
                             " (check the directory exists and is writable)");
  // mkstemp makes the file private (0600); the file it becomes gets the mode any new file
  // would (0666 less the umask), so that a shared project directory can read it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(fd, 0666 & ~mask);
  ::close(fd);
  return std::string(buf.data());
}

void commit_temp(const std::string& temp, const std::string& path, bool overwrite) {
  if (!overwrite) {
    if (::link(temp.c_str(), path.c_str()) == 0) {
      ::unlink(temp.c_str());
      return;
    }
    const int e = errno;
    if (e == EEXIST || fs::exists(fs::symlink_status(path))) {
      ::unlink(temp.c_str());
      throw std::runtime_error(quote_value(path) +
                               " appeared while it was being written; it was "
                               "left as it is");
    }
    if (e != EPERM && e != EOPNOTSUPP && e != ENOSYS) {  // file systems without hard links
      ::unlink(temp.c_str());
      throw std::runtime_error("cannot create " + quote_value(path) + ": " + std::strerror(e));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot rename " + quote_value(temp) + " to " + quote_value(path) +
                             ": " + std::strerror(e));
  }
}

void write_file_atomically(const std::string& path, const std::string& text, bool overwrite) {
  const std::string temp = make_temp_beside(path);
  std::FILE* f = std::fopen(temp.c_str(), "w");
  bool ok = f != nullptr;
  if (ok) ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (f != nullptr) ok = std::fclose(f) == 0 && ok;  // fclose reports a full disk too
  const int error = errno;
  if (!ok) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot write " + quote_value(path) + ": " + std::strerror(error));
  }
  commit_temp(temp, path, overwrite);
}

}  // namespace gorgon
