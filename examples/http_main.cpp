// The original tool's HTTP example as a program of your own: mpirun -np 2 ./example_http URL
#include <curl/curl.h>
#include <gorgon/gorgon.hpp>

#include <iostream>

namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

/// One GET: the HTTP status, 0 when the request failed.
long get(const char* url) {
  CURL* curl = curl_easy_init();
  long status = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = argc > 1 ? argv[1] : "http://localhost/";
  gorgon::Gorgon test(
      [url](std::uint64_t, gorgon::Context& g) -> gorgon::Result {
        {
          auto timer = g.measurement("http call 1");
          get(url);
        }
        auto timer = g.measurement("http call 2");
        return get(url);  // the label: the second call's status
      },
      "http");
  test.go(500, 1, 1).go(500, 0, 2);  // operations, ranks (0: all), threads
  std::cout << test.small_report();
}
