// The file operation: mdtest-like metadata and data steps on one file per call, in a
// directory per rank; label = ok or the errno name of the first step that failed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <memory>

#include "gorgon/base/error.hpp"
#include "gorgon/ops/ops.hpp"

namespace gorgon::detail {
namespace {

enum class Step { Create, Write, Fsync, Read, Stat, Unlink };
constexpr std::array<const char*, 6> kStepNames = {"create", "write", "fsync",
                                                   "read",   "stat",  "unlink"};

const char* step_name(Step s) { return kStepNames[static_cast<std::size_t>(s)]; }
bool is_writer(Step s) { return s == Step::Create || s == Step::Write || s == Step::Fsync; }

/// What every thread of one run shares, read-only.
struct FileSetup {
  std::string dir;
  std::vector<Step> steps;
  std::size_t last_writer = 0;  ///< the step after which the written file is closed
  std::size_t size = 0;
  bool cleanup = false;
};

/// `mkdir -p`: every missing component of `path` is created; errors are left to the steps.
void make_directories(const std::string& path) {
  for (std::size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1))
    ::mkdir(path.substr(0, at).c_str(), 0755);
  ::mkdir(path.c_str(), 0755);
}

/// One thread's runner: its path and data buffers, allocated at set-up.
class FileRunner {
 public:
  explicit FileRunner(std::shared_ptr<const FileSetup> setup)
      : setup_(std::move(setup)), data_(setup_->size, 'g') {
    for (std::size_t i = 0; i < data_.size(); ++i) data_[i] = static_cast<char>('a' + i % 26);
  }
  FileRunner(const FileRunner&) = delete;
  FileRunner& operator=(const FileRunner&) = delete;
  ~FileRunner() {
    if (setup_->cleanup && !rank_dir_.empty()) remove_files();
  }

  Result call(std::uint64_t number, Context& g) {
    if (rank_dir_.empty()) prepare(g.rank());
    path_.resize(prefix_);
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    (void)ec;
    path_.append(digits, end);

    fd_ = -1;
    int error = 0;
    for (std::size_t i = 0; i < setup_->steps.size() && error == 0; ++i) {
      const Step step = setup_->steps[i];
      auto timer = g.measurement(step_name(step));
      error = run(step);
      if (error == 0 && i == setup_->last_writer && fd_ >= 0) error = close_fd();
    }
    if (fd_ >= 0) ::close(fd_);  // only after a failed step
    if (error == 0) return "ok";
    return errno_name(error);
  }

 private:
  /// The first call of a thread makes `<dir>/rank.<R>` when missing and fixes the prefix
  /// of its file names, `<dir>/rank.<R>/f.`.
  void prepare(int rank) {
    rank_dir_ = setup_->dir + "/rank." + std::to_string(rank);
    make_directories(rank_dir_);
    path_ = rank_dir_ + "/f.";
    prefix_ = path_.size();
    path_.reserve(prefix_ + 24);
  }

