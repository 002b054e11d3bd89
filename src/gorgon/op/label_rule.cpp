#include "gorgon/op/label_rule.hpp"

#include <algorithm>
#include <cctype>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace {

std::vector<std::string> split_patterns(std::string_view list, std::string_view option) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    std::string_view item =
        list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty())
      throw ConfigError(std::string(option) +
                        " has an empty pattern (expected labels, status "
                        "classes such as 4xx, or prefixes ending in *)");
    out.emplace_back(item);
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

bool is_status_class(std::string_view p) noexcept {
  return p.size() == 3 && std::isdigit(static_cast<unsigned char>(p[0])) && p[1] == 'x' &&
         p[2] == 'x';
}

}  // namespace

bool label_matches(std::string_view pattern, std::string_view label) noexcept {
  if (is_status_class(pattern))
    return label.size() == 3 && label[0] == pattern[0] &&
           std::all_of(label.begin(), label.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!pattern.empty() && pattern.back() == '*')
    return label.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  return pattern == label;
}

LabelRule LabelRule::errors(std::string_view patterns) {
  LabelRule r;
  r.patterns_ = split_patterns(patterns, "--error-labels");
  return r;
}

LabelRule LabelRule::ok(std::string_view patterns) {
  LabelRule r;
  r.ok_listed_ = true;
  r.patterns_ = split_patterns(patterns, "--ok-labels");
  return r;
}

LabelRule LabelRule::parse(std::string_view text) {
  if (text == "errors: none") return {};
  if (text.substr(0, 8) == "errors: ") return errors(text.substr(8));
  if (text.substr(0, 4) == "ok: ") return ok(text.substr(4));
  throw ConfigError("not an error rule: '" + std::string(text) + "'");
}

bool LabelRule::is_error(std::string_view label) const noexcept {
  if (label.substr(0, kExceptionPrefix.size()) == kExceptionPrefix) return true;
  const bool listed = std::any_of(patterns_.begin(), patterns_.end(),
                                  [&](const std::string& p) { return label_matches(p, label); });
  return ok_listed_ ? !listed : listed;
}

std::string LabelRule::text() const {
  if (!ok_listed_ && patterns_.empty()) return "errors: none";
  std::string out = ok_listed_ ? "ok: " : "errors: ";
  for (std::size_t i = 0; i < patterns_.size(); ++i) out += (i ? "," : "") + patterns_[i];
  return out;
}

}  // namespace gorgon
