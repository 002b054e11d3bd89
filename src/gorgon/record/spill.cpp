#include "gorgon/record/spill.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gorgon {
namespace {

constexpr char kMagic[8] = {'G', 'S', 'P', 'I', 'L', 'L', '0', '1'};

/// The fixed part of a frame (docs/hdf5-format.md, "Spill files"); native byte order.
struct FrameHeader {
  char magic[8];
  std::uint64_t frame_bytes;  ///< the whole frame, this header included
  std::int32_t thread;
  std::uint32_t warmup;
  std::uint64_t calls, subcalls, delays;
  std::uint32_t first_label, first_name;
  std::uint32_t new_labels, new_names;
  std::uint64_t strings_bytes;  ///< the strings after the header, padded to 8
  std::uint64_t checksum;       ///< of everything after the header
};
static_assert(sizeof(FrameHeader) == 80);

/// A 64-bit checksum over a byte stream given in pieces: FNV-1a's step on 8-byte words in
/// four interleaved lanes (word i goes to lane i % 4, so the multiplications do not wait on
/// each other), the lanes folded together at the end. Fast enough to run over every row, and
/// any torn or damaged byte shows.
class Checksum {
 public:
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (n > 0 && fill_ > 0) {  // finish a word a previous piece began
      word_ |= std::uint64_t{*p++} << (8 * fill_);
      --n;
      if (++fill_ == 8) flush();
    }
    while (n >= 8 && lane_ != 0) {  // on to lane 0
      step(load(p));
      p += 8;
      n -= 8;
    }
    for (; n >= 32; n -= 32, p += 32) {
      h_[0] = (h_[0] ^ load(p)) * kPrime;
      h_[1] = (h_[1] ^ load(p + 8)) * kPrime;
      h_[2] = (h_[2] ^ load(p + 16)) * kPrime;
      h_[3] = (h_[3] ^ load(p + 24)) * kPrime;
    }
    for (; n >= 8; n -= 8, p += 8) step(load(p));
    for (; n > 0; --n) {
      word_ |= std::uint64_t{*p++} << (8 * fill_);
      if (++fill_ == 8) flush();
    }
  }
  [[nodiscard]] std::uint64_t value() const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::uint64_t lane : h_) h = (h ^ lane) * kPrime;
    return fill_ > 0 ? (h ^ word_ ^ (std::uint64_t{fill_} << 56)) * kPrime : h;
  }

 private:
  static constexpr std::uint64_t kPrime = 0x100000001b3ull;
  static std::uint64_t load(const unsigned char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  void step(std::uint64_t w) {
    h_[lane_] = (h_[lane_] ^ w) * kPrime;
    lane_ = (lane_ + 1) % 4;
  }
  void flush() {
    step(word_);
    word_ = 0;
    fill_ = 0;
  }
  std::uint64_t h_[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9ce484222325cbf2ull,
                         0x2325cbf29ce48422ull};
  std::uint64_t word_ = 0;
  unsigned fill_ = 0, lane_ = 0;
};

constexpr std::uint64_t padded(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }
const char kZeros[8] = {};

std::string error_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

/// Writes every byte of `iov` (retrying short writes and EINTR).
void write_all(int fd, std::vector<iovec>& iov, const std::string& path) {
  std::size_t first = 0;
  while (first < iov.size()) {
    const int n = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
    const ssize_t wrote = ::writev(fd, iov.data() + first, n);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(error_text("cannot write the spill file", path));
    }
    if (wrote == 0) throw std::runtime_error("cannot write the spill file " + path + ": no space");
    auto left = static_cast<std::size_t>(wrote);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
}

/// The pieces of one column of a segment: every block's used rows.
template <typename Columns, typename Member>
void pieces(const Columns& cols, Member member, std::size_t size, std::vector<iovec>& iov,
            Checksum& sum) {
  cols.for_each_block([&](const auto& block, std::size_t used) {
    void* data = const_cast<void*>(static_cast<const void*>((block.*member).get()));
    iov.push_back({data, used * size});
    sum.add(data, used * size);
  });
}

void pad(std::uint64_t bytes, std::vector<iovec>& iov, Checksum& sum) {
  const std::uint64_t extra = padded(bytes) - bytes;
  if (extra == 0) return;
  iov.push_back({const_cast<char*>(kZeros), extra});
  sum.add(kZeros, extra);
}

void put_strings(std::vector<char>& out, const std::vector<std::string>& strings) {
  for (const auto& s : strings) {
    const auto len = static_cast<std::uint32_t>(s.size());
    out.insert(out.end(), reinterpret_cast<const char*>(&len),
               reinterpret_cast<const char*>(&len) + 4);
    out.insert(out.end(), s.begin(), s.end());
  }
}

}  // namespace

SpillWriter::SpillWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_APPEND, 0644);
  if (fd_ < 0) throw std::runtime_error(error_text("cannot create the spill file", path_));
  // A new file, so only a file system without locks refuses; the run goes on without one
  // (the lock serves a later recovery's check, not the run).
  (void)::flock(fd_, LOCK_EX | LOCK_NB);
}

