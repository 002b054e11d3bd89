// The HDF5 file's cost, as ratios against references measured in the same run:
//  (a) write throughput of gorgon's parallel HDF5 writer for N noop calls (every rank its
//      slice), next to a plain sequential write (write(2) of 8 MiB blocks by one process)
//      of the same number of bytes to the same directory. Target: >= 80%.
//  (b) peak RSS growth per recorded call, from before the run to after the file is written.
//      Target with --kept: <= 40 bytes per call (without, the record stream's budget bounds it).
//
//   mpiexec -np R bench_h5_write [calls=2e7] [dir=.] [--compress] [--collective] [--fsync]
//                                [--kept] [--rounds=7]
//
// The rows are spilled to a file per rank while the run goes and the writer reads them back,
// as `gorgon_mpi -o` does; --kept keeps them in memory instead (RunControl::keep_rows).
// --fsync makes both sides durable (fsync before the clock stops), so the disk, not the page
// cache, is measured. The best of `rounds` alternating rounds is kept on each side (each
// round is printed: on a shared machine a write now and then stalls for a second); between
// measurements the last file is removed (untimed), and before the first the spill files are
// synced, so that their writeback does not fall into a measurement.
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gorgon/api/gorgon_api.hpp"
#include "gorgon/base/clock.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/h5/writer.hpp"
#include "gorgon/op/registry.hpp"

namespace {

constexpr std::uint64_t kBytesPerCall = 8 + 8 + 8 + 4 + 4 + 2;  // calls/* columns on disk

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
std::uint64_t status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return std::strtoull(line.c_str() + key.size(), nullptr, 10) * 1024;
  return 0;
}

void durable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// After a timed write, untimed: the file goes away. (Unsynced, its dirty pages are dropped
/// rather than written back, so the next measurement does not pay for this one's writeback.)
void settle(const std::string& path, int rank) {
  if (rank == 0) ::unlink(path.c_str());
  MPI_Barrier(MPI_COMM_WORLD);
}

/// Seconds for rank 0 to write `bytes` to one file, plainly and sequentially (one stream:
/// the simplest way to put those bytes in that directory); the other ranks wait.
double plain_write(const std::string& path, std::uint64_t bytes, bool fsync_it, int rank) {
  std::vector<char> block(8u << 20, 'g');
  MPI_Barrier(MPI_COMM_WORLD);
  const std::uint64_t t0 = gorgon::now_ns();
  if (rank == 0) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (std::uint64_t done = 0; fd >= 0 && done < bytes;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), bytes - done));
      const ssize_t w = ::write(fd, block.data(), n);
      if (w <= 0) break;
      done += static_cast<std::uint64_t>(w);
    }
    if (fsync_it && fd >= 0) ::fsync(fd);
    if (fd >= 0) ::close(fd);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double s = static_cast<double>(gorgon::now_ns() - t0) / 1e9;
  settle(path, rank);
  return s;
}

