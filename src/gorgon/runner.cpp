#include "gorgon/runner.hpp"

#include <omp.h>

#include <exception>
#include <limits>
#include <string>

#include "gorgon/clock.hpp"
#include "gorgon/error.hpp"
#include "gorgon/partition.hpp"

namespace gorgon {
namespace {

constexpr int kClockTag = 7301;

/// True on every rank when `failed` is true on any rank. Collective.
bool any_rank(MPI_Comm comm, bool failed) {
  int local = failed ? 1 : 0, global = 0;
  check_mpi(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  return global != 0;
}

/// The hot loop of one thread: pull a chunk, call the operation on each of its numbers,
/// store one row per call. Nothing here locks, allocates per call, or talks to MPI.
void call_loop(ChunkDispenser& numbers, OperationFn& op, Context& ctx, ThreadRecord& rec) {
  std::uint64_t busy = 0;
  for (NumberRange chunk = numbers.next(); chunk.size() > 0; chunk = numbers.next()) {
    for (std::uint64_t n = chunk.begin; n < chunk.end; ++n) {
      ctx.set_number(n);
      const std::uint64_t start = now_ns();
      std::uint64_t end;
      std::uint32_t label;
      try {
        const Result result = op(n, ctx);
        end = now_ns();
        label = rec.labels.intern(result.label());
      } catch (const std::exception& e) {
        end = now_ns();
        label = rec.labels.intern(std::string("exception: ") + e.what());
      } catch (...) {
        end = now_ns();
        label = rec.labels.intern("exception: unknown");
      }
      rec.calls.push(n, start, end - start, label);
      busy += end - start;
      if (rec.first_start_ns == 0) rec.first_start_ns = start;
      rec.last_end_ns = end;
    }
  }
  rec.busy_ns = busy;
}

}  // namespace

std::vector<ClockOffset> estimate_clock_offsets(MPI_Comm comm, int rounds) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<ClockOffset> result;
  if (rank == 0) result.resize(static_cast<std::size_t>(size));
  for (int peer = 1; peer < size; ++peer) {
    if (rank == 0) {
      ClockOffset best{0, std::numeric_limits<std::uint64_t>::max()};
      for (int i = 0; i < rounds; ++i) {
        std::uint64_t remote = 0;
        const std::uint64_t t1 = now_ns();
        check_mpi(MPI_Send(&t1, 1, MPI_UINT64_T, peer, kClockTag, comm), "MPI_Send");
        check_mpi(MPI_Recv(&remote, 1, MPI_UINT64_T, peer, kClockTag, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
        const std::uint64_t t2 = now_ns();
        if (t2 - t1 < best.rtt_ns) {
          best.rtt_ns = t2 - t1;
          best.offset_ns = static_cast<std::int64_t>(remote) -
                           static_cast<std::int64_t>(t1 + (t2 - t1) / 2);
        }
      }
      result[static_cast<std::size_t>(peer)] = best;
    } else if (rank == peer) {
      for (int i = 0; i < rounds; ++i) {
        std::uint64_t t1 = 0;
        check_mpi(MPI_Recv(&t1, 1, MPI_UINT64_T, 0, kClockTag, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
        const std::uint64_t mine = now_ns();
        check_mpi(MPI_Send(&mine, 1, MPI_UINT64_T, 0, kClockTag, comm), "MPI_Send");
      }
    }
  }
  return result;
}

RankRun execute_run(const RunSpec& spec, const OperationInfo& info, MPI_Comm comm) {
  RankRun run;
  run.spec = spec;
  MPI_Comm_rank(comm, &run.rank);
  MPI_Comm_size(comm, &run.ranks);
  const int threads = spec.threads;

  // Set up one operation instance per thread before anything is timed.
  std::vector<OperationFn> ops;
  std::string setup_error;
  try {
    const Params params(info.params, spec.params, info.name);
    run.spec.params = params.values();
    for (int t = 0; t < threads; ++t) ops.push_back(info.make(params));
  } catch (const std::exception& e) {
    setup_error = e.what();
  }
  if (any_rank(comm, !setup_error.empty()))
    throw ConfigError(setup_error.empty() ? "operation set-up failed on another rank"
                                          : "operation set-up failed: " + setup_error);

  const NumberRange slice = rank_slice(spec.seed, spec.ops, run.ranks, run.rank);
  const std::uint64_t chunk = chunk_size(slice.size(), threads);
  ChunkDispenser dispenser(slice, chunk);
  run.records.resize(static_cast<std::size_t>(threads));
  // Room for a fair share plus what dynamic chunking may add, allocated and touched before
  // the start, so the timed loop takes neither allocations nor page faults for it.
  const std::size_t share = slice.size() / static_cast<std::size_t>(threads);
  const std::size_t expected =
      threads == 1 ? slice.size() : share + share / 8 + static_cast<std::size_t>(chunk);

  std::string loop_error;
  auto fail = [&](const std::string& what) {
#pragma omp critical(gorgon_loop_error)
    if (loop_error.empty()) loop_error = what;
  };
  int team = threads;
  bool ready = true;
  omp_set_dynamic(0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    std::unique_ptr<ThreadRecord> rec;
    try {
      rec = std::make_unique<ThreadRecord>();  // first touch on the thread that uses it
      rec->rank = run.rank;
      rec->thread = t;
      rec->calls.reserve(expected);
    } catch (const std::exception& e) {
      fail(e.what());
    }
#pragma omp barrier
#pragma omp master
    {
      team = omp_get_num_threads();
      try {
        // Only this (the master) thread talks to MPI: MPI_THREAD_FUNNELED is enough.
        run.offsets = estimate_clock_offsets(comm);
        ready = !any_rank(comm, !loop_error.empty() || team != threads);
        check_mpi(MPI_Barrier(comm), "MPI_Barrier");
      } catch (const std::exception& e) {
        fail(e.what());
        ready = false;
      }
      run.start_ns = now_ns();
    }
#pragma omp barrier
    if (ready && rec) {
      try {
        Context ctx(*rec, run.rank, t, run.ranks, threads);
        call_loop(dispenser, ops[static_cast<std::size_t>(t)], ctx, *rec);
      } catch (const std::exception& e) {
        fail(e.what());
      }
    }
    run.records[static_cast<std::size_t>(t)] = std::move(rec);
  }
  run.end_ns = now_ns();
  run.threads = team;
  if (team != threads && loop_error.empty())
    loop_error = "OpenMP started " + std::to_string(team) + " threads instead of " +
                 std::to_string(threads) + " (check OMP_THREAD_LIMIT)";
  if (any_rank(comm, !loop_error.empty()))
    throw std::runtime_error(loop_error.empty() ? "the run failed on another rank"
                                                : "the run failed: " + loop_error);
  return run;
}

}  // namespace gorgon
