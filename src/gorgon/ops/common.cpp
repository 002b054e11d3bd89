// What the http, exec and file operations share: `{n}` templates, command-line splitting,
// and the names of errno values and signals.
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

#include "gorgon/error.hpp"
#include "gorgon/ops/ops.hpp"

// glibc 2.32 and later name errno values and signals itself; elsewhere a table of the
// common ones does.
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 32)
#define GORGON_HAVE_GLIBC_NAMES 1
#endif
#endif

namespace gorgon::detail {

NumberTemplate::NumberTemplate(std::string_view text) : text_(text) {
  static constexpr std::string_view kPlaceholder = "{n}";
  parts_.clear();
  std::size_t from = 0;
  for (auto at = text.find(kPlaceholder); at != std::string_view::npos;
       at = text.find(kPlaceholder, from)) {
    parts_.emplace_back(text.substr(from, at - from));
    from = at + kPlaceholder.size();
  }
  parts_.emplace_back(text.substr(from));
}

void NumberTemplate::render(std::uint64_t number, std::string& out) const {
  out.assign(parts_.front());
  if (parts_.size() == 1) return;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
  (void)ec;
  const std::string_view n(digits, static_cast<std::size_t>(end - digits));
  for (std::size_t i = 1; i < parts_.size(); ++i) {
    out += n;
    out += parts_[i];
  }
}

std::vector<std::string> split_command(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos)
        throw ConfigError("unterminated ' quote in command: " + std::string(line));
      word.append(line.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size())
          throw ConfigError("unterminated \" quote in command: " + std::string(line));
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
          ++i;
        word += line[i];
      }
    } else if (c == '\\') {
      if (i + 1 >= line.size())
        throw ConfigError("trailing backslash in command: " + std::string(line));
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

namespace {

#define GORGON_NAME(x) \
  case x:              \
    return #x;

[[maybe_unused]] const char* errno_table(int error) {
  switch (error) {
    GORGON_NAME(EPERM) GORGON_NAME(ENOENT) GORGON_NAME(ESRCH) GORGON_NAME(EINTR)
    GORGON_NAME(EIO) GORGON_NAME(ENXIO) GORGON_NAME(E2BIG) GORGON_NAME(ENOEXEC)
    GORGON_NAME(EBADF) GORGON_NAME(ECHILD) GORGON_NAME(EAGAIN) GORGON_NAME(ENOMEM)
    GORGON_NAME(EACCES) GORGON_NAME(EFAULT) GORGON_NAME(EBUSY) GORGON_NAME(EEXIST)
    GORGON_NAME(EXDEV) GORGON_NAME(ENODEV) GORGON_NAME(ENOTDIR) GORGON_NAME(EISDIR)
    GORGON_NAME(EINVAL) GORGON_NAME(ENFILE) GORGON_NAME(EMFILE) GORGON_NAME(ETXTBSY)
    GORGON_NAME(EFBIG) GORGON_NAME(ENOSPC) GORGON_NAME(ESPIPE) GORGON_NAME(EROFS)
    GORGON_NAME(EMLINK) GORGON_NAME(EPIPE) GORGON_NAME(ENAMETOOLONG) GORGON_NAME(ENOSYS)
    GORGON_NAME(ENOTEMPTY) GORGON_NAME(ELOOP) GORGON_NAME(EDQUOT) GORGON_NAME(ESTALE)
    GORGON_NAME(ETIMEDOUT) GORGON_NAME(ECONNREFUSED) GORGON_NAME(EOVERFLOW)
    default:
      return nullptr;
  }
}

[[maybe_unused]] const char* signal_table(int signal) {
  switch (signal) {
    GORGON_NAME(SIGHUP) GORGON_NAME(SIGINT) GORGON_NAME(SIGQUIT) GORGON_NAME(SIGILL)
    GORGON_NAME(SIGTRAP) GORGON_NAME(SIGABRT) GORGON_NAME(SIGBUS) GORGON_NAME(SIGFPE)
    GORGON_NAME(SIGKILL) GORGON_NAME(SIGUSR1) GORGON_NAME(SIGSEGV) GORGON_NAME(SIGUSR2)
    GORGON_NAME(SIGPIPE) GORGON_NAME(SIGALRM) GORGON_NAME(SIGTERM) GORGON_NAME(SIGCHLD)
    GORGON_NAME(SIGCONT) GORGON_NAME(SIGSTOP) GORGON_NAME(SIGTSTP) GORGON_NAME(SIGTTIN)
    GORGON_NAME(SIGTTOU) GORGON_NAME(SIGURG) GORGON_NAME(SIGXCPU) GORGON_NAME(SIGXFSZ)
    GORGON_NAME(SIGVTALRM) GORGON_NAME(SIGPROF) GORGON_NAME(SIGWINCH) GORGON_NAME(SIGSYS)
    default:
      return nullptr;
  }
}

#undef GORGON_NAME

}  // namespace

std::string errno_name(int error) {
#ifdef GORGON_HAVE_GLIBC_NAMES
  const char* name = strerrorname_np(error);
#else
  const char* name = errno_table(error);
#endif
  return name != nullptr ? std::string(name) : "errno " + std::to_string(error);
}

std::string signal_name(int signal) {
#ifdef GORGON_HAVE_GLIBC_NAMES
  const char* abbrev = sigabbrev_np(signal);  // "KILL", without the prefix
  if (abbrev != nullptr) return std::string("SIG") + abbrev;
#else
  if (const char* name = signal_table(signal)) return name;
#endif
  return "signal " + std::to_string(signal);
}

}  // namespace gorgon::detail
