#pragma once
// Named operations: the built-ins and any a program or plugin registers.
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "gorgon/op/operation.hpp"

namespace gorgon {

class Registry {
 public:
  /// Adds an operation. A name registered twice throws ConfigError.
  void add(OperationInfo info);
  /// The operation called `name`; throws ConfigError naming the known ones when missing.
  [[nodiscard]] const OperationInfo& find(const std::string& name) const;
  [[nodiscard]] bool contains(const std::string& name) const;
  /// All operations, sorted by name.
  [[nodiscard]] std::vector<const OperationInfo*> all() const;

  /// Registrations from static initialisers cannot throw (that would terminate the program
  /// or a plugin's dlopen); they leave their error here for the loader to report.
  void defer_error(std::string message) { errors_.push_back(std::move(message)); }
  /// The deferred errors so far, cleared.
  std::vector<std::string> take_errors() { return std::exchange(errors_, {}); }

 private:
  std::deque<OperationInfo> ops_;  // a deque: references stay valid as plugins add more
  std::vector<std::string> errors_;
};

/// The process-wide registry, with the built-in operations already in it.
Registry& registry();

namespace detail {
void register_builtin_operations(Registry& r);
struct Registrar {
  Registrar(const char* name, OperationFn fn) noexcept;
  explicit Registrar(OperationInfo info) noexcept;
};
}  // namespace detail

}  // namespace gorgon

#define GORGON_CONCAT_INNER(a, b) a##b
#define GORGON_CONCAT(a, b) GORGON_CONCAT_INNER(a, b)
/// Registers `fn` (Result(uint64_t, Context&)) as an operation named `name`, usable as
/// `--op name` by gorgon_mpi and by name in the library API.
#define GORGON_OPERATION(name, fn)                                                     \
  static const ::gorgon::detail::Registrar GORGON_CONCAT(gorgon_registrar_, __LINE__)( \
      name, ::gorgon::OperationFn(fn))
/// Registers an operation with parameters: GORGON_REGISTER(gorgon::OperationInfo{...}).
/// Variadic, so the commas inside the braces do not split the argument.
#define GORGON_REGISTER(...) \
  static const ::gorgon::detail::Registrar GORGON_CONCAT(gorgon_registrar_, __LINE__)(__VA_ARGS__)
