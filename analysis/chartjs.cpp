#include "chartjs.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gorgon::analysis {

void check_inlinable(std::string_view js, const std::string& what) {
  std::string lower(js);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (js.empty() || lower.find("chart") == std::string::npos)
    throw std::runtime_error(what + " does not look like Chart.js");
  if (lower.find("</script") != std::string::npos || lower.find("<!--") != std::string::npos)
    throw std::runtime_error(what + " cannot be inlined in a <script> element");
}

std::string load_chartjs(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read Chart.js at '" + path +
                             "' (leave out --chartjs to use the built-in copy)");
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string js = buf.str();
  check_inlinable(js, "'" + path + "'");
  return js;
}

}  // namespace gorgon::analysis
