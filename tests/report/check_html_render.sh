#!/usr/bin/env bash
# Renders gorgon_report's HTML reports in headless Chromium and checks, from the DOM the page
# leaves (--dump-dom), that every chart was drawn, that no script error was raised, that the
# page loaded nothing (it counts its resource loads, and reports a request its
# Content-Security-Policy blocked as an error), and that hostile labels created no element.
#
#   check_html_render.sh [--fixture PROGRAM DIR] [PAGE.html ...]
#
# --fixture runs `PROGRAM DIR` (report_html_fixture), then checks DIR/suite.html,
# DIR/hostile.html and DIR/single.html, and that DIR/broken.html (one undrawable chart) is
# reported as failing, which shows the checks can fail. DOM dumps are left next to each page.
# Exits 77 (CTest SKIP_RETURN_CODE) only when no Chromium is installed.
set -uo pipefail

pages=()
broken=""
if [ "${1:-}" = "--fixture" ]; then
  fixture=$2 dir=$3
  shift 3
  rm -rf "$dir" && mkdir -p "$dir"
  "$fixture" "$dir" || { echo "FAIL: $fixture could not write the reports"; exit 1; }
  pages=("$dir/suite.html" "$dir/hostile.html" "$dir/single.html")
  broken="$dir/broken.html"
fi
pages+=("$@")
[ ${#pages[@]} -gt 0 ] || { echo "usage: $0 [--fixture PROGRAM DIR] [PAGE.html ...]"; exit 2; }

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
  echo "SKIP: no chromium found (scripts/setup.sh installs it; or set CHROMIUM=/path)"
  exit 77
fi

# One headless Chromium per page, in parallel (start-up dominates); a fresh profile each.
# --virtual-time-budget lets the page's scripts finish before the DOM is dumped.
render() {
  local page=$1 profile
  profile=$(mktemp -d)
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1280,2000 --virtual-time-budget=10000 \
    --dump-dom "file://$(realpath "$page")" >"$page.dom" 2>"$page.chromium.log"
  echo $? >"$page.status"
  rm -rf "$profile"
}
for page in "${pages[@]}" $broken; do render "$page" & done
wait

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if [ -n "$broken" ]; then
  if [ "$(cat "$broken.status")" != 0 ] || ! grep -q '<html[^>]*data-render="error"' "$broken.dom" ||
     ! grep -q 'chart "no-such-chart": no builder' "$broken.dom"; then
    fail "$(basename "$broken"): a page with an undrawable chart was not reported as failing"
  else
    echo "$(basename "$broken"): reported as failing, as it must"
  fi
fi

for page in "${pages[@]}"; do
  name=$(basename "$page") dom="$page.dom"
  status=$(cat "$page.status")
  if [ "$status" != 0 ]; then
    fail "$name: chromium exited with $status (see $page.chromium.log)"
    continue
  fi
  expected=$(grep -o 'data-charts-expected="[0-9]*"' "$dom" | grep -o '[0-9]*')
  drawn=$(grep -o 'data-charts-drawn="[0-9]*"' "$dom" | grep -o '[0-9]*')
  requests=$(grep -o 'data-requests="[0-9]*"' "$dom" | grep -o '[0-9]*')
  errors=$(sed -n 's:.*<pre id="gorgon-errors"[^>]*>\(.*\)</pre>.*:\1:p' "$dom")
  grep -q '<html[^>]*data-render="ok"' "$dom" || fail "$name: the page did not report data-render=\"ok\""
  [ -n "$expected" ] && [ "$expected" -gt 0 ] || fail "$name: no chart on the page"
  [ "${drawn:-x}" = "${expected:-y}" ] || fail "$name: $drawn of $expected charts drawn"
  [ "${requests:-x}" = 0 ] || fail "$name: the page loaded ${requests:-an unknown number of} resources"
  [ -z "$errors" ] || fail "$name: script errors: $errors"
  grep -q '<pre id="gorgon-errors" hidden=""></pre>' "$dom" || fail "$name: the error box is not empty and hidden"
  # No element may come from the file's strings (the hostile label is an <img onerror>).
  if grep -q '<img' "$dom"; then fail "$name: an <img> element appeared in the DOM"; fi
  echo "$name: ${drawn:-0}/${expected:-0} charts drawn, ${requests:-?} requests, $(grep -o 'data-render="[a-z]*"' "$dom" | head -1)"
done

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed; the pages and their DOM dumps (*.dom) are in place"
  exit 1
fi
echo "OK: every chart drawn, no script error, no request, hostile strings inert"
