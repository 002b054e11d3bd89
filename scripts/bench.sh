#!/usr/bin/env bash
# Runs the benchmarks. Each prints its figures as ratios against a reference measured in the
# same run (no absolute targets: the machines are shared and noisy).
#   scripts/bench.sh [noop|progress|h5|memory|report|http|schedules|stragglers]...
#   (default: noop progress; stragglers needs root, for the virtual cluster)
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$GORGON_ROOT/scripts/build.sh" "$GORGON_ROOT/build" >/dev/null
B="$GORGON_ROOT/build/bench"
for what in "${@:-noop progress}"; do
  for w in $what; do
    echo "== $w"
    case "$w" in
      noop) "$B/bench_noop_overhead" 2e7 1 ;;
      progress) mpiexec --oversubscribe -np 2 "$B/bench_progress_overhead" 1e7 1 ;;
      h5) mpiexec --oversubscribe -np 2 "$B/bench_h5_write" ;;
      memory) for mode in calls rate flat; do
                /usr/bin/python3 "$GORGON_ROOT/bench/memory.py" "$mode" --gorgon "$GORGON_ROOT/build/gorgon_mpi"
              done ;;
      report) /usr/bin/python3 "$GORGON_ROOT/bench/report_large.py" --gorgon "$GORGON_ROOT/build/gorgon_mpi" \
                --report "$GORGON_ROOT/build/analysis/gorgon_report" --calls 5e7 ;;
      http) bash "$GORGON_ROOT/bench/http_vs_wrk.sh" "$GORGON_ROOT/build/gorgon_mpi" ;;
      schedules) /usr/bin/python3 "$GORGON_ROOT/bench/schedules.py" share --gorgon "$GORGON_ROOT/build/gorgon_mpi" ;;
      stragglers) /usr/bin/python3 "$GORGON_ROOT/bench/schedules.py" stragglers \
                    --gorgon "$GORGON_ROOT/build/gorgon_mpi" --vcluster "$GORGON_ROOT/scripts/vcluster.sh" ;;
      *) echo "unknown benchmark '$w' (noop, progress, h5, memory, report, http, schedules, stragglers)" >&2; exit 2 ;;
    esac
  done
done
