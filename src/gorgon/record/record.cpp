#include "gorgon/record/record.hpp"

namespace gorgon {

std::uint32_t StringTable::add(std::string_view text) {
  const auto id = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(text);
  ids_.emplace(strings_.back(), id);
  return id;
}

}  // namespace gorgon
