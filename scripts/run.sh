#!/usr/bin/env bash
# The main job: installs what is missing, builds if needed, then runs the hash operation as
# a suite of ranks x threads configurations on 4 ranks, prints the report, and writes under
# out/ the JSON summary, the HDF5 file of every call and the HTML report made from it.
#   scripts/run.sh [extra gorgon_mpi options...]
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$GORGON_ROOT/scripts/setup.sh"
bash "$GORGON_ROOT/scripts/build.sh" "$GORGON_ROOT/build"
OUT="$GORGON_ROOT/out"
mkdir -p "$OUT"
set -x
mpirun --oversubscribe -np 4 "$GORGON_ROOT/build/gorgon_mpi" \
  --op hash --ops 40000 --runs 1x1,2x1,2x2,4x2 \
  --json "$OUT/hash.json" -o "$OUT/hash.h5" --force "$@"
"$GORGON_ROOT/build/analysis/gorgon_report" "$OUT/hash.h5" --html "$OUT/hash.html" --force >/dev/null
set +x
echo "report: $OUT/hash.html (raw calls: $OUT/hash.h5, summary: $OUT/hash.json)"
