#pragma once
// Which labels of a run count as failures: the operation's own rule (http: curl errors and
// statuses from 400; exec: non-zero exits and signals; ...) or the user's --ok-labels /
// --error-labels. Calls that threw (labels "exception: ...") are always failures.
#include <string>
#include <string_view>
#include <vector>

namespace gorgon {

/// A label pattern: the label itself ("FAIL"), a status class ("4xx": any three-digit label
/// starting with 4), or a prefix ending in '*' ("spawn: *").
[[nodiscard]] bool label_matches(std::string_view pattern, std::string_view label) noexcept;

/// The labels that are failures, as a list of patterns: either the failing labels, or the
/// labels that succeed (every other one fails).
///
///     LabelRule::ok("1xx,2xx,3xx").is_error("404")    // true
///     LabelRule::errors("FAIL").is_error("SUCCESS")   // false
class LabelRule {
 public:
  /// No label fails but exceptions.
  LabelRule() = default;
  /// `patterns` (comma-separated) fail; throws ConfigError on an empty pattern.
  static LabelRule errors(std::string_view patterns);
  /// `patterns` (comma-separated) succeed and every other label fails.
  static LabelRule ok(std::string_view patterns);
  /// Reads text() back ("errors: FAIL", "ok: 0"); throws ConfigError on anything else.
  static LabelRule parse(std::string_view text);

  [[nodiscard]] bool is_error(std::string_view label) const noexcept;
  /// "errors: FAIL", "ok: 1xx,2xx,3xx", or "errors: none" (only exceptions fail).
  [[nodiscard]] std::string text() const;

 private:
  bool ok_listed_ = false;
  std::vector<std::string> patterns_;
};

/// The prefix of the label of a call that threw.
inline constexpr std::string_view kExceptionPrefix = "exception: ";

}  // namespace gorgon
