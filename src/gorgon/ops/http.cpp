// The http operation: one libcurl easy handle per thread, reused across calls (keep-alive);
// label = the HTTP status or the curl error's name; libcurl's phase times as sub-calls.
#include <curl/curl.h>
#include <unistd.h>

#include <memory>
#include <mutex>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/ops/http_requests.hpp"
#include "gorgon/ops/ops.hpp"

namespace gorgon::detail {
namespace {

struct CurlErrorName {
  CURLcode code;
  const char* name;
};
#define GORGON_CURLE(x) \
  CurlErrorName { CURLE_##x, #x }
/// The curl errors a load test meets, by their short names (CURLE_ dropped).
constexpr CurlErrorName kCurlErrors[] = {GORGON_CURLE(UNSUPPORTED_PROTOCOL),
                                         GORGON_CURLE(URL_MALFORMAT),
                                         GORGON_CURLE(COULDNT_RESOLVE_PROXY),
                                         GORGON_CURLE(COULDNT_RESOLVE_HOST),
                                         GORGON_CURLE(COULDNT_CONNECT),
                                         GORGON_CURLE(WEIRD_SERVER_REPLY),
                                         GORGON_CURLE(HTTP2),
                                         GORGON_CURLE(PARTIAL_FILE),
                                         GORGON_CURLE(HTTP_RETURNED_ERROR),
                                         GORGON_CURLE(WRITE_ERROR),
                                         GORGON_CURLE(READ_ERROR),
                                         GORGON_CURLE(OUT_OF_MEMORY),
                                         GORGON_CURLE(OPERATION_TIMEDOUT),
                                         GORGON_CURLE(RANGE_ERROR),
                                         GORGON_CURLE(SSL_CONNECT_ERROR),
                                         GORGON_CURLE(TOO_MANY_REDIRECTS),
                                         GORGON_CURLE(GOT_NOTHING),
                                         GORGON_CURLE(SEND_ERROR),
                                         GORGON_CURLE(RECV_ERROR),
                                         GORGON_CURLE(SSL_CERTPROBLEM),
                                         GORGON_CURLE(SSL_CIPHER),
                                         GORGON_CURLE(PEER_FAILED_VERIFICATION),
                                         GORGON_CURLE(BAD_CONTENT_ENCODING),
                                         GORGON_CURLE(SSL_CACERT_BADFILE),
                                         GORGON_CURLE(SSL_SHUTDOWN_FAILED),
                                         GORGON_CURLE(AGAIN),
                                         GORGON_CURLE(SSL_ISSUER_ERROR),
                                         GORGON_CURLE(HTTP2_STREAM),
                                         GORGON_CURLE(HTTP3),
                                         GORGON_CURLE(SSL_CLIENTCERT)};
#undef GORGON_CURLE

/// "COULDNT_CONNECT"; "CURLE_<code>" for an error not in the table.
Result curl_error_label(CURLcode code) {
  for (const auto& e : kCurlErrors)
    if (e.code == code) return e.name;
  return "CURLE_" + std::to_string(static_cast<int>(code));
}

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) { return size * count; }

/// What every thread of one run shares, read-only: the requests and the transfer options.
struct HttpSetup {
  std::vector<HttpRequest> requests;
  std::vector<NumberTemplate> common_headers;  ///< the `header` parameter, on every request
  long timeout_ms = 0;
  long connect_timeout_ms = 0;
  bool insecure = false;
  std::string cacert;
  std::string proxy;  ///< "" for a direct connection, whatever the environment says
};

/// One request as a thread sends it: its rendered URL, body and headers, rebuilt per call
/// only when they hold `{n}`. The header list is made of our own nodes pointing into our own
/// buffers (libcurl only reads it), so a call with `{n}` in a header allocates nothing here.
struct PreparedRequest {
  const HttpRequest* request = nullptr;
  std::vector<const NumberTemplate*> header_templates;
  std::vector<std::string> header_text;
  std::vector<curl_slist> header_nodes;
  std::string url, body;
  bool templated = false;
  bool with_body = false;
  bool tls = false;  ///< an https:// URL: the call has a TLS phase

