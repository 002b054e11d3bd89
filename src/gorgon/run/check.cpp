#include "gorgon/run/check.hpp"

#include <fmt/format.h>

#include <ostream>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/units.hpp"

namespace gorgon {

std::uint64_t run_check(const RunSpec& spec, const OperationInfo& info, std::uint64_t calls,
                        std::ostream& out) {
  const Params params(info.params, spec.params, info.name);
  OperationFn op = info.make(params);
  std::string values;
  for (const auto& [k, v] : params.values()) values += (values.empty() ? "" : ", ") + k + "=" + v;
  out << fmt::format("check: {}{}, {} call{} from number {}, one thread on rank 0\n", info.name,
                     values.empty() ? "" : " (" + values + ")", calls, calls == 1 ? "" : "s",
                     spec.seed);

  ThreadRecord rec;
  Context ctx(rec, 0, 0, 1, 1);
  std::uint64_t threw = 0;
  for (std::uint64_t n = spec.seed; n < spec.seed + calls; ++n) {
    const std::size_t subcalls_before = rec.subcalls.size();
    std::string label, error;
    ctx.set_number(n);
    const std::uint64_t start = now_ns();
    std::uint64_t end;
    try {
      const Result r = op(n, ctx);
      end = now_ns();
      label = r.label();
    } catch (const std::exception& e) {
      end = now_ns();
      label = std::string("exception: ") + e.what();
      error = e.what();
    } catch (...) {
      end = now_ns();
      label = "exception: unknown";
      error = "a non-standard exception";
    }
    out << fmt::format("call {}: {}  {}\n", n, label, format_duration(end - start));
    std::size_t row = 0;
    rec.subcalls.for_each_block([&](const SubCallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i, ++row) {
        if (row < subcalls_before) continue;
        out << fmt::format("    {}<  {}\n", rec.subcall_names.strings()[b.name[i]],
                           format_duration(b.duration_ns[i]));
      }
    });
    if (!error.empty()) {
      ++threw;
      out << "    threw: " << error << "\n";
    }
  }
  out << fmt::format("check: {} call{}, {} threw\n", calls, calls == 1 ? "" : "s", threw);
  return threw;
}

}  // namespace gorgon