bool spill_being_written(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

SpillWriter::~SpillWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillWriter::append(const RecordSegment& seg) {
  if (fd_ < 0) throw std::logic_error("spill file " + path_ + " is closed");
  const RecordRows& rows = seg.rows;
  FrameHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.thread = seg.thread;
  h.warmup = seg.warmup ? 1 : 0;
  h.calls = rows.calls.size();
  h.subcalls = rows.subcalls.size();
  h.delays = rows.delays.size();
  h.first_label = seg.first_label;
  h.first_name = seg.first_name;
  h.new_labels = static_cast<std::uint32_t>(seg.new_labels.size());
  h.new_names = static_cast<std::uint32_t>(seg.new_names.size());
  head_.clear();
  put_strings(head_, seg.new_labels);
  put_strings(head_, seg.new_names);
  head_.resize(padded(head_.size()), 0);
  h.strings_bytes = head_.size();

  Checksum sum;
  std::vector<iovec> iov;
  iov.push_back({&h, sizeof h});
  if (!head_.empty()) {
    iov.push_back({head_.data(), head_.size()});
    sum.add(head_.data(), head_.size());
  }
  pieces(rows.calls, &CallBlock::number, 8, iov, sum);
  pieces(rows.calls, &CallBlock::start_ns, 8, iov, sum);
  pieces(rows.calls, &CallBlock::duration_ns, 8, iov, sum);
  pieces(rows.calls, &CallBlock::label, 4, iov, sum);
  pad(4 * h.calls, iov, sum);
  pieces(rows.subcalls, &SubCallBlock::call_number, 8, iov, sum);
  pieces(rows.subcalls, &SubCallBlock::start_ns, 8, iov, sum);
  pieces(rows.subcalls, &SubCallBlock::duration_ns, 8, iov, sum);
  pieces(rows.subcalls, &SubCallBlock::name, 4, iov, sum);
  pad(4 * h.subcalls, iov, sum);
  pieces(rows.delays, &DelayBlock::delay_ns, 8, iov, sum);
  h.checksum = sum.value();
  h.frame_bytes = sizeof h + h.strings_bytes + 24 * h.calls + padded(4 * h.calls) +
                  24 * h.subcalls + padded(4 * h.subcalls) + 8 * h.delays;
  write_all(fd_, iov, path_);
  bytes_ += h.frame_bytes;
}

void SpillWriter::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw std::runtime_error(error_text("cannot close the spill file", path_));
}

SpillReader::SpillReader(const std::string& path, Check check) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(error_text("cannot open the spill file", path));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw std::runtime_error(error_text("cannot read", path));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t at = 0;
  std::vector<char> buf;
  while (at + sizeof(FrameHeader) <= size) {
    FrameHeader h{};
    read(at, 1, 0, sizeof h, &h);
    const std::uint64_t body = sizeof h + h.strings_bytes + 24 * h.calls + padded(4 * h.calls) +
                               24 * h.subcalls + padded(4 * h.subcalls) + 8 * h.delays;
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
      if (at == 0) throw std::runtime_error(path + " is not a gorgon spill file");
      break;  // damaged
    }
    if (h.frame_bytes != body || at + body > size) break;  // cut short
    if (check == Check::checksums) {  // over the frame read back a piece at a time
      Checksum sum;
      std::uint64_t done = 0, payload = body - sizeof h;
      buf.resize(std::min<std::uint64_t>(payload, 1u << 20));
      while (done < payload) {
        const std::uint64_t n = std::min<std::uint64_t>(payload - done, buf.size());
        read(at + sizeof h + done, 1, 0, n, buf.data());
        sum.add(buf.data(), n);
        done += n;
      }
      if (sum.value() != h.checksum) break;
    }
    SpillFrame f;
    f.thread = h.thread;
    f.warmup = h.warmup != 0;
    f.calls = h.calls;
    f.subcalls = h.subcalls;
    f.delays = h.delays;
    f.first_label = h.first_label;
    f.first_name = h.first_name;
    std::uint64_t p = at + sizeof h;
    auto get_strings = [&](std::uint32_t n, std::vector<std::string>& out) {
      for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t len = 0;
        read(p, 1, 0, 4, &len);
        std::string s(len, '\0');
        read(p + 4, 1, 0, len, s.data());
        out.push_back(std::move(s));
        p += 4 + len;
      }
    };
    get_strings(h.new_labels, f.new_labels);
    get_strings(h.new_names, f.new_names);
    p = at + sizeof h + h.strings_bytes;
    f.number = p;
    f.start = f.number + 8 * h.calls;
    f.duration = f.start + 8 * h.calls;
    f.label = f.duration + 8 * h.calls;
    f.sub_call = f.label + padded(4 * h.calls);
    f.sub_start = f.sub_call + 8 * h.subcalls;
    f.sub_duration = f.sub_start + 8 * h.subcalls;
    f.sub_name = f.sub_duration + 8 * h.subcalls;
    f.delay = f.sub_name + padded(4 * h.subcalls);
    frames_.push_back(std::move(f));
    at += body;
  }
  torn_ = size - at;
}

SpillReader::~SpillReader() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillReader::read(std::uint64_t offset, std::size_t size, std::uint64_t first,
                       std::uint64_t count, void* dst) const {
  auto* out = static_cast<char*>(dst);
  std::uint64_t left = size * count, at = offset + size * first;
  while (left > 0) {
    const ssize_t got = ::pread(fd_, out, left, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error(error_text("cannot read the spill file", path_));
    if (got == 0) throw std::runtime_error("the spill file " + path_ + " ends early");
    out += got;
    at += static_cast<std::uint64_t>(got);
    left -= static_cast<std::uint64_t>(got);
  }
}

}  // namespace gorgon
