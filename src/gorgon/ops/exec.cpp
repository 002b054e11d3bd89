// The exec operation: runs a command per call with posix_spawn (no shell unless asked);
// label = the exit status, or the name of the signal that ended it.
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include "gorgon/base/error.hpp"
#include "gorgon/ops/ops.hpp"

extern char** environ;

namespace gorgon::detail {
namespace {

constexpr std::size_t kMaxCapturedBytes = 1 << 20;  ///< per failed call, the rest is cut

/// What every thread of one run shares, read-only.
struct ExecSetup {
  std::vector<NumberTemplate> argv;  ///< the program first
  bool search_path = true;           ///< posix_spawnp (a bare name is looked up in PATH)
  bool capture_failures = false;
  std::string capture_dir;
};

/// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

/// One thread's runner: its argument buffers, spawn attributes and, when failures are
/// captured, an in-memory file the child's stdout and stderr go to.
class ExecRunner {
 public:
  explicit ExecRunner(std::shared_ptr<const ExecSetup> setup) : setup_(std::move(setup)) {
    null_.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (null_.get() < 0) throw std::runtime_error("cannot open /dev/null: " + errno_name(errno));
    if (setup_->capture_failures) {
      output_.reset(memfd_create("gorgon-exec-output", MFD_CLOEXEC));
      if (output_.get() < 0) throw std::runtime_error("memfd_create failed: " + errno_name(errno));
    }
    const int out = setup_->capture_failures ? output_.get() : null_.get();
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_adddup2(&actions_, null_.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, out, STDERR_FILENO);
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
    posix_spawn_file_actions_addclosefrom_np(&actions_, 3);  // no MPI sockets in the child
#endif
#endif
    // The child starts with every signal at its default and none blocked, whatever MPI or
    // the launcher set for this process (an ignored SIGPIPE would otherwise be inherited).
    posix_spawnattr_init(&attr_);
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr_, &all);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    args_.resize(setup_->argv.size());
    argv_.resize(args_.size() + 1, nullptr);
    templated_ = false;
    for (const auto& a : setup_->argv) templated_ = templated_ || a.has_number();
    render(0);
  }
  ExecRunner(const ExecRunner&) = delete;
  ExecRunner& operator=(const ExecRunner&) = delete;
  ~ExecRunner() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }

  Result call(std::uint64_t number, Context& g) {
    if (templated_) render(number);
    if (setup_->capture_failures) {  // empty the output file; the child writes from 0
      if (::ftruncate(output_.get(), 0) != 0 || ::lseek(output_.get(), 0, SEEK_SET) != 0)
        throw std::runtime_error("cannot reset the output capture: " + errno_name(errno));
    }
    pid_t pid = 0;
    const int err = setup_->search_path
                        ? posix_spawnp(&pid, argv_[0], &actions_, &attr_, argv_.data(), environ)
                        : posix_spawn(&pid, argv_[0], &actions_, &attr_, argv_.data(), environ);
    if (err != 0) return failed(number, g, "spawn: " + errno_name(err));
    int status = 0;
    pid_t waited;
    do {
      waited = ::waitpid(pid, &status, 0);
    } while (waited < 0 && errno == EINTR);
    if (waited < 0) return failed(number, g, "wait: " + errno_name(errno));
    if (WIFEXITED(status)) {
      const int code = WEXITSTATUS(status);
      if (code == 0) return 0;
      return failed(number, g, code);
    }
    return failed(number, g, signal_name(WTERMSIG(status)));
  }

