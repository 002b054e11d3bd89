#include "gorgon/h5/probe.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

#include "gorgon/h5/io.hpp"

namespace gorgon::h5::detail {
namespace {

herr_t read_attributes_of(hid_t obj, const char*, const H5O_info_t*, void*) {
  (void)attributes_as_text(obj);  // reads every value; unreadable ones become text
  return 0;
}

/// The child's status when some object could not be visited: what lies behind it was not
/// checked.
constexpr int kNotAllVisited = 3;

bool in_child = false;

/// The child: every attribute of every object, then `reads`, then a plain exit.
[[noreturn]] void child(hid_t file, const std::function<void()>& reads) {
  in_child = true;
  alarm(kProbeSeconds);  // SIGALRM's default action ends the child
  const herr_t visited =
      H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, read_attributes_of, nullptr, H5O_INFO_BASIC);
  try {
    if (reads) reads();
  } catch (const std::exception&) {  // the parent meets the same error and reports it
  }
  _exit(visited < 0 ? kNotAllVisited : 0);  // _exit: libhdf5 must not close the parent's file
}

}  // namespace

bool in_probe_child() noexcept { return in_child; }

void probe_attributes(hid_t file, const std::function<void()>& reads) {
  const pid_t pid = fork();
  if (pid < 0)
    throw FileError(std::string("cannot start a process to check it: ") + std::strerror(errno));
  if (pid == 0) child(file, reads);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw FileError(std::string("waitpid: ") + std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == kNotAllVisited)
    throw FileError("the HDF5 file is damaged (not every group and dataset can be opened)");
  if (WIFSIGNALED(status))
    throw FileError(WTERMSIG(status) == SIGALRM
                        ? "its attributes could not be read within " +
                              std::to_string(kProbeSeconds) + " s (a damaged global heap)"
                        : std::string("reading its attributes crashed the HDF5 library (") +
                              strsignal(WTERMSIG(status)) + "; a damaged global heap)");
}

}  // namespace gorgon::h5::detail
