// A test plugin: two sub-calls per call; throws for number 2, so check mode has a failure.
#include <gorgon/gorgon.hpp>

#include <stdexcept>

static gorgon::Result plugin_op(std::uint64_t number, gorgon::Context& g) {
  { auto first = g.measurement("first step"); }
  { auto second = g.measurement("second step"); }
  if (number == 2) throw std::runtime_error("boom at two");
  return number % 2 == 0 ? "EVEN" : "ODD";
}
GORGON_OPERATION("test_plugin_op", plugin_op);
