#pragma once
// Golden-file comparison for the report tests.
//
// expect_golden("name.txt", text) compares `text` byte for byte with tests/unit/golden/name.txt.
// With GORGON_UPDATE_GOLDEN=1 in the environment it writes the file instead (then read the
// diff before committing it). On a mismatch the actual output is written next to the build's
// test binary (GORGON_GOLDEN_ACTUAL_DIR) so `diff` can show it whole.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace gorgon::test {

inline bool updating_golden() {
  const char* v = std::getenv("GORGON_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

/// The first line where `a` and `b` differ, for a readable failure.
inline std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ha = static_cast<bool>(std::getline(a, la));
    const bool hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "(only line endings differ)";
    if (!ha || !hb || la != lb)
      return "line " + std::to_string(line) + ":\n  golden: " + (ha ? la : "<end>") +
             "\n  actual: " + (hb ? lb : "<end>");
  }
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path golden = std::filesystem::path(GORGON_GOLDEN_DIR) / name;
  if (updating_golden()) {
    write_text(golden, actual);
    std::cout << "[golden] wrote " << golden.string() << "\n";
    return;
  }
  if (!std::filesystem::exists(golden)) {
    ADD_FAILURE() << "missing golden file " << golden.string()
                  << " (run the test with GORGON_UPDATE_GOLDEN=1 to create it)";
    return;
  }
  const std::string want = read_text(golden);
  if (want == actual) return;
  const std::filesystem::path out = std::filesystem::path(GORGON_GOLDEN_ACTUAL_DIR) / name;
  write_text(out, actual);
  ADD_FAILURE() << "output differs from " << golden.string() << " at "
                << first_difference(want, actual) << "\n(actual output written to " << out.string()
                << "; rerun with GORGON_UPDATE_GOLDEN=1 if the change is meant)";
}

}  // namespace gorgon::test
