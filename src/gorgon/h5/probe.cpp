#include "gorgon/h5/probe.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gorgon/h5/io.hpp"

namespace gorgon::h5::detail {
namespace {

herr_t read_attributes_of(hid_t obj, const char*, const H5O_info_t*, void*) {
  (void)attributes_as_text(obj);  // reads every value; unreadable ones become text
  return 0;
}

/// The child: every attribute of every object, then a plain exit.
[[noreturn]] void child(hid_t file) {
  alarm(kProbeSeconds);  // SIGALRM's default action ends the child
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, read_attributes_of, nullptr, H5O_INFO_BASIC);
  _exit(0);  // no atexit handlers: libhdf5 must not close the parent's file
}

}  // namespace

void probe_attributes(hid_t file) {
  const pid_t pid = fork();
  if (pid < 0) throw FileError(std::string("cannot start a process to check it: ") + std::strerror(errno));
  if (pid == 0) child(file);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw FileError(std::string("waitpid: ") + std::strerror(errno));
  if (WIFSIGNALED(status))
    throw FileError(WTERMSIG(status) == SIGALRM
                        ? "its attributes could not be read within " +
                              std::to_string(kProbeSeconds) + " s (a damaged global heap)"
                        : std::string("reading its attributes crashed the HDF5 library (") +
                              strsignal(WTERMSIG(status)) + "; a damaged global heap)");
}

}  // namespace gorgon::h5::detail
