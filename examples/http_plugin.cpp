// The original tool's HTTP example, two timed requests per call, as a plugin:
//   GORGON_URL=http://host/ mpirun -np 4 gorgon_mpi --plugin ./libexample_http_plugin.so --op
//   example_http
#include <curl/curl.h>
#include <cstdlib>
#include <gorgon/gorgon.hpp>
static long get(const char* url) {  // one GET: the HTTP status, 0 when it failed
  CURL* curl = curl_easy_init();
  long status = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return curl_easy_cleanup(curl), status;
}
gorgon::Result operation_http(std::uint64_t, gorgon::Context& g) {
  const char* url = std::getenv("GORGON_URL") ? std::getenv("GORGON_URL") : "http://localhost/";
  {
    auto timer = g.measurement("http call 1");
    get(url);
  }
  auto timer = g.measurement("http call 2");
  return get(url);  // label: the second status
}
GORGON_OPERATION("example_http", operation_http);
