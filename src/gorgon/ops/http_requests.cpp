// Parsing of the http operation's requests: request lines, requests files, header lists.
#include "gorgon/ops/http_requests.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "gorgon/base/error.hpp"

namespace gorgon::detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

/// Removes and returns the next blank-free word of `rest` (leading blanks skipped).
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  std::size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

/// Throws unless `header` reads "Name: value" with a non-empty, blank-free name.
NumberTemplate checked_header(std::string_view header) {
  const auto colon = header.find(':');
  const std::string_view name = colon == std::string_view::npos ? "" : header.substr(0, colon);
  bool ok = !name.empty();
  for (char c : name) ok = ok && !is_blank(c);
  if (!ok)
    throw ConfigError("header '" + std::string(header) + "' is not of the form 'Name: value'");
  return NumberTemplate(header);
}

/// Removes and returns the header after a `-H`: a quoted string or one word.
std::string_view next_header(std::string_view& rest) {
  rest = trim(rest);
  if (rest.empty()) throw ConfigError("-H needs a header, as -H 'Name: value'");
  const char quote = rest.front();
  if (quote != '\'' && quote != '"') return next_word(rest);
  const auto close = rest.find(quote, 1);
  if (close == std::string_view::npos)
    throw ConfigError(std::string("unterminated ") + quote + " quote after -H");
  const std::string_view header = rest.substr(1, close - 1);
  rest.remove_prefix(close + 1);
  if (!rest.empty() && !is_blank(rest.front()))
    throw ConfigError("a blank must follow the quoted header after -H");
  return header;
}

}  // namespace

void check_http_url(std::string_view url) {
  if (!starts_with_nocase(url, "http://") && !starts_with_nocase(url, "https://"))
    throw ConfigError("URL '" + std::string(url) + "' must start with http:// or https://");
  for (char c : url)
    if (is_blank(c)) throw ConfigError("URL '" + std::string(url) + "' holds a blank");
}

HttpRequest parse_request_line(std::string_view line) {
  std::string_view rest = line;
  HttpRequest r;
  const std::string_view method = next_word(rest);
  bool token = !method.empty();
  for (char c : method) token = token && (std::isupper(static_cast<unsigned char>(c)) || c == '-');
  if (!token)
    throw ConfigError("expected a method in capitals (GET, POST, ...) first, got '" +
                      std::string(method) + "'");
  r.method = method;
  const std::string_view url = next_word(rest);
  if (url.empty()) throw ConfigError("expected a URL after the method " + r.method);
  check_http_url(url);
  r.url = NumberTemplate(url);
  for (rest = trim(rest);
       rest.size() >= 2 && rest.substr(0, 2) == "-H" && (rest.size() == 2 || is_blank(rest[2]));
       rest = trim(rest)) {
    rest.remove_prefix(2);
    r.headers.push_back(checked_header(next_header(rest)));
  }
  if (!rest.empty()) {
    if (r.method == "HEAD") throw ConfigError("a HEAD request cannot have a body");
    r.body = NumberTemplate(rest);
    r.has_body = true;
  }
  return r;
}

std::vector<HttpRequest> read_requests_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read the requests file '" + path + "'");
  std::vector<HttpRequest> requests;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    try {
      requests.push_back(parse_request_line(text));
    } catch (const ConfigError& e) {
      throw ConfigError(path + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  if (in.bad()) throw ConfigError("error reading the requests file '" + path + "'");
  if (requests.empty())
    throw ConfigError("the requests file '" + path + "' holds no request (one per line: " +
                      "METHOD URL [-H 'Name: value']... [BODY])");
  return requests;
}

std::vector<NumberTemplate> parse_header_list(std::string_view text) {
  std::vector<NumberTemplate> headers;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const auto escaped = text.find("\\n");
    const auto cut = std::min(newline, escaped);
    const std::string_view header = trim(text.substr(0, cut));
    if (!header.empty()) headers.push_back(checked_header(header));
    if (cut == std::string_view::npos) break;
    text.remove_prefix(cut + (cut == newline ? 1 : 2));
  }
  return headers;
}

}  // namespace gorgon::detail