/// Seconds to write the run with gorgon's writer (open, write, close and rename).
double h5_write(const std::string& path, const gorgon::WorldRun& run, bool compress,
                bool collective, bool fsync_it, int rank) {
  if (rank == 0) ::unlink(path.c_str());
  MPI_Barrier(MPI_COMM_WORLD);
  const std::uint64_t t0 = gorgon::now_ns();
  {
    gorgon::h5::WriterOptions options;
    options.overwrite = true;
    options.compress = compress;
    options.collective_columns = collective;
    gorgon::h5::Writer out(path, MPI_COMM_WORLD, options);
    out.write_run(run);
    out.close();
  }
  if (fsync_it && rank == 0) durable(path);
  MPI_Barrier(MPI_COMM_WORLD);
  const double s = static_cast<double>(gorgon::now_ns() - t0) / 1e9;
  settle(path, rank);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::uint64_t calls = 20'000'000;
  std::string dir = ".";
  bool compress = false, fsync_it = false, collective = false, kept = false;
  int rounds = 7, positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--compress") compress = true;
    else if (a == "--collective") collective = true;
    else if (a == "--fsync") fsync_it = true;
    else if (a == "--kept") kept = true;
    else if (a.rfind("--rounds=", 0) == 0) rounds = std::max(1, std::atoi(a.c_str() + 9));
    else if (positional++ == 0) calls = gorgon::parse_count(a);
    else dir = a;
  }

  gorgon::RunSpec spec;
  spec.operation = "noop";
  spec.ops = calls;
  spec.ranks = size;
  spec.threads = 1;
  const auto& op = gorgon::registry().find("noop");

  // (b) memory: the peak from before the run to after the file is written.
  const std::uint64_t rss0 = status_bytes("VmRSS");
  gorgon::RunControl control;
  const std::string spill = dir + "/bench_h5_write.spill." + std::to_string(rank);
  if (kept) control.keep_rows = true;
  else control.spill_path = spill;  // read back by the writer, as gorgon_mpi -o does
  gorgon::WorldRun run = gorgon::run_on_world(spec, op, MPI_COMM_WORLD, control);
  const std::uint64_t hwm_run = status_bytes("VmHWM");
  std::uint64_t mine = 0;
  if (run.local)
    for (const auto& rec : run.local->records) mine += rec->call_count();

  // (a) throughput: alternate plain and HDF5 rounds, best of each. First, untimed, the run's
  // spill files go to disk, so that their writeback does not land in a measured round.
  if (!kept) durable(spill);
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string h5 = dir + "/bench_h5_write.h5", raw = dir + "/bench_h5_write.raw";
  double best_h5 = 1e30, best_plain = 1e30;
  for (int r = 0; r < rounds; ++r) {
    const double pw = plain_write(raw, calls * kBytesPerCall, fsync_it, rank);
    const double hw = h5_write(h5, run, compress, collective, fsync_it, rank);
    if (rank == 0) std::printf("round %d: plain %.3f s, HDF5 %.3f s\n", r + 1, pw, hw);
    best_plain = std::min(best_plain, pw);
    best_h5 = std::min(best_h5, hw);
  }
  const std::uint64_t hwm_all = status_bytes("VmHWM");
  if (!kept) {
    ::unlink(spill.c_str());
    ::unlink((spill + ".json").c_str());  // its recovery note
  }

  // Per rank: growth per call; the worst rank is reported.
  double per_call[2] = {
      static_cast<double>(hwm_run - rss0) / static_cast<double>(std::max<std::uint64_t>(mine, 1)),
      static_cast<double>(hwm_all - rss0) / static_cast<double>(std::max<std::uint64_t>(mine, 1))};
  double worst[2] = {0, 0};
  MPI_Reduce(per_call, worst, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    const double bytes = static_cast<double>(calls * kBytesPerCall);
    std::printf("calls: %llu on %d ranks x 1 thread; calls/* columns: %.0f MB, from %s%s%s%s\n",
                static_cast<unsigned long long>(calls), size, bytes / 1e6,
                kept ? "rows kept in memory" : "the ranks' spill files",
                compress ? ", --compress" : "", collective ? ", collective columns" : "",
                fsync_it ? ", fsync on both sides" : "");
    std::printf("plain sequential write:   %8.3f s  %8.1f MB/s (reference)\n", best_plain,
                bytes / 1e6 / best_plain);
    std::printf(
        "gorgon HDF5 writer:       %8.3f s  %8.1f MB/s (calls/* bytes; file includes sub-calls, "
        "summary)\n",
        best_h5, bytes / 1e6 / best_h5);
    std::printf("HDF5 / plain throughput:  %8.2f   (target >= 0.80)\n", best_plain / best_h5);
    std::printf(
        "peak RSS growth per call: %8.1f bytes after the run, %.1f after the file (target <= 40)\n",
        worst[0], worst[1]);
  }
  MPI_Finalize();
  return 0;
}
