#pragma once
// Operations the HDF5 tests run: labels, sub-calls and exceptions in a known pattern, so the
// expected counts follow from the call numbers alone.
//
//   h5_subcalls   "step 1" every call, "step 2" when n % 3 == 0; throws "boom" when
//                 n % 11 == 0, else returns "even" / "odd"
#include <stdexcept>

#include "gorgon/gorgon.hpp"

namespace gorgon::test {

inline Result h5_subcalls(std::uint64_t n, Context& g) {
  {
    auto t = g.measurement("step 1");
  }
  if (n % 3 == 0) {
    auto t = g.measurement("step 2");
  }
  if (n % 11 == 0) throw std::runtime_error("boom");
  return n % 2 ? "odd" : "even";
}

}  // namespace gorgon::test
