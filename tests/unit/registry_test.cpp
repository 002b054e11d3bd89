// The registry of named operations: built-ins, duplicates, lookups and GORGON_OPERATION.
#include "gorgon/op/registry.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config_error.hpp"
#include "gorgon/base/error.hpp"

namespace {

using gorgon::ConfigError;
using gorgon::OperationInfo;
using gorgon::ParamType;
using gorgon::registry;

// A user operation, registered the way a plugin does it.
gorgon::Result parity_op(std::uint64_t number, gorgon::Context& g) {
  auto t = g.measurement("check");
  return number % 2 ? "odd" : "even";
}
GORGON_OPERATION("unit_test_parity", parity_op);
GORGON_OPERATION("unit_test_lambda", [](std::uint64_t n, gorgon::Context&) -> gorgon::Result {
  return static_cast<int>(n * 10);
});

OperationInfo trivial(const std::string& name) {
  return {name, "test", {}, [](const gorgon::Params&) -> gorgon::OperationFn {
            return [](std::uint64_t, gorgon::Context&) -> gorgon::Result { return "ok"; };
          }};
}

gorgon::Params defaults_of(const OperationInfo& op) { return {op.params, {}, op.name}; }

/// Calls `op` made with `params` once with `number`; returns its label and the sub-calls made.
std::string call_once(const OperationInfo& op, const std::map<std::string, std::string>& params,
                      std::uint64_t number, gorgon::ThreadRecord& rec) {
  gorgon::OperationFn fn = op.make(gorgon::Params(op.params, params, op.name));
  gorgon::Context ctx(rec, 0, 0, 1, 1);
  ctx.set_number(number);
  return std::string(fn(number, ctx).label());
}

TEST(Registry, BuiltinsArePresentWithTheirParameters) {
  for (const char* name : {"noop", "spin", "sleep", "hash"})
    EXPECT_TRUE(registry().contains(name)) << name;

  const OperationInfo& noop = registry().find("noop");
  EXPECT_EQ(noop.name, "noop");
  EXPECT_TRUE(noop.params.empty());

  const OperationInfo& spin = registry().find("spin");
  ASSERT_EQ(spin.params.size(), 1u);
  EXPECT_EQ(spin.params[0].name, "time");
  EXPECT_EQ(spin.params[0].type, ParamType::Duration);
  EXPECT_EQ(defaults_of(spin).duration_ns("time"), 10'000u);

  const OperationInfo& sleep = registry().find("sleep");
  ASSERT_EQ(sleep.params.size(), 1u);
  EXPECT_EQ(sleep.params[0].name, "time");
  EXPECT_EQ(sleep.params[0].type, ParamType::Duration);
  EXPECT_EQ(defaults_of(sleep).duration_ns("time"), 1'000'000u);

  const OperationInfo& hash = registry().find("hash");
  ASSERT_EQ(hash.params.size(), 1u);
  EXPECT_EQ(hash.params[0].name, "iterations");
  EXPECT_EQ(hash.params[0].type, ParamType::Integer);
  EXPECT_EQ(defaults_of(hash).integer("iterations"), 4000);
}

TEST(Registry, BuiltinsBehave) {
  gorgon::ThreadRecord rec;
  EXPECT_EQ(call_once(registry().find("noop"), {}, 3, rec), "ok");
  // hash: FAIL when number % 5 == 0, else SUCCESS.
  const OperationInfo& hash = registry().find("hash");
  EXPECT_EQ(call_once(hash, {{"iterations", "2"}}, 0, rec), "FAIL");
  EXPECT_EQ(call_once(hash, {{"iterations", "2"}}, 10, rec), "FAIL");
  EXPECT_EQ(call_once(hash, {{"iterations", "2"}}, 11, rec), "SUCCESS");
  EXPECT_THROW((void)hash.make(gorgon::Params(hash.params, {{"iterations", "0"}}, "hash")),
               ConfigError);
  // spin busy-waits at least its time.
  const std::uint64_t t0 = gorgon::now_ns();
  EXPECT_EQ(call_once(registry().find("spin"), {{"time", "2ms"}}, 1, rec), "ok");
  EXPECT_GE(gorgon::now_ns() - t0, 2'000'000u);
}

TEST(Registry, AllIsSortedByName) {
  const auto all = registry().all();
  ASSERT_GE(all.size(), 6u);  // four built-ins and this file's two
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1]->name, all[i]->name);
}

TEST(Registry, DuplicateAddThrows) {
  gorgon::Registry r;
  r.add(trivial("one"));
  EXPECT_EQ(config_error([&] { r.add(trivial("one")); }), "operation 'one' is registered twice");
  EXPECT_EQ(r.all().size(), 1u);
  // The process-wide registry refuses a second "noop" and keeps the built-in one.
  EXPECT_THROW(registry().add(trivial("noop")), ConfigError);
  EXPECT_EQ(registry().find("noop").help.substr(0, 12), "does nothing");
}

TEST(Registry, NamelessOperationThrows) {
  gorgon::Registry r;
  EXPECT_THROW(r.add(trivial("")), ConfigError);
}

TEST(Registry, FindUnknownListsKnownNames) {
  gorgon::Registry r;
  r.add(trivial("zeta"));
  r.add(trivial("alpha"));
  EXPECT_EQ(config_error([&] { (void)r.find("beta"); }),
            "unknown operation 'beta' (known: alpha, zeta)");
  EXPECT_FALSE(r.contains("beta"));
  EXPECT_TRUE(r.contains("alpha"));

  const std::string msg = config_error([] { (void)registry().find("http2"); });
  EXPECT_NE(msg.find("unknown operation 'http2' (known: "), std::string::npos) << msg;
  // Every registered name, in the order all() gives (sorted), built-ins and this file's.
  std::string names;
  for (const auto* op : registry().all()) names += (names.empty() ? "" : ", ") + op->name;
  EXPECT_EQ(msg, "unknown operation 'http2' (known: " + names + ")");
  for (const char* name : {"hash", "noop", "sleep", "spin", "unit_test_lambda", "unit_test_parity"})
    EXPECT_NE(names.find(name), std::string::npos) << name;
}

TEST(Registry, UserOperationIsUsableByName) {
  const OperationInfo& op = registry().find("unit_test_parity");
  EXPECT_EQ(op.name, "unit_test_parity");
  EXPECT_TRUE(op.params.empty());
  gorgon::ThreadRecord rec;
  EXPECT_EQ(call_once(op, {}, 7, rec), "odd");
  EXPECT_EQ(call_once(op, {}, 8, rec), "even");
  // Its measurement scope recorded one sub-call per call, under the call's number.
  ASSERT_EQ(rec.subcalls.size(), 2u);
  std::vector<std::uint64_t> numbers;
  rec.subcalls.for_each_block([&](const gorgon::SubCallBlock& b, std::size_t used) {
    for (std::size_t i = 0; i < used; ++i) numbers.push_back(b.call_number[i]);
  });
  EXPECT_EQ(numbers, (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(rec.subcall_names.strings(), std::vector<std::string>{"check"});

  // User operations take no parameters.
  EXPECT_THROW((void)gorgon::Params(op.params, {{"x", "1"}}, op.name), ConfigError);

  EXPECT_EQ(call_once(registry().find("unit_test_lambda"), {}, 20, rec), "200");
}

}  // namespace