  void render(std::uint64_t number) {
    request->url.render(number, url);
    request->body.render(number, body);
    for (std::size_t i = 0; i < header_templates.size(); ++i) {
      header_templates[i]->render(number, header_text[i]);
      header_nodes[i].data = header_text[i].data();
      header_nodes[i].next = i + 1 < header_nodes.size() ? &header_nodes[i + 1] : nullptr;
    }
  }
};

/// One thread's client: its easy handle (and with it its connection cache) and buffers.
class HttpClient {
 public:
  explicit HttpClient(std::shared_ptr<const HttpSetup> setup)
      : setup_(std::move(setup)), curl_(curl_easy_init()) {
    if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &discard_body);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "gorgon_mpi/" GORGON_VERSION);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, setup_->timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, setup_->connect_timeout_ms);
    if (setup_->insecure) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!setup_->cacert.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, setup_->cacert.c_str());
    // Set even when empty: "" means no proxy, and both spare libcurl looking up http_proxy,
    // no_proxy and friends in the environment on every request.
    curl_easy_setopt(curl_, CURLOPT_PROXY, setup_->proxy.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "");
    prepared_.resize(setup_->requests.size());
    for (std::size_t i = 0; i < prepared_.size(); ++i) {
      PreparedRequest& p = prepared_[i];
      p.request = &setup_->requests[i];
      for (const auto& h : p.request->headers) p.header_templates.push_back(&h);
      for (const auto& h : setup_->common_headers) p.header_templates.push_back(&h);
      p.header_text.resize(p.header_templates.size());
      p.header_nodes.resize(p.header_templates.size());
      p.templated = p.request->url.has_number() || p.request->body.has_number();
      for (const auto* h : p.header_templates) p.templated = p.templated || h->has_number();
      const std::string& m = p.request->method;
      p.with_body = p.request->has_body || m == "POST" || m == "PUT" || m == "PATCH";
      const std::string& url = p.request->url.text();
      p.tls = url.size() > 5 && (url[4] == 's' || url[4] == 'S');  // checked: http(s)://
      p.render(0);
    }
  }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient() { curl_easy_cleanup(curl_); }

  Result call(std::uint64_t number, Context& g) {
    const std::size_t index = number % prepared_.size();
    PreparedRequest& p = prepared_[index];
    if (p.templated) p.render(number);
    if (p.templated || index != applied_) apply(p);
    applied_ = index;

    const std::uint64_t t0 = now_ns();
    const CURLcode code = curl_easy_perform(curl_);
    record_phases(t0, p.tls, g);
    if (code != CURLE_OK) return curl_error_label(code);
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }

 private:
  /// Points the handle at request `p`: URL, headers, method and body.
  void apply(const PreparedRequest& p) {
    const std::string& m = p.request->method;
    curl_easy_setopt(curl_, CURLOPT_URL, p.url.c_str());
    curl_easy_setopt(
        curl_, CURLOPT_HTTPHEADER,
        p.header_nodes.empty() ? static_cast<curl_slist*>(nullptr) : p.header_nodes.data());
    if (m == "HEAD") {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    } else if (p.with_body) {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 0L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(p.body.size()));
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, p.body.data());  // read, not copied
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, m == "POST" ? nullptr : m.c_str());
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, m == "GET" ? nullptr : m.c_str());
    }
  }

  /// libcurl's phase times of the last transfer (microseconds since it began, 0 for phases
  /// it skipped or never reached), recorded as consecutive sub-calls from `t0`; "tls" only
  /// for https:// requests.
  void record_phases(std::uint64_t t0, bool tls_phase, Context& g) {
    auto info = [&](CURLINFO what) -> std::uint64_t {
      curl_off_t us = 0;
      curl_easy_getinfo(curl_, what, &us);
      return us > 0 ? static_cast<std::uint64_t>(us) * 1000 : 0;
    };
    const std::uint64_t lookup = info(CURLINFO_NAMELOOKUP_TIME_T);
    const std::uint64_t connect = std::max(lookup, info(CURLINFO_CONNECT_TIME_T));
    const std::uint64_t tls = std::max(connect, info(CURLINFO_APPCONNECT_TIME_T));
    const std::uint64_t first = std::max(tls, info(CURLINFO_STARTTRANSFER_TIME_T));
    const std::uint64_t total = info(CURLINFO_TOTAL_TIME_T);
    g.record("name lookup", t0, lookup);
    g.record("connect", t0 + lookup, connect - lookup);
    if (tls_phase) g.record("tls", t0 + connect, tls - connect);
    g.record("first byte", t0 + tls, first - tls);
    g.record("total", t0, total);
  }

  std::shared_ptr<const HttpSetup> setup_;
  CURL* curl_;
  std::vector<PreparedRequest> prepared_;
  std::size_t applied_ = static_cast<std::size_t>(-1);
};

