#!/usr/bin/env bash
# consumer_test.sh BUILD_DIR EXAMPLES_DIR MPIEXEC
# Installs the build into a temporary prefix, builds examples/ against it with
# find_package(gorgon), runs the hash program and both plugins through the installed
# gorgon_mpi, and checks the counts they report.
set -euo pipefail
build="$1" examples="$2" mpiexec="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect FILE REGEX: the report has a line matching REGEX
  grep -Eq "$2" "$1" || { cat "$1"; fail "no line matching '$2'"; }
}

echo "== install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/lib/cmake/gorgon/gorgonConfig.cmake" || fail "no package config installed"
test -x "$work/prefix/bin/gorgon_mpi" || fail "gorgon_mpi not installed"

echo "== every installed header compiles on its own against the package"
# A header that includes one that was not installed fails here, with its name.
mkdir -p "$work/headers"
{
  echo 'cmake_minimum_required(VERSION 3.20)'
  echo 'project(gorgon_headers CXX)'
  echo 'set(CMAKE_CXX_STANDARD 20)'
  echo 'find_package(gorgon REQUIRED)'
  echo 'add_library(headers OBJECT)'
  echo 'target_link_libraries(headers PRIVATE gorgon::gorgon)'
} >"$work/headers/CMakeLists.txt"
n=0
while IFS= read -r header; do
  rel="${header#"$work/prefix/include/"}"
  n=$((n + 1))
  printf '#include <%s>\n#include <%s>\n' "$rel" "$rel" >"$work/headers/h$n.cpp"
  echo "target_sources(headers PRIVATE h$n.cpp)" >>"$work/headers/CMakeLists.txt"
done < <(find "$work/prefix/include/gorgon" -name '*.hpp' | sort)
[ "$n" -gt 0 ] || fail "no header installed"
cmake -S "$work/headers" -B "$work/headers/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  >"$work/headers.log" 2>&1 && cmake --build "$work/headers/build" -j 2 >>"$work/headers.log" 2>&1 \
  || { cat "$work/headers.log"; fail "an installed header does not compile on its own"; }
echo "   $n headers"

echo "== build examples/ against the installed package"
cmake -S "$examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; fail "configure against the installed package"; }
cmake --build "$work/build" -j 2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }

echo "== the hash program (2 ranks)"
"$mpiexec" --oversubscribe -np 2 "$work/build/example_hash" >"$work/hash.txt"
expect "$work/hash.txt" "^ +Result +12000 "
expect "$work/hash.txt" "^ +FAIL +2400 "
expect "$work/hash.txt" "^ +digest< +2400 "
expect "$work/hash.txt" "^ +SUCCESS +9600 "

echo "== the hash plugin through the installed gorgon_mpi (2 ranks)"
"$mpiexec" --oversubscribe -np 2 "$work/prefix/bin/gorgon_mpi" \
  --plugin "$work/build/libexample_hash_plugin.so" --op example_hash --ops 1003 --threads 2 \
  >"$work/plugin.txt"
expect "$work/plugin.txt" "^ +Result +1003 "
expect "$work/plugin.txt" "^ +FAIL +201 "      # 0, 5, ..., 1000
expect "$work/plugin.txt" "^ +SUCCESS +802 "

echo "== the sleep plugin (GORGON_REGISTER with parameters, as docs/operations.md shows it)"
"$mpiexec" --oversubscribe -np 2 "$work/prefix/bin/gorgon_mpi" \
  --plugin "$work/build/libexample_sleep_plugin.so" --op example_sleep -p us=10 -p fail_every=4 \
  --ops 400 --threads 2 >"$work/sleep.txt"
expect "$work/sleep.txt" "^ +Result +400 "
expect "$work/sleep.txt" "^ +FAIL! +100 "       # its error rule: FAIL is a failure
expect "$work/sleep.txt" "^ +ok +300 "
expect "$work/sleep.txt" "^Errors: 100 of 400 calls"
"$mpiexec" --oversubscribe -np 2 "$work/prefix/bin/gorgon_mpi" \
  --plugin "$work/build/libexample_sleep_plugin.so" --op example_sleep -p us=-1 --ops 4 \
  >"$work/sleep_bad.txt" 2>&1 && fail "us=-1 was accepted"
grep -q "us must be >= 0" "$work/sleep_bad.txt" || { cat "$work/sleep_bad.txt"; fail "no message for us=-1"; }

echo "== the docs show the sleep plugin as it is"
docs="$examples/../docs/operations.md"
python3 - "$docs" "$examples/sleep_plugin.cpp" <<'PY' || fail "docs/operations.md's example differs from examples/sleep_plugin.cpp"
import re, sys
docs, src = open(sys.argv[1]).read(), open(sys.argv[2]).read()
blocks = re.findall(r"```cpp\n(.*?)```", docs, re.S)
sys.exit(0 if any(b == src for b in blocks) else 1)
PY

echo "== the http program and plugin against a server on loopback (nothing listening)"
# With no server the label is 0 (the request failed), and every call is still counted with
# both named sub-calls: the examples' shape is checked without needing a web server here.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$mpiexec" --oversubscribe -np 2 "$work/build/example_http" "http://127.0.0.1:$port/" >"$work/http.txt"
expect "$work/http.txt" "^ +Result +1000 "
expect "$work/http.txt" "^ +0 +1000 "
expect "$work/http.txt" "^ *http call 1< +1000 "
expect "$work/http.txt" "^ *http call 2< +1000 "
GORGON_URL="http://127.0.0.1:$port/" "$mpiexec" --oversubscribe -x GORGON_URL -np 2 \
  "$work/prefix/bin/gorgon_mpi" --plugin "$work/build/libexample_http_plugin.so" \
  --op example_http --ops 50 >"$work/http_plugin.txt"
expect "$work/http_plugin.txt" "^ +0 +50 "
expect "$work/http_plugin.txt" "^ *http call 2< +50 "
echo "install.consumer.examples: all checks passed"
