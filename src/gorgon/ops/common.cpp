// What the http, exec and file operations share: `{n}` templates, command-line splitting,
// and the names of errno values and signals.
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

#include "gorgon/base/error.hpp"
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

struct Named {
  int value;
  const char* name;
};
#define GORGON_NAMED(x) \
  Named { x, #x }

[[maybe_unused]] constexpr Named kErrnoNames[] = {
    GORGON_NAMED(EPERM),        GORGON_NAMED(ENOENT),       GORGON_NAMED(ESRCH),
    GORGON_NAMED(EINTR),        GORGON_NAMED(EIO),          GORGON_NAMED(ENXIO),
    GORGON_NAMED(E2BIG),        GORGON_NAMED(ENOEXEC),      GORGON_NAMED(EBADF),
    GORGON_NAMED(ECHILD),       GORGON_NAMED(EAGAIN),       GORGON_NAMED(ENOMEM),
    GORGON_NAMED(EACCES),       GORGON_NAMED(EFAULT),       GORGON_NAMED(EBUSY),
    GORGON_NAMED(EEXIST),       GORGON_NAMED(EXDEV),        GORGON_NAMED(ENODEV),
    GORGON_NAMED(ENOTDIR),      GORGON_NAMED(EISDIR),       GORGON_NAMED(EINVAL),
    GORGON_NAMED(ENFILE),       GORGON_NAMED(EMFILE),       GORGON_NAMED(ETXTBSY),
    GORGON_NAMED(EFBIG),        GORGON_NAMED(ENOSPC),       GORGON_NAMED(ESPIPE),
    GORGON_NAMED(EROFS),        GORGON_NAMED(EMLINK),       GORGON_NAMED(EPIPE),
    GORGON_NAMED(ENAMETOOLONG), GORGON_NAMED(ENOSYS),       GORGON_NAMED(ENOTEMPTY),
    GORGON_NAMED(ELOOP),        GORGON_NAMED(EDQUOT),       GORGON_NAMED(ESTALE),
    GORGON_NAMED(ETIMEDOUT),    GORGON_NAMED(ECONNREFUSED), GORGON_NAMED(EOVERFLOW)};

[[maybe_unused]] constexpr Named kSignalNames[] = {
    GORGON_NAMED(SIGHUP),    GORGON_NAMED(SIGINT),  GORGON_NAMED(SIGQUIT),  GORGON_NAMED(SIGILL),
    GORGON_NAMED(SIGTRAP),   GORGON_NAMED(SIGABRT), GORGON_NAMED(SIGBUS),   GORGON_NAMED(SIGFPE),
    GORGON_NAMED(SIGKILL),   GORGON_NAMED(SIGUSR1), GORGON_NAMED(SIGSEGV),  GORGON_NAMED(SIGUSR2),
    GORGON_NAMED(SIGPIPE),   GORGON_NAMED(SIGALRM), GORGON_NAMED(SIGTERM),  GORGON_NAMED(SIGCHLD),
    GORGON_NAMED(SIGCONT),   GORGON_NAMED(SIGSTOP), GORGON_NAMED(SIGTSTP),  GORGON_NAMED(SIGTTIN),
    GORGON_NAMED(SIGTTOU),   GORGON_NAMED(SIGURG),  GORGON_NAMED(SIGXCPU),  GORGON_NAMED(SIGXFSZ),
    GORGON_NAMED(SIGVTALRM), GORGON_NAMED(SIGPROF), GORGON_NAMED(SIGWINCH), GORGON_NAMED(SIGSYS)};

#undef GORGON_NAMED

template <std::size_t N>
[[maybe_unused]] const char* find_name(const Named (&table)[N], int value) {
  for (const Named& n : table)
    if (n.value == value) return n.name;
  return nullptr;
}

}  // namespace

std::string errno_name(int error) {
#ifdef GORGON_HAVE_GLIBC_NAMES
  const char* name = strerrorname_np(error);
#else
  const char* name = find_name(kErrnoNames, error);
#endif
  return name != nullptr ? std::string(name) : "errno " + std::to_string(error);
}

std::string signal_name(int signal) {
#ifdef GORGON_HAVE_GLIBC_NAMES
  const char* abbrev = sigabbrev_np(signal);  // "KILL", without the prefix
  if (abbrev != nullptr) return std::string("SIG") + abbrev;
#else
  if (const char* name = find_name(kSignalNames, signal)) return name;
#endif
  return "signal " + std::to_string(signal);
}

}  // namespace gorgon::detail
