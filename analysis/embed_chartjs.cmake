# Turns Chart.js into C++ at build time, so that gorgon_report carries it and needs no file
# when it writes an HTML report:
#   cmake -DINPUT=chart.min.js -DOUTPUT=chartjs_builtin.cpp -P embed_chartjs.cmake
# The library becomes a char array initialiser (one byte per element: no compiler's limit on
# the length of a string literal applies), and its version is read from its banner. A file
# that could not be inlined in a <script> element stops the build here, not when a report is
# written.
file(READ "${INPUT}" js)
string(TOLOWER "${js}" lower)
foreach(forbidden "</script" "<!--")
  string(FIND "${lower}" "${forbidden}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains '${forbidden}': it cannot be inlined in a <script> element")
  endif()
endforeach()
if(js MATCHES "Chart\\.js v([0-9][0-9.]*)")
  set(version "${CMAKE_MATCH_1}")
else()
  message(FATAL_ERROR "${INPUT} does not look like Chart.js (no 'Chart.js vX.Y.Z' banner)")
endif()

file(READ "${INPUT}" hex HEX)
string(REPEAT "[0-9a-f]" 64 row)                        # 32 bytes to a line
string(REGEX REPLACE "(${row})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")

file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by analysis/embed_chartjs.cmake: do not edit.
#include \"chartjs.hpp\"

namespace gorgon::analysis {
namespace {
constexpr unsigned char kChartJs[] = {
${bytes}
0};
}  // namespace

std::string_view builtin_chartjs() {
  return {reinterpret_cast<const char*>(kChartJs), sizeof kChartJs - 1};
}
std::string_view builtin_chartjs_version() { return \"${version}\"; }

}  // namespace gorgon::analysis
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
