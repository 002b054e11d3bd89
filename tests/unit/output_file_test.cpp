// Files written whole through a unique temporary name beside the target.
#include "gorgon/base/output_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gorgon/base/error.hpp"

namespace {
namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorgon_output_file_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(OutputFile, NamesAreUniqueBesideTheTargetAndTouchNothingElse) {
  const fs::path target = dir_ / "summary.json";
  std::ofstream(dir_ / "summary.json.tmp") << "the user's own file";
  std::set<std::string> names;
  for (int i = 0; i < 20; ++i) {
    const std::string t = gorgon::make_temp_beside(target.string());
    EXPECT_EQ(fs::path(t).parent_path(), dir_);
    EXPECT_TRUE(fs::exists(t));
    EXPECT_EQ(fs::file_size(t), 0u);
    names.insert(t);
  }
  EXPECT_EQ(names.size(), 20u);
  EXPECT_EQ(read_text(dir_ / "summary.json.tmp"), "the user's own file");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(OutputFile, TheFileGetsTheModeOfANewFile) {
  const mode_t old = ::umask(022);
  const std::string t = gorgon::make_temp_beside((dir_ / "shared.json").string());
  ::umask(old);
  EXPECT_EQ(fs::status(t).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(OutputFile, ARelativeNameGoesInTheCurrentDirectory) {
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  const std::string t = gorgon::make_temp_beside("plain.json");
  fs::current_path(cwd);
  EXPECT_TRUE(fs::exists(dir_ / fs::path(t).filename()));
  EXPECT_EQ(fs::path(t).filename().string().rfind(".plain.json.tmp-", 0), 0u);
}

TEST_F(OutputFile, AMissingDirectoryIsNamedInTheError) {
  const std::string target = (dir_ / "no" / "such" / "out.json").string();
  try {
    gorgon::make_temp_beside(target);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(target), std::string::npos) << e.what();
  }
}

TEST_F(OutputFile, WriteReplacesTheTargetWholeAndLeavesNoTemporary) {
  const fs::path target = dir_ / "out.json";
  std::ofstream(target) << "old";
  gorgon::write_file_atomically(target.string(), "new text\n");
  EXPECT_EQ(read_text(target), "new text\n");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);  // no temporary left
}

TEST_F(OutputFile, AFailedRenameLeavesTheTargetAndNoTemporary) {
  const fs::path target = dir_ / "taken";
  fs::create_directories(target / "inside");  // a non-empty directory: rename must fail
  EXPECT_THROW(gorgon::write_file_atomically(target.string(), "text"), std::runtime_error);
  EXPECT_TRUE(fs::is_directory(target / "inside"));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 0u);
}

/// Every entry of `dir`, by name.
std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST_F(OutputFile, CommitWithoutOverwriteKeepsAFileThatAppearedAndRemovesTheTemporary) {
  const fs::path target = dir_ / "out.h5";
  const std::string temp = gorgon::make_temp_beside(target.string());
  std::ofstream(target) << "someone else's";
  EXPECT_THROW(gorgon::commit_temp(temp, target.string(), false), std::runtime_error);
  EXPECT_EQ(read_text(target), "someone else's");
  EXPECT_EQ(entries(dir_), std::set<std::string>{"out.h5"});
}

TEST_F(OutputFile, CheckRefusesWhatCannotBeWrittenNamingTheOption) {
  const auto refused = [&](const fs::path& p, bool overwrite) {
    try {
      (void)gorgon::check_output({"--json", p.string()}, overwrite);
    } catch (const gorgon::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused("", false).find("--json"), std::string::npos);
  EXPECT_NE(refused(dir_, true), "");                         // a directory, even with --force
  EXPECT_NE(refused(dir_ / "no" / "such" / "x", false), "");  // a missing directory
  std::ofstream(dir_ / "notes.txt") << "keep";
  EXPECT_NE(refused(dir_ / "notes.txt", false).find("--force"), std::string::npos);
  EXPECT_EQ(refused(dir_ / "notes.txt", true), "");
  fs::create_symlink(dir_ / "nowhere", dir_ / "dangling");  // decided up front, not after
  EXPECT_NE(refused(dir_ / "dangling", false), "");
  EXPECT_EQ(refused(dir_ / "new.json", false), "");
  EXPECT_EQ(entries(dir_), (std::set<std::string>{"dangling", "notes.txt"}));  // probe gone
  EXPECT_EQ(read_text(dir_ / "notes.txt"), "keep");
}

TEST_F(OutputFile, CheckRemovesTheTemporariesOfADeadProcessAndSaysSo) {
  const fs::path target = dir_ / "r.h5";
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  // A pid that cannot be running (above pid_max), and this process's own, which is alive.
  const std::string dead = ".r.h5.tmp-" + std::string(host) + ".99999999.abcdef";
  const std::string live =
      ".r.h5.tmp-" + std::string(host) + "." + std::to_string(::getpid()) + ".abcdef";
  std::ofstream(dir_ / dead) << "x";
  std::ofstream(dir_ / live) << "x";
  const auto notes = gorgon::check_output({"-o", target.string()}, false);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find(dead), std::string::npos);
  EXPECT_EQ(entries(dir_), std::set<std::string>{live});
}

TEST_F(OutputFile, OutputsMayNotNameEachOtherOrAnInput) {
  const std::string a = (dir_ / "a").string();
  EXPECT_THROW(gorgon::check_distinct({{"-o", a}, {"--json", a}}), gorgon::ConfigError);
  EXPECT_THROW(gorgon::check_distinct({{"-o", a}, {"--json", (dir_ / "." / "a").string()}}),
               gorgon::ConfigError);
  EXPECT_THROW(gorgon::check_distinct({{"--html", a}}, {{"input", a}}), gorgon::ConfigError);
  EXPECT_NO_THROW(gorgon::check_distinct({{"-o", a}, {"--json", a + ".json"}}));
}

TEST(QuoteValue, LongValuesAreShortenedWithTheirSize) {
  EXPECT_EQ(gorgon::quote_value("abc"), "'abc'");
  const std::string q = gorgon::quote_value(std::string(1 << 20, 'k'));
  EXPECT_LT(q.size(), 120u);
  EXPECT_NE(q.find("1048576 bytes"), std::string::npos);
}

}  // namespace
