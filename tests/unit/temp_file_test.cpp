// Files written whole through a unique temporary name beside the target.
#include "gorgon/base/temp_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {
namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorgon_temp_file_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(TempFile, NamesAreUniqueBesideTheTargetAndTouchNothingElse) {
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

TEST_F(TempFile, TheFileGetsTheModeOfANewFile) {
  const mode_t old = ::umask(022);
  const std::string t = gorgon::make_temp_beside((dir_ / "shared.json").string());
  ::umask(old);
  EXPECT_EQ(fs::status(t).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(TempFile, ARelativeNameGoesInTheCurrentDirectory) {
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  const std::string t = gorgon::make_temp_beside("plain.json");
  fs::current_path(cwd);
  EXPECT_TRUE(fs::exists(dir_ / fs::path(t).filename()));
  EXPECT_EQ(fs::path(t).filename().string().rfind(".plain.json.tmp-", 0), 0u);
}

TEST_F(TempFile, AMissingDirectoryIsNamedInTheError) {
  const std::string target = (dir_ / "no" / "such" / "out.json").string();
  try {
    gorgon::make_temp_beside(target);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(target), std::string::npos) << e.what();
  }
}

TEST_F(TempFile, WriteReplacesTheTargetWholeAndLeavesNoTemporary) {
  const fs::path target = dir_ / "out.json";
  std::ofstream(target) << "old";
  gorgon::write_file_atomically(target.string(), "new text\n");
  EXPECT_EQ(read_text(target), "new text\n");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);  // no temporary left
}

TEST_F(TempFile, AFailedRenameLeavesTheTargetAndNoTemporary) {
  const fs::path target = dir_ / "taken";
  fs::create_directories(target / "inside");  // a non-empty directory: rename must fail
  EXPECT_THROW(gorgon::write_file_atomically(target.string(), "text"), std::runtime_error);
  EXPECT_TRUE(fs::is_directory(target / "inside"));
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 0u);
}

}  // namespace
