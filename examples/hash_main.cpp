// The original tool's hash example as a program of your own: mpirun -np 2 ./example_hash
#include <openssl/evp.h>
#include <gorgon/gorgon.hpp>

#include <iostream>
#include <string>

gorgon::Result operation_hash(std::uint64_t number, gorgon::Context& g) {
  auto timer = g.measurement("digest");  // a named sub-call, timed until scope end
  const std::string text = "TEXT " + std::to_string(number);
  unsigned char digest[EVP_MAX_MD_SIZE];
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha512(), nullptr);
  for (int i = 0; i < 4000; ++i) EVP_DigestUpdate(md, text.data(), text.size());
  EVP_DigestFinal_ex(md, digest, nullptr);
  EVP_MD_CTX_free(md);
  return number % 5 == 0 ? "FAIL" : "SUCCESS";
}

int main() {
  gorgon::Gorgon test(operation_hash, "hash");
  // go(operations, ranks (0: all), threads), one run each, as the original did
  test.go(4000, 1, 1).go(4000, 1, 2).go(4000, 0, 2);
  std::cout << test.small_report();  // printed by rank 0 only
}