  /// Runs one step on path_; 0 or the errno it failed with.
  int run(Step step) {
    switch (step) {
      case Step::Create:
        if (fd_ >= 0) ::close(fd_);
        fd_ = ::open(path_.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        return fd_ < 0 ? errno : 0;
      case Step::Write:
        if (fd_ < 0 && (fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC)) < 0) return errno;
        for (std::size_t done = 0; done < data_.size();) {
          const ssize_t n =
              ::pwrite(fd_, data_.data() + done, data_.size() - done, static_cast<off_t>(done));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return errno;
          if (n == 0) return ENOSPC;
          done += static_cast<std::size_t>(n);
        }
        return 0;
      case Step::Fsync:
        if (fd_ < 0 && (fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC)) < 0) return errno;
        return ::fsync(fd_) != 0 ? errno : 0;
      case Step::Read: {
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        int error = 0;
        for (std::size_t done = 0; done < data_.size();) {
          const ssize_t n =
              ::pread(fd, data_.data() + done, data_.size() - done, static_cast<off_t>(done));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) error = errno;
          if (n <= 0) break;  // an error, or the end of a shorter file
          done += static_cast<std::size_t>(n);
        }
        if (::close(fd) != 0 && error == 0) error = errno;
        return error;
      }
      case Step::Stat: {
        struct stat st {};
        return ::stat(path_.c_str(), &st) != 0 ? errno : 0;
      }
      case Step::Unlink: return ::unlink(path_.c_str()) != 0 ? errno : 0;
    }
    return EINVAL;
  }

  int close_fd() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc != 0 ? errno : 0;
  }

  /// cleanup=true: removes the files `f.*` left in the rank's directory, the directory, and
  /// `dir` itself when that leaves it empty. Runs after the run, outside any timing.
  void remove_files() {
    if (DIR* d = ::opendir(rank_dir_.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name.substr(0, 2) == "f.") ::unlink((rank_dir_ + "/" + e->d_name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(rank_dir_.c_str());
    ::rmdir(setup_->dir.c_str());
  }

  std::shared_ptr<const FileSetup> setup_;
  std::string data_;      ///< written, and read back into
  std::string rank_dir_;  ///< empty until the first call
  std::string path_;      ///< the current call's file
  std::size_t prefix_ = 0;
  int fd_ = -1;  ///< the file being written, between create/write/fsync steps
};

std::shared_ptr<const FileSetup> file_setup(const Params& p) {
  auto s = std::make_shared<FileSetup>();
  s->dir = p.string("dir");
  while (s->dir.size() > 1 && s->dir.back() == '/') s->dir.pop_back();
  if (s->dir.empty()) throw ConfigError("operation 'file': dir must not be empty");
  const std::string& list = p.string("ops");
  for (std::size_t from = 0; from <= list.size();) {
    const auto comma = std::min(list.find(',', from), list.size());
    const std::string name = list.substr(from, comma - from);
    std::size_t i = 0;
    while (i < kStepNames.size() && name != kStepNames[i]) ++i;
    if (i == kStepNames.size())
      throw ConfigError("operation 'file': unknown step '" + name + "' in ops=" + list +
                        " (steps: create, write, fsync, read, stat, unlink)");
    const Step step = static_cast<Step>(i);
    for (Step seen : s->steps)
      if (seen == step)
        throw ConfigError("operation 'file': step '" + name + "' twice in ops=" + list);
    if (is_writer(step)) s->last_writer = s->steps.size();
    s->steps.push_back(step);
    from = comma + 1;
  }
  const std::int64_t size = p.integer("size");
  if (size < 0)
    throw ConfigError("operation 'file': size must be 0 or more, got " + std::to_string(size));
  s->size = static_cast<std::size_t>(size);
  s->cleanup = p.boolean("cleanup");
  return s;
}

}  // namespace

OperationInfo file_operation() {
  return {"file",
          "mdtest-like steps on the file <dir>/rank.<R>/f.<number>, each step a sub-call; "
          "label: ok, or the errno name of the first step that failed (ENOENT, ENOSPC)",
          {{"dir", ParamType::String, "./gorgon-file",
            "directory of the rank directories rank.<R> (made when missing)"},
           {"ops", ParamType::String, "create,write,stat,read,unlink",
            "steps in order, from create, write, fsync, read, stat, unlink"},
           {"size", ParamType::Integer, "4096", "bytes each write step writes, each read reads"},
           {"cleanup", ParamType::Boolean, "false",
            "after the run, remove the files left and the directories"}},
          [](const Params& p) -> OperationFn {
            auto runner = std::make_shared<FileRunner>(file_setup(p));
            return [runner](std::uint64_t number, Context& g) { return runner->call(number, g); };
          },
          LabelRule::ok("ok"),
          [](const Params& p) { (void)file_setup(p); }};
}

}  // namespace gorgon::detail
