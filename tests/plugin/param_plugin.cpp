// A second test plugin, loaded beside the first: one operation with a typed parameter,
// registered in the documented form (the braces' commas inside the macro's argument).
#include <gorgon/gorgon.hpp>

#include <string>

GORGON_REGISTER(gorgon::OperationInfo{
    "test_modulo_op",
    "labels each number by its remainder",
    {{"modulo", gorgon::ParamType::Integer, "3", "the divisor"}},
    [](const gorgon::Params& p) -> gorgon::OperationFn {
      const auto m = static_cast<std::uint64_t>(p.integer("modulo"));
      return [m](std::uint64_t n, gorgon::Context&) -> gorgon::Result {
        return "r" + std::to_string(n % m);
      };
    }});
