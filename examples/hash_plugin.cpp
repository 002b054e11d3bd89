// The original tool's hash example as a plugin:
//   mpirun -np 4 gorgon_mpi --plugin ./libexample_hash_plugin.so --op example_hash --ops 4000
#include <openssl/evp.h>
#include <gorgon/gorgon.hpp>
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
GORGON_OPERATION("example_hash", operation_hash);
