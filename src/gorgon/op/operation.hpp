#pragma once
// What an operation is, and the typed parameters it takes from `--param key=value`.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gorgon/op/context.hpp"
#include "gorgon/op/label_rule.hpp"
#include "gorgon/op/result.hpp"

namespace gorgon {

/// One call of an operation: the call's unique number and its Context in, a label out.
using OperationFn = std::function<Result(std::uint64_t number, Context& context)>;

enum class ParamType { Integer, Real, Duration, String, Boolean };

/// A parameter an operation accepts, with its default (as the user would type it).
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::String;
  std::string default_value;
  std::string help;
};

/// Parameter values of one run, checked against the operation's ParamSpecs.
class Params {
 public:
  Params() = default;
  /// Checks `given` (key -> text) against `specs`: unknown keys and values that do not parse
  /// as their type throw ConfigError. Missing keys take their defaults.
  Params(const std::vector<ParamSpec>& specs, const std::map<std::string, std::string>& given,
         const std::string& operation);

  [[nodiscard]] std::int64_t integer(const std::string& key) const;
  [[nodiscard]] double real(const std::string& key) const;
  [[nodiscard]] std::uint64_t duration_ns(const std::string& key) const;
  [[nodiscard]] const std::string& string(const std::string& key) const;
  [[nodiscard]] bool boolean(const std::string& key) const;
  /// Every value, defaults included, as text (for reports and files).
  [[nodiscard]] const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const std::string& raw(const std::string& key) const;
  std::map<std::string, std::string> values_;
  std::string operation_;
};

/// A named operation. `make` returns the callable (throwing ConfigError on bad parameters);
/// the runner calls it once per thread, so state captured by the callable (a connection, a
/// buffer) is per thread and needs no locking.
///
///     GORGON_REGISTER(gorgon::OperationInfo{
///         .name = "echo", .help = "returns its text",
///         .params = {{"text", gorgon::ParamType::String, "ok", "the label"}},
///         .make = [](const gorgon::Params& p) -> gorgon::OperationFn {
///           return [t = p.string("text")](std::uint64_t, gorgon::Context&) -> gorgon::Result {
///             return t;
///           };
///         }});
struct OperationInfo {
  std::string name;
  std::string help;
  std::vector<ParamSpec> params;
  std::function<OperationFn(const Params&)> make;
  /// Which of its labels are failures (the user may override it with --ok-labels or
  /// --error-labels). By default only calls that threw.
  LabelRule errors = {};
  /// Checks the parameters without opening anything (no connection, file or process),
  /// throwing ConfigError: run on every rank before any run starts. Optional: `make`
  /// must check them too.
  std::function<void(const Params&)> check = {};
};

}  // namespace gorgon
