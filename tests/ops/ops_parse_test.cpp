// The pieces of the http, exec and file operations that need no server: `{n}` templates,
// command splitting, request lines and files, header lists, errno and signal names.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "gorgon/base/error.hpp"
#include "gorgon/op/registry.hpp"
#include "gorgon/ops/http_requests.hpp"
#include "gorgon/ops/ops.hpp"

namespace gorgon::detail {
namespace {

std::string rendered(const NumberTemplate& t, std::uint64_t n) {
  std::string out = "left over";
  t.render(n, out);
  return out;
}

TEST(NumberTemplate, ReplacesEveryPlaceholder) {
  const NumberTemplate t("/item/{n}?x={n}&y={n}");
  EXPECT_TRUE(t.has_number());
  EXPECT_EQ(rendered(t, 42), "/item/42?x=42&y=42");
  EXPECT_EQ(rendered(t, 18446744073709551615ull),
            "/item/18446744073709551615?x=18446744073709551615&y=18446744073709551615");
  EXPECT_EQ(t.text(), "/item/{n}?x={n}&y={n}");
}

TEST(NumberTemplate, TextWithoutPlaceholderIsKept) {
  const NumberTemplate t("{x} {N} {n");
  EXPECT_FALSE(t.has_number());
  EXPECT_EQ(rendered(t, 7), "{x} {N} {n");
  EXPECT_EQ(rendered(NumberTemplate(""), 7), "");
  EXPECT_EQ(rendered(NumberTemplate("{n}"), 0), "0");
  EXPECT_EQ(rendered(NumberTemplate("{n}{n}"), 12), "1212");
}

TEST(SplitCommand, BlanksQuotesAndEscapes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_command("  test {n}   -lt 5 "), (V{"test", "{n}", "-lt", "5"}));
  EXPECT_EQ(split_command("echo 'a  b' \"c \\\" d\" e\\ f"), (V{"echo", "a  b", "c \" d", "e f"}));
  EXPECT_EQ(split_command("x'y'\"z\" ''"), (V{"xyz", ""}));
  EXPECT_EQ(split_command("'$HOME' \"\\n\""), (V{"$HOME", "\\n"}));
  EXPECT_TRUE(split_command(" \t ").empty());
  EXPECT_THROW(split_command("echo 'open"), ConfigError);
  EXPECT_THROW(split_command("echo \"open"), ConfigError);
  EXPECT_THROW(split_command("echo \\"), ConfigError);
}

TEST(RequestLine, MethodUrlHeadersBody) {
  const HttpRequest r = parse_request_line(
      "POST http://127.0.0.1:8080/items/{n} -H 'Content-Type: application/json' "
      "-H \"X-Call: {n}\" -H X-Plain:1   {\"n\": {n}, \"s\": \"a b\"}  ");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(rendered(r.url, 3), "http://127.0.0.1:8080/items/3");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(rendered(r.headers[0], 3), "Content-Type: application/json");
  EXPECT_EQ(rendered(r.headers[1], 3), "X-Call: 3");
  EXPECT_EQ(rendered(r.headers[2], 3), "X-Plain:1");
  EXPECT_TRUE(r.has_body);
  EXPECT_EQ(rendered(r.body, 3), "{\"n\": 3, \"s\": \"a b\"}");
}

TEST(RequestLine, GetWithoutBody) {
  const HttpRequest r = parse_request_line("GET https://example.org/x");
  EXPECT_EQ(r.method, "GET");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_FALSE(r.has_body);
}

TEST(RequestLine, Errors) {
  EXPECT_THROW(parse_request_line("get http://x/"), ConfigError);           // lower case
  EXPECT_THROW(parse_request_line("GET"), ConfigError);                     // no URL
  EXPECT_THROW(parse_request_line("GET ftp://x/"), ConfigError);            // not http
  EXPECT_THROW(parse_request_line("GET http://x/ -H"), ConfigError);        // -H alone
  EXPECT_THROW(parse_request_line("GET http://x/ -H 'A: b"), ConfigError);  // open quote
  EXPECT_THROW(parse_request_line("GET http://x/ -H 'no colon'"), ConfigError);
  EXPECT_THROW(parse_request_line("HEAD http://x/ body"), ConfigError);
}

TEST(HeaderList, NewlinesAndEscapedNewlines) {
  const auto h = parse_header_list("A: 1\\nB: {n}\n\n  C:3  ");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(rendered(h[0], 9), "A: 1");
  EXPECT_EQ(rendered(h[1], 9), "B: 9");
  EXPECT_EQ(rendered(h[2], 9), "C:3");
  EXPECT_TRUE(parse_header_list("").empty());
  EXPECT_THROW(parse_header_list("A: 1\\nnot a header"), ConfigError);
}

class RequestsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "gorgon_requests_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string message() {
    try {
      read_requests_file(path_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  std::string path_;
};

TEST_F(RequestsFile, SkipsBlankLinesAndComments) {
  write("# requests\n\nGET http://h/a/{n}\n   # indented comment\nDELETE http://h/b\r\n");
  const auto r = read_requests_file(path_);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(rendered(r[0].url, 5), "http://h/a/5");
  EXPECT_EQ(r[1].method, "DELETE");
  EXPECT_EQ(rendered(r[1].url, 5), "http://h/b");
}

TEST_F(RequestsFile, ErrorsNameFileAndLine) {
  write("# ok\nGET http://h/a\n\nPOST nowhere\n");
  EXPECT_EQ(message().rfind(path_ + ":4: ", 0), 0u) << message();
  write("# only comments\n\n");
  EXPECT_NE(message().find("holds no request"), std::string::npos) << message();
  std::remove(path_.c_str());
  EXPECT_NE(message().find("cannot read"), std::string::npos) << message();
}

TEST(Names, ErrnoAndSignals) {
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_name(ENOTDIR), "ENOTDIR");
  EXPECT_EQ(errno_name(ENOSPC), "ENOSPC");
  EXPECT_EQ(errno_name(99999), "errno 99999");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
}

TEST(Registry, TheOperationsAndTheirParameters) {
  auto names = [](const OperationInfo& op) {
    std::vector<std::string> v;
    for (const auto& p : op.params) v.push_back(p.name);
    return v;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(registry().find("http")),
            (V{"url", "requests", "method", "body", "header", "timeout", "connect_timeout",
               "insecure", "cacert", "proxy"}));
  EXPECT_EQ(names(registry().find("exec")),
            (V{"command", "shell", "capture_failures", "capture_dir"}));
  EXPECT_EQ(names(registry().find("file")), (V{"dir", "ops", "size", "cleanup"}));
}

TEST(Registry, SetUpErrorsAreConfigErrors) {
  auto make = [](const std::string& op, std::map<std::string, std::string> given) {
    const OperationInfo& info = registry().find(op);
    return info.make(Params(info.params, given, op));
  };
  EXPECT_THROW(make("http", {}), ConfigError);  // neither url nor requests
  EXPECT_THROW(make("http", {{"url", "http://h/"}, {"requests", "f"}}), ConfigError);
  EXPECT_THROW(make("http", {{"requests", "/nonexistent/requests.txt"}}), ConfigError);
  EXPECT_THROW(make("http", {{"url", "http://h/"}, {"header", "bad"}}), ConfigError);
  EXPECT_THROW(make("http", {{"url", "http://h/"}, {"cacert", "/nonexistent.pem"}}), ConfigError);
  EXPECT_NO_THROW(make("http", {{"url", "http://h/{n}"}, {"method", "PUT"}, {"body", "{n}"}}));
  EXPECT_THROW(make("exec", {}), ConfigError);
  EXPECT_THROW(make("exec", {{"command", "echo 'x"}}), ConfigError);
  EXPECT_THROW(make("exec", {{"command", "true"},
                             {"capture_failures", "true"},
                             {"capture_dir", "/nonexistent/dir"}}),
               ConfigError);
  EXPECT_NO_THROW(make("exec", {{"command", "true"}}));
  EXPECT_THROW(make("file", {{"ops", "create,chmod"}}), ConfigError);
  EXPECT_THROW(make("file", {{"ops", "create,create"}}), ConfigError);
  EXPECT_THROW(make("file", {{"ops", ""}}), ConfigError);
  EXPECT_THROW(make("file", {{"size", "-1"}}), ConfigError);
  EXPECT_NO_THROW(make("file", {{"ops", "stat"}}));
}

}  // namespace
}  // namespace gorgon::detail