long to_ms(std::uint64_t ns) {  // rounded up, so that 500us is 1ms rather than "none"
  return static_cast<long>((ns + 999'999) / 1'000'000);
}

std::shared_ptr<const HttpSetup> http_setup(const Params& p) {
  auto s = std::make_shared<HttpSetup>();
  const std::string& url = p.string("url");
  const std::string& file = p.string("requests");
  const std::string& method = p.string("method");
  const std::string& body = p.string("body");
  if (url.empty() == file.empty())
    throw ConfigError("operation 'http': give either url=URL or requests=FILE");
  if (!file.empty()) {
    if (!method.empty() || !body.empty())
      throw ConfigError(
          "operation 'http': with requests=FILE, methods and bodies go in the "
          "file; drop method= and body=");
    s->requests = read_requests_file(file);
  } else {
    std::string line = (method.empty() ? (body.empty() ? "GET" : "POST") : method) + " " + url;
    try {
      HttpRequest r = parse_request_line(line);
      if (!body.empty()) {
        if (r.method == "HEAD") throw ConfigError("a HEAD request cannot have a body");
        r.body = NumberTemplate(body);
        r.has_body = true;
      }
      s->requests.push_back(std::move(r));
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("operation 'http': ") + e.what());
    }
  }
  try {
    s->common_headers = parse_header_list(p.string("header"));
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("operation 'http': ") + e.what());
  }
  s->timeout_ms = to_ms(p.duration_ns("timeout"));
  s->connect_timeout_ms = to_ms(p.duration_ns("connect_timeout"));
  s->insecure = p.boolean("insecure");
  s->cacert = p.string("cacert");
  s->proxy = p.string("proxy");
  if (!s->cacert.empty() && access(s->cacert.c_str(), R_OK) != 0)
    throw ConfigError("operation 'http': cannot read cacert '" + s->cacert + "'");
  return s;
}

}  // namespace

OperationInfo http_operation() {
  return {"http",
          "an HTTP request per call with libcurl (one handle and connection per thread, kept "
          "alive); label: the HTTP status (200, 404) or the curl error (COULDNT_CONNECT, "
          "OPERATION_TIMEDOUT); sub-calls: name lookup, connect, tls (https only), first byte, "
          "total",
          {{"url", ParamType::String, "", "the URL of every call; {n} is the call's number"},
           {"requests", ParamType::String, "",
            "file of requests, one a line: METHOD URL [-H 'Name: value']... [BODY]; "
            "call n sends line n % lines (instead of url)"},
           {"method", ParamType::String, "",
            "with url: GET, POST, ... (default GET, or POST "
            "when a body is given)"},
           {"body", ParamType::String, "", "with url: the request body; {n} is replaced"},
           {"header", ParamType::String, "",
            "headers added to every request, 'Name: value', several separated by \\n"},
           {"timeout", ParamType::Duration, "30s", "the whole request's time limit (0: none)"},
           {"connect_timeout", ParamType::Duration, "10s", "the connection's time limit"},
           {"insecure", ParamType::Boolean, "false", "do not verify the TLS peer and host"},
           {"cacert", ParamType::String, "", "CA certificates file (PEM) for TLS"},
           {"proxy", ParamType::String, "",
            "proxy URL; empty: connect directly (http_proxy and the like are ignored)"}},
          [](const Params& p) -> OperationFn {
            static std::once_flag init;
            std::call_once(init, [] {
              if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                throw std::runtime_error("curl_global_init failed");
            });
            // Shared, not moved into the std::function: OperationFn must be copyable.
            auto client = std::make_shared<HttpClient>(http_setup(p));
            return [client](std::uint64_t number, Context& g) { return client->call(number, g); };
          },
          LabelRule::ok("1xx,2xx,3xx"),
          [](const Params& p) { (void)http_setup(p); }};
}

}  // namespace gorgon::detail
