#include <charconv>
#include <set>

#include "gorgon/base/error.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/op/operation.hpp"

namespace gorgon {
namespace {

std::string type_name(ParamType t) {
  switch (t) {
    case ParamType::Integer: return "an integer";
    case ParamType::Real: return "a number";
    case ParamType::Duration: return "a duration (e.g. 10ms)";
    case ParamType::String: return "a string";
    case ParamType::Boolean: return "true or false";
  }
  return "a value";
}

bool parse_integer(const std::string& s, std::int64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool parse_real(const std::string& s, double& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool parse_boolean(const std::string& s, bool& out) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") return out = true, true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return out = false, true;
  return false;
}

void check_value(const ParamSpec& spec, const std::string& value, const std::string& op) {
  bool ok = true;
  std::int64_t i;
  double d;
  bool b;
  switch (spec.type) {
    case ParamType::Integer: ok = parse_integer(value, i); break;
    case ParamType::Real: ok = parse_real(value, d); break;
    case ParamType::Boolean: ok = parse_boolean(value, b); break;
    case ParamType::String: break;
    case ParamType::Duration: try { (void)parse_duration_ns(value);
      } catch (const ConfigError&) {
        ok = false;
      }
      break;
  }
  if (!ok)
    throw ConfigError("operation '" + op + "': parameter " + spec.name + "='" + value +
                      "' is not " + type_name(spec.type));
}

}  // namespace

Params::Params(const std::vector<ParamSpec>& specs, const std::map<std::string, std::string>& given,
               const std::string& operation)
    : operation_(operation) {
  for (const auto& [key, value] : given) {
    bool known = false;
    for (const auto& s : specs) known = known || s.name == key;
    if (!known) {
      std::string names;
      for (const auto& s : specs) names += (names.empty() ? "" : ", ") + s.name;
      throw ConfigError(
          "operation '" + operation + "' has no parameter '" + key + "'" +
          (names.empty() ? std::string(" (it takes none)") : " (it takes: " + names + ")"));
    }
  }
  for (const auto& spec : specs) {
    auto it = given.find(spec.name);
    const std::string& value = it != given.end() ? it->second : spec.default_value;
    check_value(spec, value, operation);
    values_[spec.name] = value;
  }
}

const std::string& Params::raw(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end())
    throw ConfigError("operation '" + operation_ + "' read undeclared parameter '" + key + "'");
  return it->second;
}

std::int64_t Params::integer(const std::string& key) const {
  std::int64_t v = 0;
  parse_integer(raw(key), v);
  return v;
}
double Params::real(const std::string& key) const {
  double v = 0;
  parse_real(raw(key), v);
  return v;
}
std::uint64_t Params::duration_ns(const std::string& key) const {
  return parse_duration_ns(raw(key));
}
const std::string& Params::string(const std::string& key) const { return raw(key); }
bool Params::boolean(const std::string& key) const {
  bool v = false;
  parse_boolean(raw(key), v);
  return v;
}

}  // namespace gorgon
