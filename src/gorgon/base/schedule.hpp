#pragma once
// How the calls of a run are shared between its ranks, in OpenMP's words; the run (run/),
// its summary (stats/) and the file (h5/) all name it.
#include <cstddef>
#include <string_view>

namespace gorgon {

enum class Schedule { static_, dynamic, guided };
inline constexpr std::string_view kScheduleNames[] = {"static", "dynamic", "guided"};

[[nodiscard]] inline std::string_view name_of(Schedule s) noexcept {
  return kScheduleNames[static_cast<std::size_t>(s)];
}
/// Sets `out` from its name; false when `name` is none of the names.
inline bool from_name(std::string_view name, Schedule& out) noexcept {
  for (std::size_t i = 0; i < std::size(kScheduleNames); ++i)
    if (kScheduleNames[i] == name) {
      out = static_cast<Schedule>(i);
      return true;
    }
  return false;
}

}  // namespace gorgon
