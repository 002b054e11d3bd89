// Params: an operation's typed parameters, checked against its ParamSpecs.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config_error.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/op/operation.hpp"

namespace {

using gorgon::ConfigError;
using gorgon::Params;
using gorgon::ParamSpec;
using gorgon::ParamType;

const std::vector<ParamSpec>& demo_specs() {
  static const std::vector<ParamSpec> specs = {
      {"count", ParamType::Integer, "10", "how many"},
      {"ratio", ParamType::Real, "0.5", "a fraction"},
      {"delay", ParamType::Duration, "2ms", "a wait"},
      {"url", ParamType::String, "http://localhost/", "where"},
      {"verbose", ParamType::Boolean, "false", "say more"},
  };
  return specs;
}

Params demo(const std::map<std::string, std::string>& given) {
  return Params(demo_specs(), given, "demo");
}

TEST(Params, DefaultsWhenNothingGiven) {
  const Params p = demo({});
  EXPECT_EQ(p.integer("count"), 10);
  EXPECT_DOUBLE_EQ(p.real("ratio"), 0.5);
  EXPECT_EQ(p.duration_ns("delay"), 2'000'000u);
  EXPECT_EQ(p.string("url"), "http://localhost/");
  EXPECT_FALSE(p.boolean("verbose"));
  const std::map<std::string, std::string> want = {{"count", "10"},
                                                   {"delay", "2ms"},
                                                   {"ratio", "0.5"},
                                                   {"url", "http://localhost/"},
                                                   {"verbose", "false"}};
  EXPECT_EQ(p.values(), want);
}

TEST(Params, GivenValuesOverrideDefaults) {
  const Params p = demo({{"count", "-42"},
                         {"ratio", "1e-3"},
                         {"delay", "1.5s"},
                         {"url", "https://example.org/x?y=1"},
                         {"verbose", "true"}});
  EXPECT_EQ(p.integer("count"), -42);
  EXPECT_DOUBLE_EQ(p.real("ratio"), 0.001);
  EXPECT_EQ(p.duration_ns("delay"), 1'500'000'000u);
  EXPECT_EQ(p.string("url"), "https://example.org/x?y=1");
  EXPECT_TRUE(p.boolean("verbose"));
  EXPECT_EQ(p.values().at("count"), "-42");  // kept as the user typed it
  EXPECT_EQ(p.values().at("delay"), "1.5s");
}

TEST(Params, BooleanSpellings) {
  for (const char* yes : {"true", "1", "yes", "on"})
    EXPECT_TRUE(demo({{"verbose", yes}}).boolean("verbose")) << yes;
  for (const char* no : {"false", "0", "no", "off"})
    EXPECT_FALSE(demo({{"verbose", no}}).boolean("verbose")) << no;
}

TEST(Params, StringTakesAnything) {
  EXPECT_EQ(demo({{"url", ""}}).string("url"), "");
  EXPECT_EQ(demo({{"url", "a=b,c"}}).string("url"), "a=b,c");
}

TEST(Params, BadValuesNameOperationParameterValueAndType) {
  struct Case {
    const char* key;
    const char* value;
    const char* type;
  };
  const Case cases[] = {
      {"count", "1.5", "an integer"},        {"count", "abc", "an integer"},
      {"count", "", "an integer"},           {"count", "99999999999999999999", "an integer"},
      {"ratio", "half", "a number"},         {"ratio", "", "a number"},
      {"delay", "10parsecs", "a duration"},  {"delay", "-1s", "a duration"},
      {"verbose", "maybe", "true or false"}, {"verbose", "TRUE", "true or false"},
  };
  for (const auto& c : cases) {
    const std::string msg = config_error([&] { (void)demo({{c.key, c.value}}); });
    const std::string want =
        "operation 'demo': parameter " + std::string(c.key) + "='" + c.value + "' is not " + c.type;
    EXPECT_EQ(msg.substr(0, want.size()), want) << msg;
  }
}

TEST(Params, UnknownKeyNamesTheAcceptedKeys) {
  const std::string msg = config_error([] { (void)demo({{"colour", "red"}}); });
  EXPECT_EQ(msg,
            "operation 'demo' has no parameter 'colour' (it takes: count, ratio, delay, url, "
            "verbose)");
}

TEST(Params, UnknownKeyForAnOperationWithoutParameters) {
  const std::string msg = config_error([] { (void)Params({}, {{"x", "1"}}, "noop"); });
  EXPECT_EQ(msg, "operation 'noop' has no parameter 'x' (it takes none)");
  EXPECT_TRUE(Params({}, {}, "noop").values().empty());
}

TEST(Params, ReadingAnUndeclaredParameterThrows) {
  const Params p = demo({});
  const std::string msg = config_error([&] { (void)p.integer("missing"); });
  EXPECT_EQ(msg, "operation 'demo' read undeclared parameter 'missing'");
  EXPECT_THROW((void)p.string("missing"), ConfigError);
  EXPECT_THROW((void)Params().boolean("verbose"), ConfigError);
}

TEST(Params, BadDefaultIsReportedToo) {
  const std::vector<ParamSpec> specs = {{"n", ParamType::Integer, "many", ""}};
  const std::string msg = config_error([&] { (void)Params(specs, {}, "broken"); });
  EXPECT_NE(msg.find("parameter n='many' is not an integer"), std::string::npos) << msg;
  // A good value given by the user replaces the bad default.
  EXPECT_EQ(Params(specs, {{"n", "3"}}, "broken").integer("n"), 3);
}

}  // namespace
