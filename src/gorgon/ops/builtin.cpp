// The built-in operations: noop (the harness's own floor), spin, sleep and hash; http, exec
// and file live in their own files (ops.hpp).
#include <openssl/evp.h>

#include <cstdio>
#include <thread>

#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/ops/ops.hpp"

namespace gorgon::detail {
namespace {

OperationInfo noop_op() {
  return {"noop",
          "does nothing and returns 'ok': measures the harness's own per-call cost",
          {},
          [](const Params&) -> OperationFn {
            return [](std::uint64_t, Context&) -> Result { return "ok"; };
          }};
}

OperationInfo spin_op() {
  return {"spin",
          "busy-waits on the clock for a given time, returns 'ok'",
          {{"time", ParamType::Duration, "10us", "how long each call spins"}},
          [](const Params& p) -> OperationFn {
            const std::uint64_t ns = p.duration_ns("time");
            return [ns](std::uint64_t, Context&) -> Result {
              const std::uint64_t end = now_ns() + ns;
              while (now_ns() < end) {
              }
              return "ok";
            };
          }};
}

OperationInfo sleep_op() {
  return {"sleep",
          "sleeps for a given time, returns 'ok'",
          {{"time", ParamType::Duration, "1ms", "how long each call sleeps"}},
          [](const Params& p) -> OperationFn {
            const auto d = std::chrono::nanoseconds(p.duration_ns("time"));
            return [d](std::uint64_t, Context&) -> Result {
              std::this_thread::sleep_for(d);
              return "ok";
            };
          }};
}

/// The example the original tool was known by: SHA-512 updated `iterations` times with
/// "TEXT <number>"; FAIL when number % 5 == 0, SUCCESS otherwise.
class HashOp {
 public:
  explicit HashOp(std::int64_t iterations)
      : iterations_(iterations), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_) throw std::runtime_error("EVP_MD_CTX_new failed");
  }
  Result operator()(std::uint64_t number, Context&) {
    char text[32];
    const int len =
        std::snprintf(text, sizeof text, "TEXT %llu", static_cast<unsigned long long>(number));
    if (EVP_DigestInit_ex(ctx_.get(), EVP_sha512(), nullptr) != 1)
      throw std::runtime_error("EVP_DigestInit_ex failed");
    for (std::int64_t i = 0; i < iterations_; ++i)
      EVP_DigestUpdate(ctx_.get(), text, static_cast<std::size_t>(len));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest, &size) != 1)
      throw std::runtime_error("EVP_DigestFinal_ex failed");
    return number % 5 == 0 ? "FAIL" : "SUCCESS";
  }

 private:
  std::int64_t iterations_;
  std::shared_ptr<EVP_MD_CTX> ctx_;  // shared: OperationFn must be copyable
};

std::int64_t hash_iterations(const Params& p) {
  const std::int64_t it = p.integer("iterations");
  if (it < 1)
    throw ConfigError("operation 'hash': iterations must be at least 1, got " + std::to_string(it));
  return it;
}

OperationInfo hash_op() {
  return {"hash",
          "SHA-512 of \"TEXT <number>\" updated `iterations` times; FAIL when number % 5 == 0, "
          "else SUCCESS",
          {{"iterations", ParamType::Integer, "4000", "digest updates per call"}},
          [](const Params& p) -> OperationFn { return HashOp(hash_iterations(p)); },
          LabelRule::errors("FAIL"),
          [](const Params& p) { (void)hash_iterations(p); }};
}

}  // namespace

void register_builtin_operations(Registry& r) {
  r.add(noop_op());
  r.add(spin_op());
  r.add(sleep_op());
  r.add(hash_op());
  r.add(http_operation());
  r.add(exec_operation());
  r.add(file_operation());
}

}  // namespace gorgon::detail
