#pragma once
// Check mode: a few calls, one after another, in one thread, each printed in full — to see
// that an operation works, and to debug it, before multiplying it.
#include <cstdint>
#include <iosfwd>

#include "gorgon/op/operation.hpp"
#include "gorgon/run/runspec.hpp"

namespace gorgon {

/// Calls `op` for the numbers spec.seed .. spec.seed + calls - 1 serially in this thread and
/// prints, per call, its number, label, duration, sub-calls with durations, and the
/// exception text if it threw. No MPI, no threads, no file. Returns how many calls threw.
std::uint64_t run_check(const RunSpec& spec, const OperationInfo& op, std::uint64_t calls,
                        std::ostream& out);

}  // namespace gorgon
