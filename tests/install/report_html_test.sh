#!/usr/bin/env bash
# report_html_test.sh BUILD_DIR MPIEXEC PYTHON CHECKER
# Installs the build into a temporary prefix, makes a results file with the installed
# gorgon_mpi, then renders its HTML report with the installed gorgon_report while Debian's
# Chart.js is out of sight (a private mount namespace with an empty tmpfs over
# /usr/share/javascript), and checks in Chromium that the page has its charts drawn: the
# program carries Chart.js and needs no file of it at run time.
# Exits 77 (skipped) when /usr/share/javascript cannot be hidden (not root, or no unshare).
set -euo pipefail
build="$1" mpiexec="$2" python="$3" checker="$4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

hidden=/usr/share/javascript
if [ -d "$hidden" ]; then
  command -v unshare >/dev/null || { echo "SKIP: no unshare to hide $hidden"; exit 77; }
  unshare -m true 2>/dev/null ||
    { echo "SKIP: cannot make a mount namespace to hide $hidden (needs root)"; exit 77; }
fi

echo "== install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/gorgon_report" || fail "gorgon_report not installed"

echo "== a results file from the installed gorgon_mpi (2 ranks)"
"$mpiexec" --oversubscribe -np 2 "$work/prefix/bin/gorgon_mpi" --op hash --ops 4000 --threads 2 \
  -o "$work/run.h5" -q >/dev/null

echo "== the HTML report with $hidden hidden"
# In the namespace: the tmpfs hides Chart.js (asking for it by path must fail), and the
# installed gorgon_report still writes a report.
hide_and_render() {
  if [ -d "$hidden" ]; then
    unshare -m bash -c '
      set -eu
      mount -t tmpfs gorgon-test "$1"
      ! test -e "$1/chart.js/chart.min.js" || { echo "Chart.js is still visible"; exit 1; }
      if "$2" "$3" --html "$4.by_path" --chartjs "$1/chart.js/chart.min.js" 2>/dev/null; then
        echo "Chart.js could still be read by path"; exit 1
      fi
      "$2" "$3" --html "$4"
    ' _ "$hidden" "$work/prefix/bin/gorgon_report" "$work/run.h5" "$work/run.html"
  else
    "$work/prefix/bin/gorgon_report" "$work/run.h5" --html "$work/run.html"
  fi
}
hide_and_render >"$work/render.log" 2>&1 || { cat "$work/render.log"; fail "no HTML report without $hidden"; }
test -s "$work/run.html" || fail "no HTML report written"

echo "== the page in Chromium"
set +e
"$python" "$checker" "$work/run.html"
status=$?
set -e
[ "$status" -eq 77 ] && exit 77
[ "$status" -eq 0 ] || fail "the report rendered without Debian's Chart.js is not right"
echo "install.report.html_without_debian_chartjs: all checks passed"