 private:
  void render(std::uint64_t number) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      setup_->argv[i].render(number, args_[i]);
      argv_[i] = args_[i].data();
    }
  }

  /// A failed call's label, after its output went to the capture file when asked.
  Result failed(std::uint64_t number, Context& g, Result label) {
    if (setup_->capture_failures) keep_output(number, g, label.label());
    return label;
  }

  /// Appends "=== call N: LABEL (rank R, thread T)", then the call's output, to this rank's
  /// capture file in one write (O_APPEND: the threads' records do not mix).
  void keep_output(std::uint64_t number, Context& g, std::string_view label) {
    if (log_.get() < 0) {
      const std::string path =
          setup_->capture_dir + "/gorgon-exec-failures." + std::to_string(g.rank()) + ".log";
      log_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
      if (log_.get() < 0)
        throw std::runtime_error("cannot open " + path + ": " + errno_name(errno));
    }
    record_.assign("=== call ");
    record_ += std::to_string(number) + ": ";
    record_ += label;
    record_ +=
        " (rank " + std::to_string(g.rank()) + ", thread " + std::to_string(g.thread()) + ")\n";
    struct stat st {};
    const std::size_t size =
        ::fstat(output_.get(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
    const std::size_t keep = std::min(size, kMaxCapturedBytes);
    const std::size_t head = record_.size();
    record_.resize(head + keep);
    const ssize_t got = ::pread(output_.get(), record_.data() + head, keep, 0);
    record_.resize(head + (got > 0 ? static_cast<std::size_t>(got) : 0));
    if (record_.size() > head && record_.back() != '\n') record_ += '\n';
    if (keep < size) record_ += "[... cut: " + std::to_string(size) + " bytes in all]\n";
    for (std::size_t done = 0; done < record_.size();) {
      const ssize_t n = ::write(log_.get(), record_.data() + done, record_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("cannot write the capture file: " + errno_name(errno));
      done += static_cast<std::size_t>(n);
    }
  }

  std::shared_ptr<const ExecSetup> setup_;
  Fd null_, output_, log_;
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
  std::vector<std::string> args_;
  std::vector<char*> argv_;  ///< into args_, null-terminated
  bool templated_ = false;
  std::string record_;  ///< a failed call's record for the capture file
};

std::shared_ptr<const ExecSetup> exec_setup(const Params& p) {
  auto s = std::make_shared<ExecSetup>();
  const std::string& command = p.string("command");
  if (command.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ConfigError("operation 'exec': command=... is required");
  if (p.boolean("shell")) {
    s->argv = {NumberTemplate("/bin/sh"), NumberTemplate("-c"), NumberTemplate(command)};
    s->search_path = false;
  } else {
    try {
      for (const auto& word : split_command(command)) s->argv.emplace_back(word);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("operation 'exec': ") + e.what());
    }
    if (s->argv.front().has_number())
      throw ConfigError("operation 'exec': {n} cannot be in the program's name");
  }
  s->capture_failures = p.boolean("capture_failures");
  s->capture_dir = p.string("capture_dir");
  if (s->capture_dir.empty()) s->capture_dir = ".";
  if (s->capture_failures) {
    struct stat st {};
    if (::stat(s->capture_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        ::access(s->capture_dir.c_str(), W_OK) != 0)
      throw ConfigError("operation 'exec': capture_dir '" + s->capture_dir +
                        "' is not a writable directory");
  }
  return s;
}

}  // namespace

OperationInfo exec_operation() {
  return {"exec",
          "runs a command per call (posix_spawn, no shell unless shell=true); label: the exit "
          "status (0, 1) or the signal that ended it (SIGKILL), 'spawn: ENOENT' when it "
          "cannot start",
          {{"command", ParamType::String, "",
            "the command; {n} is the call's number; words split on blanks, 'quotes' and "
            "\"quotes\" group (no variables, globs or redirections unless shell=true)"},
           {"shell", ParamType::Boolean, "false", "run the command with /bin/sh -c"},
           {"capture_failures", ParamType::Boolean, "false",
            "keep the stdout and stderr of failed calls (else they go to /dev/null)"},
           {"capture_dir", ParamType::String, ".",
            "directory of the captured output: gorgon-exec-failures.<rank>.log"}},
          [](const Params& p) -> OperationFn {
            auto runner = std::make_shared<ExecRunner>(exec_setup(p));
            return [runner](std::uint64_t number, Context& g) { return runner->call(number, g); };
          },
          LabelRule::ok("0"),
          [](const Params& p) { (void)exec_setup(p); }};
}

}  // namespace gorgon::detail
