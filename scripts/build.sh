#!/usr/bin/env bash
# Configures and builds gorgon_mpi into a build directory (default build/).
#   scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# GORGON_TARGET=NAME builds that target (and what it needs) instead of everything.
set -euo pipefail
source "$(dirname "$0")/env.sh"
BUILD_DIR="${1:-$GORGON_ROOT/build}"
shift || true
cmake -S "$GORGON_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$GORGON_JOBS" ${GORGON_TARGET:+--target "$GORGON_TARGET"}
