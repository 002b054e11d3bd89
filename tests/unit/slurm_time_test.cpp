// The time a Slurm job has left, as `squeue -h -o %L` prints it.
#include <gtest/gtest.h>

#include "gorgon/cli/cli.hpp"

namespace {
constexpr std::uint64_t kSecond = 1'000'000'000ull;

TEST(SlurmTimeLeft, EveryFormatSqueuePrints) {
  EXPECT_EQ(gorgon::parse_slurm_time_left("45"), 45 * kSecond);
  EXPECT_EQ(gorgon::parse_slurm_time_left("5:07"), (5 * 60 + 7) * kSecond);
  EXPECT_EQ(gorgon::parse_slurm_time_left("2:05:07\n"), ((2 * 60 + 5) * 60 + 7) * kSecond);
  EXPECT_EQ(gorgon::parse_slurm_time_left("3-02:05:07"),
            (((3 * 24 + 2) * 60 + 5) * 60 + 7) * kSecond);
}

TEST(SlurmTimeLeft, NoLimitIsZero) {
  for (const char* text : {"UNLIMITED", "NOT_SET", "INVALID", "", "\n"})
    EXPECT_EQ(gorgon::parse_slurm_time_left(text), 0u) << text;
}

}  // namespace
