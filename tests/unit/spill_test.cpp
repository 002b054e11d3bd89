// Spill files: every segment appended comes back frame by frame, column by column; a file cut
// short (the writer killed mid-frame) or damaged keeps the frames before the damage.
#include "gorgon/record/spill.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using gorgon::RecordSegment;
using gorgon::spill_being_written;
using gorgon::SpillFrame;
using gorgon::SpillReader;
using gorgon::SpillWriter;

class Spill : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gorgon_spill_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "rank-0").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Segment k: 1000 + 37k calls of thread k % 3, numbers from base, one sub-call on every
  /// fifth call, start delays when `paced`, and a new label on the first two.
  static RecordSegment segment(int k, std::uint64_t base, bool paced) {
    RecordSegment s;
    s.thread = k % 3;
    s.warmup = k == 4;
    s.first_label = static_cast<std::uint32_t>(k);
    if (k < 2) s.new_labels = {"label " + std::to_string(k)};
    if (k == 0) s.new_names = {"step", ""};
    const std::uint64_t calls = 1000 + 37 * static_cast<std::uint64_t>(k);
    for (std::uint64_t i = 0; i < calls; ++i) {
      const std::uint64_t n = base + i;
      if (i % 5 == 0) s.rows.subcalls.push(n, 1, 3 * n, n % 11);
      s.rows.calls.push(n, 2 * n, n % 97 + 1, static_cast<std::uint32_t>(n % 2));
      if (paced) s.rows.delays.push(n % 13);
    }
    return s;
  }

  template <typename T>
  static std::vector<T> column(const SpillReader& in, std::uint64_t at, std::uint64_t n) {
    std::vector<T> v(n);
    in.read(at, sizeof(T), 0, n, v.data());
    return v;
  }

  /// The frame holds exactly segment(k, base, paced).
  static void expect_frame(const SpillReader& in, const SpillFrame& f, int k, std::uint64_t base,
                           bool paced) {
    const RecordSegment want = segment(k, base, paced);
    EXPECT_EQ(f.thread, want.thread);
    EXPECT_EQ(f.warmup, want.warmup);
    EXPECT_EQ(f.first_label, want.first_label);
    EXPECT_EQ(f.new_labels, want.new_labels);
    EXPECT_EQ(f.new_names, want.new_names);
    ASSERT_EQ(f.calls, want.rows.calls.size());
    ASSERT_EQ(f.subcalls, want.rows.subcalls.size());
    ASSERT_EQ(f.delays, want.rows.delays.size());
    const auto number = column<std::uint64_t>(in, f.number, f.calls);
    const auto start = column<std::uint64_t>(in, f.start, f.calls);
    const auto duration = column<std::uint64_t>(in, f.duration, f.calls);
    const auto label = column<std::uint32_t>(in, f.label, f.calls);
    const auto sub_call = column<std::uint64_t>(in, f.sub_call, f.subcalls);
    const auto sub_name = column<std::uint32_t>(in, f.sub_name, f.subcalls);
    const auto sub_dur = column<std::uint64_t>(in, f.sub_duration, f.subcalls);
    const auto delay = column<std::uint64_t>(in, f.delay, f.delays);
    for (std::uint64_t i = 0; i < f.calls; ++i) {
      const std::uint64_t n = base + i;
      ASSERT_EQ(number[i], n);
      ASSERT_EQ(start[i], 2 * n);
      ASSERT_EQ(duration[i], n % 97 + 1);
      ASSERT_EQ(label[i], n % 2);
      if (paced) {
        ASSERT_EQ(delay[i], n % 13);
      }
    }
    for (std::uint64_t j = 0; j < f.subcalls; ++j) {
      ASSERT_EQ(sub_call[j], base + 5 * j);
      ASSERT_EQ(sub_name[j], 1u);
      ASSERT_EQ(sub_dur[j], (base + 5 * j) % 11);
    }
    // A piece from the middle of a column, as the file's writer reads it.
    std::vector<std::uint64_t> piece(10);
    in.read(f.duration, 8, 100, 10, piece.data());
    for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(piece[i], (base + 100 + i) % 97 + 1);
  }

  /// Writes segments 0..n-1 and returns each one's first number.
  std::vector<std::uint64_t> write(int n, bool paced) {
    SpillWriter out(path_);
    std::vector<std::uint64_t> bases;
    std::uint64_t base = 5;
    for (int k = 0; k < n; ++k) {
      bases.push_back(base);
      out.append(segment(k, base, paced));
      base += 1000 + 37 * static_cast<std::uint64_t>(k);
    }
    out.close();
    return bases;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(Spill, EverySegmentComesBackColumnByColumn) {
  for (bool paced : {false, true}) {
    std::filesystem::remove(path_);
    const auto bases = write(6, paced);
    const SpillReader in(path_);
    EXPECT_EQ(in.torn_bytes(), 0u);
    ASSERT_EQ(in.frames().size(), 6u);
    for (int k = 0; k < 6; ++k) expect_frame(in, in.frames()[k], k, bases[k], paced);
  }
}

TEST_F(Spill, AFrameCutShortIsLeftOutAndTheRestKept) {
  const auto bases = write(5, false);
  const auto full = std::filesystem::file_size(path_);
  for (std::uint64_t cut : {std::uint64_t{1}, std::uint64_t{79}, std::uint64_t{4000}}) {
    std::filesystem::copy_file(path_, path_ + ".cut",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(path_ + ".cut", full - cut);
    const SpillReader in(path_ + ".cut");
    ASSERT_EQ(in.frames().size(), 4u) << "cut " << cut;
    EXPECT_GT(in.torn_bytes(), 0u);
    for (int k = 0; k < 4; ++k) expect_frame(in, in.frames()[k], k, bases[k], false);
  }
}

TEST_F(Spill, ADamagedByteEndsTheFramesThere) {
  write(5, false);
  const SpillReader whole(path_);
  ASSERT_EQ(whole.frames().size(), 5u);
  // One byte in the middle of frame 2's durations.
  const SpillFrame& f = whole.frames()[2];
  {
    std::fstream io(path_, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(f.duration + 8 * 500 + 3));
    io.put('\x5a');
  }
  const SpillReader in(path_);
  EXPECT_EQ(in.frames().size(), 2u);
  EXPECT_GT(in.torn_bytes(), 0u);
}

TEST_F(Spill, AHeadersScanKeepsEveryWholeFrameAndStillFindsACutOne) {
  const auto bases = write(5, false);
  const SpillReader whole(path_);
  const SpillFrame& f = whole.frames()[2];
  {  // a byte of a body: only the checksum would show it
    std::fstream io(path_, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(f.number + 8 * 7));
    io.put('\x5a');
  }
  const SpillReader headers(path_, SpillReader::Check::headers);
  ASSERT_EQ(headers.frames().size(), 5u);
  EXPECT_EQ(headers.torn_bytes(), 0u);
  for (int k : {0, 1, 3, 4}) expect_frame(headers, headers.frames()[k], k, bases[k], false);
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) - 100);
  const SpillReader cut(path_, SpillReader::Check::headers);
  EXPECT_EQ(cut.frames().size(), 4u);
  EXPECT_GT(cut.torn_bytes(), 0u);
}

