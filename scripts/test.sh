#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every CTest test (unit,
# golden, multi-rank at 1, 2 and 4 ranks, examples), then builds the unit tests again with
# AddressSanitizer and UndefinedBehaviorSanitizer and runs them.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$GORGON_ROOT/scripts/setup.sh"

echo "== build (RelWithDebInfo, warnings as errors)"
bash "$GORGON_ROOT/scripts/build.sh" "$GORGON_ROOT/build" -DGORGON_WERROR=ON
echo "== tests"
ctest --test-dir "$GORGON_ROOT/build" --output-on-failure -j "$GORGON_JOBS"

echo "== unit tests under address,undefined sanitizers"
# A Debug build (-O0): the sanitizers' checks are the point here, and it compiles in far less
# time than an optimised one.
GORGON_TARGET=unit_tests bash "$GORGON_ROOT/scripts/build.sh" "$GORGON_ROOT/build-asan" \
  -DCMAKE_BUILD_TYPE=Debug -DGORGON_SANITIZE=address,undefined -DGORGON_BUILD_BENCH=OFF \
  -DGORGON_BUILD_EXAMPLES=OFF
# OpenMPI keeps some allocations until exit by design: suppress leaks inside it only. Its
# libraries have no frame pointers, so allocation stacks are taken the slow way
# (fast_unwind_on_malloc=0): with one frame, an OpenMPI leak would not match its suppression.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$GORGON_ROOT/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --test-dir "$GORGON_ROOT/build-asan" -L unit --no-tests=error --output-on-failure -j "$GORGON_JOBS"
