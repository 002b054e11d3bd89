#include "gorgon/run/runner.hpp"

#include <omp.h>

#include <array>
#include <ctime>
#include <exception>
#include <limits>
#include <string>

#include "gorgon/base/agree.hpp"
#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/run/clock_sync.hpp"
#include "gorgon/run/partition.hpp"

namespace gorgon {
namespace {

/// What one thread's loop needs besides its record.
struct LoopSetup {
  ChunkDispenser* numbers = nullptr;
  std::uint64_t deadline_ns = 0;  ///< stop taking calls at this time (0: none)
  std::uint64_t interval_ns = 0;  ///< rate mode: this thread's schedule interval (0: closed loop)
  std::uint64_t first_due_ns = 0;  ///< rate mode: intended start of this thread's first call
  ThreadProgress* progress = nullptr;
  std::function<void(std::uint64_t now)>* poll = nullptr;  ///< master thread only
  std::uint64_t* poll_due = nullptr;                       ///< when to call poll next
};

/// Sleeps until `due` (monotonic ns) or until a stop is asked for, whichever comes first.
void wait_until(std::uint64_t due) {
  for (std::uint64_t now = now_ns(); now < due && !stop_requested(); now = now_ns()) {
    const std::uint64_t left = due - now;
    if (left > 200'000) {  // sleep most of the wait, at most 50 ms at a time to see stops
      const std::uint64_t nap = std::min<std::uint64_t>(left - 100'000, 50'000'000);
      timespec ts{static_cast<time_t>(nap / 1'000'000'000), static_cast<long>(nap % 1'000'000'000)};
      nanosleep(&ts, nullptr);
    }
  }
}

/// The hot loop of one thread: pull a chunk, call the operation on each of its numbers,
/// store one row per call. Nothing here locks, allocates per call, or talks to MPI (the
/// master thread's `poll` between calls does, at most once per round interval).
void call_loop(const LoopSetup& s, OperationFn& op, Context& ctx, ThreadRecord& rec) {
  std::uint64_t busy = 0;
  std::vector<std::uint8_t> slot_of;  // progress slot of each local label id
  ThreadProgress& progress = *s.progress;
  // Counted here and published to `progress` every kPublish calls (and at the end), so the
  // per-call cost is a couple of increments in this thread's own cache lines.
  constexpr std::uint64_t kPublish = 64;
  std::array<std::uint64_t, ThreadProgress::kSlots> slots{};
  std::uint64_t calls = 0, errors = 0, late = 0;
  auto publish = [&] {
    progress.calls.store(calls, std::memory_order_relaxed);
    progress.errors.store(errors, std::memory_order_relaxed);
    progress.late.store(late, std::memory_order_relaxed);
    for (std::size_t i = 0; i < slots.size(); ++i)
      progress.slot_calls[i].store(slots[i], std::memory_order_relaxed);
  };
  std::uint64_t due = s.first_due_ns;
  std::uint64_t next_publish = 0;
  for (NumberRange chunk = s.numbers->next(); chunk.size() > 0; chunk = s.numbers->next()) {
    for (std::uint64_t n = chunk.begin; n < chunk.end; ++n) {
      if (stop_requested()) goto done;
      if (s.interval_ns) {
        if (s.deadline_ns && due >= s.deadline_ns) goto done;  // the schedule ends there
        wait_until(due);
        if (stop_requested()) goto done;
      }
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
        ++errors;
      } catch (...) {
        end = now_ns();
        label = rec.labels.intern("exception: unknown");
        ++errors;
      }
      if (s.interval_ns) {  // open loop: latency counts from the intended start
        const std::uint64_t delay = start > due ? start - due : 0;
        rec.calls.push(n, due, end - due, label);
        rec.delays.push(delay);
        if (delay >= s.interval_ns) ++late;
        due += s.interval_ns;
      } else {
        rec.calls.push(n, start, end - start, label);
      }
      busy += end - start;
      if (rec.first_start_ns == 0) rec.first_start_ns = start;
      rec.last_end_ns = end;
      if (label >= slot_of.size()) [[unlikely]]
        for (std::size_t id = slot_of.size(); id < rec.labels.size(); ++id)
          slot_of.push_back(static_cast<std::uint8_t>(progress.add_label(rec.labels.strings()[id])));
      ++slots[slot_of[label]];
      // Published every kPublish calls, or at least every 20 ms for slow operations; the
      // master thread also takes part in the cross-rank rounds when one is due.
      if (++calls % kPublish == 0 || end >= next_publish) [[unlikely]] {
        publish();
        next_publish = end + 20'000'000;
        if (s.poll != nullptr && end >= *s.poll_due) (*s.poll)(end);
      }
      if (s.deadline_ns && end >= s.deadline_ns) goto done;
    }
  }
done:
  publish();
  rec.busy_ns = busy;
}

}  // namespace

namespace {

/// Room for a fair share of the calls plus what dynamic chunking may add.
std::size_t expected_rows(const RunSpec& spec, std::uint64_t slice, int threads, std::uint64_t chunk) {
  if (spec.timed()) return 0;  // unknown: grow on demand
  const std::size_t share = slice / static_cast<std::size_t>(threads);
  return threads == 1 ? slice : share + share / 8 + static_cast<std::size_t>(chunk);
}

}  // namespace

RankRun execute_run(const RunSpec& spec, const OperationInfo& info, MPI_Comm comm,
                    const RunControl& control) {
  RankRun run;
  run.spec = spec;
  MPI_Comm_rank(comm, &run.rank);
  MPI_Comm_size(comm, &run.ranks);
  const int threads = spec.threads;
  const auto T = static_cast<std::size_t>(threads);

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

  // Numbers. Count mode: this rank's slice of [seed, seed + ops); warm-up calls take the
  // numbers after it. Duration mode: N warm-up calls take [seed, seed + N) and the measured
  // calls an unbounded interleaved sequence after them; a timed warm-up shares that sequence.
  const NumberRange slice = rank_slice(spec.seed, spec.ops, run.ranks, run.rank);
  const std::uint64_t chunk = spec.timed() ? 64 : chunk_size(slice.size(), threads);
  ChunkDispenser measured =
      spec.timed() ? ChunkDispenser::unbounded(spec.seed + spec.warmup_calls, run.ranks, run.rank, chunk)
                   : ChunkDispenser(slice, chunk);
  const std::uint64_t warm_base = spec.seed + (spec.timed() ? 0 : spec.ops);
  ChunkDispenser warm_numbers =
      spec.warmup_calls > 0
          ? ChunkDispenser(rank_slice(warm_base, spec.warmup_calls, run.ranks, run.rank),
                           chunk_size(spec.warmup_calls / static_cast<std::uint64_t>(run.ranks), threads))
          : ChunkDispenser::unbounded(warm_base, run.ranks, run.rank, 64);
  ChunkDispenser& warm = spec.timed() && spec.warmup_ns > 0 ? measured : warm_numbers;
  const bool warming = spec.warmup_calls > 0 || spec.warmup_ns > 0;
  const std::size_t expected = expected_rows(spec, slice.size(), threads, chunk);

  run.records.resize(T);
  run.warmup.resize(T);
  std::vector<ThreadProgress> progress(T), warm_progress(T);
  std::vector<ThreadProgress*> progress_ptrs;
  for (auto& p : progress) progress_ptrs.push_back(&p);

  std::string loop_error;
  auto fail = [&](const std::string& what) {
#pragma omp critical(gorgon_loop_error)
    if (loop_error.empty()) loop_error = what;
  };
  int team = threads;
  bool ready = true;
  std::atomic<int> finished_threads{0};

  // The master thread's rounds: progress for rank 0's display, stops for everyone.
  std::unique_ptr<ProgressRounds> rounds;
  std::vector<std::pair<std::uint64_t, std::string>> names;  // rank 0's labels by hash
  bool interrupted = false;
  std::uint64_t poll_due = UINT64_MAX;
  std::function<void(std::uint64_t)> poll = [&](std::uint64_t now) {
    if (control.deadline_ns && now >= control.deadline_ns) request_stop("time limit");
    const bool done = finished_threads.load() == team;
    if (rounds->poll(now, progress_ptrs, done, done)) {
      const ProgressSnapshot& snap = rounds->last();
      if (snap.stop && !stop_requested()) request_stop(stop_code_name(snap.stop_code));
      if (snap.stop && !interrupted) {
        interrupted = true;
        run.stop_reason = stop_code_name(snap.stop_code);  // the same text on every rank
      }
      if (run.rank == 0 && control.on_progress) {
        for (auto* p : progress_ptrs)
          for (auto& l : p->take_new_labels()) names.emplace_back(label_hash(l), std::move(l));
        control.on_progress(snap, names);
      }
    }
    poll_due = now + std::min<std::uint64_t>(control.round_ns, 20'000'000);
  };

  omp_set_dynamic(0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const auto ti = static_cast<std::size_t>(t);
    std::unique_ptr<ThreadRecord> rec, warm_rec;
    try {
      rec = std::make_unique<ThreadRecord>();  // first touch on the thread that uses it
      rec->rank = run.rank;
      rec->thread = t;
      rec->calls.reserve(expected);
      if (spec.paced()) rec->delays.reserve(expected);
      if (warming) {
        warm_rec = std::make_unique<ThreadRecord>();
        warm_rec->rank = run.rank;
        warm_rec->thread = t;
      }
    } catch (const std::exception& e) {
      fail(e.what());
    }
#pragma omp barrier
#pragma omp master
    {
      team = omp_get_num_threads();
      try {
        ready = !any_rank(comm, !loop_error.empty() || team != threads);
      } catch (const std::exception& e) {
        fail(e.what());
        ready = false;
      }
    }
#pragma omp barrier
    // Warm-up: closed loop, recorded apart, before the clocks are compared and the start.
    if (ready && warming && warm_rec) {
      try {
        Context ctx(*warm_rec, run.rank, t, run.ranks, threads);
        LoopSetup w;
        w.numbers = &warm;
        w.progress = &warm_progress[ti];
        w.deadline_ns = spec.warmup_ns ? now_ns() + spec.warmup_ns : 0;
        call_loop(w, ops[ti], ctx, *warm_rec);
      } catch (const std::exception& e) {
        fail(e.what());
      }
    }
#pragma omp barrier
#pragma omp master
    {
      // Only this (the master) thread talks to MPI: MPI_THREAD_FUNNELED is enough.
      bool prepared = true;
      try {
        run.offsets = estimate_clock_offsets(comm);
        rounds = std::make_unique<ProgressRounds>(comm, control.round_ns, 0);
      } catch (const std::exception& e) {
        fail(e.what());
        prepared = false;
      }
      try {
        // Every rank says whether it is prepared before any enters the progress rounds, so
        // a rank that failed here cannot leave the others waiting in them.
        if (any_rank(comm, !prepared)) {
          ready = false;
          rounds.reset();  // on every rank: none takes part in the rounds
        } else {
          check_mpi(MPI_Barrier(comm), "MPI_Barrier");
          run.start_ns = now_ns();
          rounds->restart(run.start_ns);
          poll_due = run.start_ns;
        }
      } catch (const std::exception& e) {
        fail(e.what());
        ready = false;
      }
    }
#pragma omp barrier
    if (ready && rec) {
      try {
        Context ctx(*rec, run.rank, t, run.ranks, threads);
        LoopSetup m;
        m.numbers = &measured;
        m.progress = &progress[ti];
        m.deadline_ns = spec.timed() ? run.start_ns + spec.duration_ns : 0;
        if (spec.paced()) {
          // Each thread keeps its share of the rate on its own schedule; the threads of all
          // ranks are spread evenly over one interval so the calls do not come in bursts.
          const double per_thread = spec.rate / (static_cast<double>(run.ranks) * threads);
          m.interval_ns = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(1e9 / per_thread));
          const auto slot = static_cast<std::uint64_t>(run.rank) * T + ti;
          m.first_due_ns = run.start_ns + m.interval_ns * slot / (static_cast<std::uint64_t>(run.ranks) * T);
        }
        if (t == 0) {
          m.poll = &poll;
          m.poll_due = &poll_due;
        }
        call_loop(m, ops[ti], ctx, *rec);
      } catch (const std::exception& e) {
        fail(e.what());
      }
    }
    if (t != 0) finished_threads.fetch_add(1);
    run.records[ti] = std::move(rec);
    run.warmup[ti] = std::move(warm_rec);
#pragma omp master
    {
      finished_threads.fetch_add(1);
      // Keep taking part in the rounds until every rank of the run is done.
      try {
        if (rounds) {
          while (true) {
            poll(now_ns());
            if (rounds->last().finished) break;
            timespec nap{0, 200'000};
            nanosleep(&nap, nullptr);
          }
        }
      } catch (const std::exception& e) {
        fail(e.what());
      }
    }
  }
  // This rank's end: when its last call ended (not when the last rank was done).
  run.end_ns = run.start_ns;
  for (const auto& rec : run.records)
    if (rec) run.end_ns = std::max(run.end_ns, rec->last_end_ns);
  for (const auto& p : progress) run.late_calls += p.late.load();
  run.threads = team;
  run.interrupted = interrupted;  // agreed in the rounds: the same on every rank
  if (team != threads && loop_error.empty())
    loop_error = "OpenMP started " + std::to_string(team) + " threads instead of " +
                 std::to_string(threads) + " (check OMP_THREAD_LIMIT)";
  if (any_rank(comm, !loop_error.empty()))
    throw std::runtime_error(loop_error.empty() ? "the run failed on another rank"
                                                : "the run failed: " + loop_error);
  return run;
}

}  // namespace gorgon
