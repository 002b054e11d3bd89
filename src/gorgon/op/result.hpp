#pragma once
// What an operation returns: the label its calls are grouped by in the report.
#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace gorgon {

/// The result label of one call. Built from a string ("SUCCESS") or an integer (an HTTP
/// status such as 200). Short labels (up to 15 characters) never touch the heap.
///
///     gorgon::Result op(std::uint64_t n, gorgon::Context&) { return n % 5 ? "OK" : "FAIL"; }
class Result {
 public:
  Result() : text_("ok") {}
  Result(const char* text) : text_(text) {}             // NOLINT: implicit by design
  Result(std::string text) : text_(std::move(text)) {}  // NOLINT
  Result(std::string_view text) : text_(text) {}        // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Result(T value) {  // NOLINT
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;
    text_.assign(buf, end);
  }
  Result(bool ok) : text_(ok ? "true" : "false") {}  // NOLINT

  [[nodiscard]] std::string_view label() const noexcept { return text_; }

 private:
  std::string text_;
};

}  // namespace gorgon
