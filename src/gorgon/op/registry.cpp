#include "gorgon/op/registry.hpp"

#include <algorithm>

#include "gorgon/base/error.hpp"

namespace gorgon {

void Registry::add(OperationInfo info) {
  if (info.name.empty()) throw ConfigError("an operation needs a name");
  if (contains(info.name)) throw ConfigError("operation '" + info.name + "' is registered twice");
  ops_.push_back(std::move(info));
}

bool Registry::contains(const std::string& name) const {
  return std::any_of(ops_.begin(), ops_.end(), [&](auto& o) { return o.name == name; });
}

const OperationInfo& Registry::find(const std::string& name) const {
  for (const auto& o : ops_)
    if (o.name == name) return o;
  std::string names;
  for (const auto* o : all()) names += (names.empty() ? "" : ", ") + o->name;
  throw ConfigError("unknown operation '" + name + "' (known: " + names + ")");
}

std::vector<const OperationInfo*> Registry::all() const {
  std::vector<const OperationInfo*> v;
  for (const auto& o : ops_) v.push_back(&o);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return v;
}

Registry& registry() {
  static Registry r = [] {
    Registry built;
    detail::register_builtin_operations(built);
    return built;
  }();
  return r;
}

namespace detail {
Registrar::Registrar(const char* name, OperationFn fn) noexcept
    : Registrar(OperationInfo{name, "user operation", {}, [fn](const Params&) { return fn; }}) {}

Registrar::Registrar(OperationInfo info) noexcept {
  try {
    registry().add(std::move(info));
  } catch (const std::exception& e) {
    try {
      registry().defer_error(e.what());
    } catch (...) {  // out of memory while reporting: nothing better to do
    }
  }
}
}  // namespace detail

}  // namespace gorgon
