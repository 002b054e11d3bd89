#include "gorgon/cli/terminal.hpp"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <string_view>

namespace gorgon {
namespace {

/// The parent of process `pid` (0 when unknown), from /proc/PID/stat.
pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');  // the command may hold spaces and parentheses
  if (close == std::string::npos || close + 4 > stat.size()) return 0;
  char state = 0;
  long ppid = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) return 0;
  return static_cast<pid_t>(ppid);
}

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

/// Whether process `pid`'s file descriptor `fd` is a terminal device.
bool fd_is_terminal(pid_t pid, int fd) {
  char target[PATH_MAX] = {0};
  const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  const std::string_view t(target, static_cast<std::size_t>(n));
  return t.substr(0, 9) == "/dev/pts/" || t.substr(0, 8) == "/dev/tty" || t == "/dev/console";
}

bool is_launcher(const std::string& comm) {
  return comm == "mpirun" || comm == "mpiexec" || comm == "orterun" || comm == "prterun";
}

}  // namespace

bool stderr_reaches_a_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  // Up the process tree, a few generations at most: the launcher (mpirun's own process
  // when ranks run beside it; an orted daemon on other hosts, whose stderr is no terminal).
  pid_t pid = ::getppid();
  for (int depth = 0; depth < 4 && pid > 1; ++depth, pid = parent_of(pid))
    if (is_launcher(command_of(pid))) return fd_is_terminal(pid, STDERR_FILENO);
  return false;
}

ProgressMode progress_mode(const std::string& choice) {
  if (choice == "none") return ProgressMode::none;
  if (choice == "lines") return ProgressMode::lines;
  if (choice == "bar") return ProgressMode::bar;
  return stderr_reaches_a_terminal() ? ProgressMode::bar : ProgressMode::lines;
}

}  // namespace gorgon
