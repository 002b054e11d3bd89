#pragma once
// A rank's spill file: the rows its threads handed to the record stream, appended one frame
// per segment while the run goes, so that a run written to a file (-o) keeps no rows in
// memory. The file is written with plain write(2) calls, one per frame, so every frame
// completed before the process dies is in the kernel's hands; a frame cut short is found by
// its length and checksum and left out by the reader. The layout is in docs/hdf5-format.md
// ("Spill files").
//
//     SpillWriter out(path);                 // O_EXCL: never another run's file
//     out.append(segment);                   // on the stream's thread
//     SpillReader in(path);                  // after the run (or after a crash)
//     for (const SpillFrame& f : in.frames()) in.read(f.number, dst, 0, f.calls);
#include <cstdint>
#include <string>
#include <vector>

#include "gorgon/record/record.hpp"

namespace gorgon {

/// Appends segments to a new spill file. Not thread-safe: one writer thread. The file is
/// held under an exclusive flock(2) until closed, so that a recovery can tell a spill whose
/// writer is still running (ranks outlive a killed mpirun by a second or so) from one whose
/// writer has ended: the kernel releases the lock when the process dies (on a file system
/// without locks the file is written unlocked, and a recovery cannot tell).
class SpillWriter {
 public:
  /// Creates `path` (it must not exist). Throws std::runtime_error naming it on failure.
  explicit SpillWriter(std::string path);
  ~SpillWriter();
  SpillWriter(const SpillWriter&) = delete;
  SpillWriter& operator=(const SpillWriter&) = delete;

  /// Writes one frame holding `seg` (its rows, and the strings its thread met first in it).
  /// Throws std::runtime_error on a failed or short write (a full disk, a quota).
  void append(const RecordSegment& seg);
  /// Closes the file (further appends throw). Throws when close(2) reports a write error.
  void close();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t bytes_ = 0;
  std::vector<char> head_;  ///< the frame header and strings, reused
};

/// One frame of a spill file: where each column of its rows starts in the file.
struct SpillFrame {
  int thread = 0;
  bool warmup = false;
  std::uint64_t calls = 0, subcalls = 0, delays = 0;
  std::uint32_t first_label = 0, first_name = 0;
  std::vector<std::string> new_labels, new_names;
  /// File offsets of the columns: calls (number, start, duration: uint64; label: uint32),
  /// sub-calls (call number, start, duration: uint64; name: uint32), start delays (uint64).
  std::uint64_t number = 0, start = 0, duration = 0, label = 0;
  std::uint64_t sub_call = 0, sub_start = 0, sub_duration = 0, sub_name = 0;
  std::uint64_t delay = 0;
};

/// Whether a SpillWriter, in this or a running process, still holds `path` open (false when
/// the file cannot be opened: the reader will say why).
[[nodiscard]] bool spill_being_written(const std::string& path);

/// Reads a spill file's frames; a torn or damaged tail (the writer died mid-frame) ends them.
class SpillReader {
 public:
  /// How much of each frame the scan reads: its header and length only (a file this process
  /// wrote and closed with every write succeeded, where only the structure can be wrong), or
  /// its whole body against the checksum too (a file a crash may have torn or damaged).
  enum class Check { headers, checksums };

  /// Opens and scans `path`. Throws std::runtime_error when it is missing or not a spill file.
  explicit SpillReader(const std::string& path, Check check = Check::checksums);
  ~SpillReader();
  SpillReader(const SpillReader&) = delete;
  SpillReader& operator=(const SpillReader&) = delete;

  [[nodiscard]] const std::vector<SpillFrame>& frames() const noexcept { return frames_; }
  /// Bytes after the last whole frame (a frame cut short or damaged): 0 for a clean file.
  [[nodiscard]] std::uint64_t torn_bytes() const noexcept { return torn_; }
  /// Reads `count` values of `size` bytes from the column at `offset`, starting at value
  /// `first`, into `dst`. Throws std::runtime_error on a read error.
  void read(std::uint64_t offset, std::size_t size, std::uint64_t first, std::uint64_t count,
            void* dst) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<SpillFrame> frames_;
  std::uint64_t torn_ = 0;
};

}  // namespace gorgon
