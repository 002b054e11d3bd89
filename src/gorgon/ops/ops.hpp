#pragma once
// The built-in operations that talk to the outside world (http, exec, file), and the small
// pieces they share: `{n}` templates and the names of errno values and signals.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gorgon/op/operation.hpp"

namespace gorgon::detail {

OperationInfo http_operation();  ///< ops/http.cpp
OperationInfo exec_operation();  ///< ops/exec.cpp
OperationInfo file_operation();  ///< ops/file.cpp

/// Text in which every `{n}` stands for the call's number, split once at set-up and rendered
/// per call into a buffer the caller reuses, so steady state allocates nothing.
///
///     NumberTemplate t("/item/{n}?x={n}");  std::string buf;
///     t.render(42, buf);                     // buf == "/item/42?x=42"
class NumberTemplate {
 public:
  NumberTemplate() = default;
  explicit NumberTemplate(std::string_view text);

  /// True when the text holds at least one `{n}`.
  [[nodiscard]] bool has_number() const noexcept { return parts_.size() > 1; }
  /// The text as given, `{n}` left in place.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// Writes the text with `number` in place of every `{n}` into `out` (cleared first).
  void render(std::uint64_t number, std::string& out) const;

 private:
  std::string text_;
  std::vector<std::string> parts_{std::string()};  ///< literal text between the `{n}`s
};

/// Splits a command line into words the way a shell would for the simple cases: blanks
/// separate words; 'single quotes' keep everything literally; "double quotes" keep blanks
/// and honour \" and \\; a backslash outside quotes escapes the next character. No variables,
/// globs or redirections. Throws ConfigError on an unterminated quote or a trailing backslash.
std::vector<std::string> split_command(std::string_view line);

/// The symbolic name of an errno value: "ENOENT", "ENOTDIR"; "errno <n>" when unknown.
std::string errno_name(int error);

/// The name of a signal with its SIG prefix: "SIGKILL", "SIGSEGV"; "signal <n>" when unknown.
std::string signal_name(int signal);

}  // namespace gorgon::detail