TEST_F(Spill, NotASpillFileAndAnExistingPathAreErrors) {
  std::ofstream(path_) << "this is no spill file, but long enough to hold a frame header ........"
                       << std::string(100, 'x');
  EXPECT_THROW(SpillReader{path_}, std::runtime_error);
  EXPECT_THROW(SpillWriter{path_}, std::runtime_error) << "a spill file is always new";
  EXPECT_THROW(SpillReader{path_ + ".missing"}, std::runtime_error);
}

// A recovery refuses a spill whose writer still runs (ranks outlive a killed mpirun by a
// second or so): the writer's lock, held until it closes the file or its process ends.
TEST_F(Spill, AFileStillBeingWrittenIsToldFromOneWhoseWriterHasEnded) {
  EXPECT_FALSE(spill_being_written(path_));  // no file
  {
    SpillWriter out(path_);
    out.append(segment(0, 0, false));
    EXPECT_TRUE(spill_being_written(path_));
    out.close();
    EXPECT_FALSE(spill_being_written(path_));
  }
  {
    const std::string other = path_ + ".2";
    auto out = std::make_unique<SpillWriter>(other);
    EXPECT_TRUE(spill_being_written(other));
    out.reset();  // a writer destroyed without close() (its thread failed) lets go too
    EXPECT_FALSE(spill_being_written(other));
  }
}

}  // namespace
