#pragma once
// gorgon_mpi's public API in one include. See docs/operations.md for a walk-through.
#include "gorgon/context.hpp"     // Context, Measurement: what an operation receives
#include "gorgon/error.hpp"       // ConfigError, MpiError
#include "gorgon/gorgon_api.hpp"  // Gorgon: go() and small_report(), like the original
#include "gorgon/operation.hpp"   // OperationFn, ParamSpec, Params, OperationInfo
#include "gorgon/registry.hpp"    // registry(), GORGON_OPERATION
#include "gorgon/result.hpp"      // Result: the label a call returns
#include "gorgon/stats.hpp"       // Summary, RunSummary, Histogram
