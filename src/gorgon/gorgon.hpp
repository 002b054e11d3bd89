#pragma once
// gorgon_mpi's public API in one include. See docs/operations.md for a walk-through.
#include "gorgon/api/gorgon_api.hpp"  // Gorgon: go() and small_report(), like the original
#include "gorgon/base/error.hpp"      // ConfigError, MpiError
#include "gorgon/op/context.hpp"      // Context, Measurement: what an operation receives
#include "gorgon/op/operation.hpp"    // OperationFn, ParamSpec, Params, OperationInfo
#include "gorgon/op/registry.hpp"     // registry(), GORGON_OPERATION
#include "gorgon/op/result.hpp"       // Result: the label a call returns
#include "gorgon/stats/summary.hpp"   // Summary, RunSummary, Histogram
