#pragma once
// Operations the HDF5 tests run: labels, sub-calls and exceptions in a known pattern, so the
// expected counts follow from the call numbers alone.
//
//   h5_subcalls   "step 1" every call, "step 2" when n % 3 == 0; throws "boom" when
//                 n % 11 == 0, else returns "even" / "odd"
//   h5_hostile    labels by n % 6: "x\0y", "x\0z", "x", invalid UTF-8 ("\xff\xfe!"), a
//                 terminal escape with a newline, and a 64 KiB label of 'L' (n % 6 == 5)
//   h5_many       label n as a number, and call 0 a 64 KiB label of 'L'
#include <stdexcept>
#include <string>

#include "gorgon/gorgon.hpp"

namespace gorgon::test {

inline Result h5_subcalls(std::uint64_t n, Context& g) {
  { auto t = g.measurement("step 1"); }
  if (n % 3 == 0) {
    auto t = g.measurement("step 2");
  }
  if (n % 11 == 0) throw std::runtime_error("boom");
  return n % 2 ? "odd" : "even";
}

inline const std::string& long_label() {
  static const std::string text(std::size_t{64} << 10, 'L');
  return text;
}

inline Result h5_hostile(std::uint64_t n, Context&) {
  using namespace std::string_literals;
  switch (n % 6) {
    case 0: return "x\0y"s;
    case 1: return "x\0z"s;
    case 2: return "x"s;
    case 3: return "\xff\xfe!"s;
    case 4: return "\x1b[31mred\nline"s;
    default: return long_label();
  }
}

inline Result h5_many(std::uint64_t n, Context&) {
  return n == 0 ? long_label() : std::to_string(n);
}

}  // namespace gorgon::test
