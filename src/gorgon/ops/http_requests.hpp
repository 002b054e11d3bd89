#pragma once
// The requests of the http operation: its `url`/`method`/`body`/`header` parameters or a
// requests file, parsed and checked at set-up (errors are ConfigErrors naming file:line).
#include <string>
#include <string_view>
#include <vector>

#include "gorgon/ops/ops.hpp"

namespace gorgon::detail {

/// One request the http operation can make; `{n}` in the URL, headers and body stands for the
/// call's number.
struct HttpRequest {
  std::string method = "GET";
  NumberTemplate url;
  std::vector<NumberTemplate> headers;  ///< "Name: value"
  NumberTemplate body;
  bool has_body = false;
};

/// Parses one line of a requests file (not blank, not a comment):
///
///     METHOD URL [-H 'Name: value']... [BODY]
///     POST http://127.0.0.1:8080/items/{n} -H 'Content-Type: application/json' {"n": {n}}
///
/// METHOD is an upper-case token (GET, POST, PUT, DELETE, HEAD, ...); URL starts with http://
/// or https:// and holds no blanks; each `-H` takes one header, in single or double quotes
/// (kept literally) or as one blank-free word; whatever follows is the body, verbatim up to
/// the end of the line (trailing blanks dropped). Throws ConfigError without a location.
HttpRequest parse_request_line(std::string_view line);

/// Every request of a requests file, in order: one per line, blank lines and lines starting
/// with '#' skipped. Throws ConfigError naming the file (and line) when the file cannot be
/// read, holds no request, or a line does not parse.
std::vector<HttpRequest> read_requests_file(const std::string& path);

/// The `header` parameter: headers separated by newlines or by the two characters `\n`
/// (as typed on a command line), blanks around each dropped, empty ones skipped. Each must
/// read "Name: value"; throws ConfigError otherwise.
std::vector<NumberTemplate> parse_header_list(std::string_view text);

/// Throws ConfigError unless `url` starts with http:// or https:// and holds no blank.
void check_http_url(std::string_view url);

}  // namespace gorgon::detail
