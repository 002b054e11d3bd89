// The original tool's HTTP example as a program of your own: mpirun -np 2 ./example_http URL
#include <curl/curl.h>
#include <gorgon/gorgon.hpp>
#include <iostream>
static long get(const char* url) {  // one GET: the HTTP status, 0 when it failed
  CURL* curl = curl_easy_init();
  long status = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return curl_easy_cleanup(curl), status;
}
int main(int argc, char** argv) {
  const char* url = argc > 1 ? argv[1] : "http://localhost/";
  std::cout << gorgon::Gorgon([url](std::uint64_t, gorgon::Context& g) -> gorgon::Result {
    { auto timer = g.measurement("http call 1"); get(url); }
    auto timer = g.measurement("http call 2"); return get(url);  // label: the second status
  }).go(500, 1, 1).go(500, 0, 2).small_report();  // operations, ranks, threads
}
