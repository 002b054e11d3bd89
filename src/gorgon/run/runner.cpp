#include "gorgon/run/runner.hpp"

#include <omp.h>

#include <array>
#include <atomic>
#include <ctime>
#include <exception>
#include <limits>
#include <string>

#include <unistd.h>

#include "gorgon/base/agree.hpp"
#include "gorgon/base/clock.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/base/units.hpp"
#include "gorgon/record/spill.hpp"
#include "gorgon/run/agent.hpp"
#include "gorgon/run/clock_sync.hpp"
#include "gorgon/run/partition.hpp"
#include "gorgon/run/recovery.hpp"
#include "gorgon/run/stop.hpp"

namespace gorgon {
namespace {

// ---- one thread's loop ----------------------------------------------------------------------

/// What one thread's loop needs besides its record and operation.
struct LoopSetup {
  NumberSource* numbers = nullptr;
  std::uint64_t deadline_ns = 0;   ///< stop taking calls at this time (0: none)
  std::uint64_t interval_ns = 0;   ///< paced: this thread's schedule interval
  std::uint64_t first_due_ns = 0;  ///< paced: intended start of this thread's first call
  ThreadProgress* progress = nullptr;
  const LabelRule* errors = nullptr;
};

/// A thread's running counts. Kept in the thread's own cache lines and published to its
/// ThreadProgress every kPublish calls (or 20 ms), so a call costs a few increments here.
class Tally {
 public:
  static constexpr std::uint64_t kPublish = 64;

  /// Counts on from what `progress` holds (the wear-out continues the measurement's counts).
  Tally(ThreadProgress& progress, const LabelRule& errors, ThreadRecord& rec)
      : progress_(progress),
        errors_(errors),
        rec_(rec),
        calls_(progress.calls.load(std::memory_order_relaxed)),
        errors_seen_(progress.errors.load(std::memory_order_relaxed)),
        late_(progress.late.load(std::memory_order_relaxed)),
        busy_(rec.busy_ns) {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      slots_[i] = progress.slot_calls[i].load(std::memory_order_relaxed);
  }

  /// Counts a call; true when it is time to publish.
  bool count(std::uint32_t label, std::uint64_t start, std::uint64_t end) {
    busy_ += end - start;
    if (rec_.first_start_ns == 0) rec_.first_start_ns = start;
    rec_.last_end_ns = end;
    if (label >= slot_of_.size()) [[unlikely]]
      learn_labels();
    ++slots_[slot_of_[label]];
    errors_seen_ += error_of_[label];
    return ++calls_ % kPublish == 0 || end >= next_publish_;
  }
  void late() noexcept { ++late_; }
  void publish(std::uint64_t now) {
    progress_.calls.store(calls_, std::memory_order_relaxed);
    progress_.errors.store(errors_seen_, std::memory_order_relaxed);
    progress_.late.store(late_, std::memory_order_relaxed);
    for (std::size_t i = 0; i < slots_.size(); ++i)
      progress_.slot_calls[i].store(slots_[i], std::memory_order_relaxed);
    next_publish_ = now + 20'000'000;
  }
  [[nodiscard]] std::uint64_t busy_ns() const noexcept { return busy_; }

 private:
  /// A label this thread has not counted before: its progress slot and whether it fails
  /// (once per label, never per call).
  void learn_labels() {
    for (std::size_t id = slot_of_.size(); id < rec_.labels.size(); ++id) {
      const std::string& text = rec_.labels.strings()[id];
      slot_of_.push_back(static_cast<std::uint8_t>(progress_.add_label(text)));
      error_of_.push_back(errors_.is_error(text) ? 1 : 0);
    }
  }

  ThreadProgress& progress_;
  const LabelRule& errors_;
  ThreadRecord& rec_;
  std::array<std::uint64_t, ThreadProgress::kSlots> slots_{};
  std::uint64_t calls_, errors_seen_, late_, busy_, next_publish_ = 0;
  std::vector<std::uint8_t> slot_of_, error_of_;  // per local label id
};

/// Calls the operation on `n`, timed; what it returns (or throws) becomes the label.
struct Call {
  std::uint64_t start, end;
  std::uint32_t label;
};
inline Call call_once(OperationFn& op, Context& ctx, ThreadRecord& rec, std::uint64_t n) {
  ctx.set_number(n);
  const std::uint64_t start = now_ns();
  try {
    const Result result = op(n, ctx);
    const std::uint64_t end = now_ns();
    return {start, end, rec.labels.intern(result.label())};
  } catch (const std::exception& e) {
    const std::uint64_t end = now_ns();
    return {start, end, rec.labels.intern(std::string(kExceptionPrefix) + e.what())};
  } catch (...) {
    const std::uint64_t end = now_ns();
    return {start, end, rec.labels.intern(std::string(kExceptionPrefix) + "unknown")};
  }
}

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

/// The numbers of `s`, one at a time, until they run out or `next` says stop.
template <typename Next>
void for_each_number(const LoopSetup& s, Next&& next) {
  for (NumberRange chunk = s.numbers->next(); chunk.size() > 0; chunk = s.numbers->next()) {
    // A chunk that came after the deadline (a thread waited for its rank's next block) is
    // not started: one clock read per chunk.
    if (s.deadline_ns && !s.interval_ns && now_ns() >= s.deadline_ns) return;
    for (std::uint64_t n = chunk.begin; n < chunk.end; ++n)
      if (!next(n)) return;
  }
}

/// After each call: the tally, published every kPublish calls (or 20 ms), and then the
/// thread's rows handed to the rank's stream if it last did so a flush interval ago. False
/// when the loop is to stop at this call's end (the deadline).
inline bool after_call(const LoopSetup& s, Tally& tally, ThreadRecord& rec, const Call& c) {
  if (tally.count(c.label, c.start, c.end)) [[unlikely]] {
    tally.publish(c.end);
    if (rec.stream != nullptr) rec.stream->hand_over_if_due(rec, c.end);
  }
  return !(s.deadline_ns && c.end >= s.deadline_ns);
}

/// A call's row filled its block (or its sub-calls outgrew theirs): the rows go to the
/// rank's stream (once per block).
inline void block_filled(ThreadRecord& rec) {
  if (rec.stream != nullptr) rec.stream->hand_over(rec);
}

/// The hot loop, closed: pull a chunk, call the operation on each of its numbers, store one
/// row per call. Nothing here locks, allocates per call, or talks to MPI (the rank's agent
/// does, on a thread of its own).
void closed_loop(const LoopSetup& s, OperationFn& op, Context& ctx, ThreadRecord& rec,
                 Tally& tally) {
  for_each_number(s, [&](std::uint64_t n) {
    if (stop_requested()) return false;
    const Call c = call_once(op, ctx, rec, n);
    if (rec.due(rec.calls.push(n, c.start, c.end - c.start, c.label))) [[unlikely]]
      block_filled(rec);
    return after_call(s, tally, rec, c);
  });
}

/// The hot loop, paced (open loop): each call waits for its slot of the schedule, and its
/// latency counts from the slot (coordinated omission corrected); its start delay is kept.
void paced_loop(const LoopSetup& s, OperationFn& op, Context& ctx, ThreadRecord& rec,
                Tally& tally) {
  std::uint64_t due = s.first_due_ns;
  for_each_number(s, [&](std::uint64_t n) {
    if (stop_requested()) return false;
    if (s.deadline_ns && due >= s.deadline_ns) return false;  // the schedule ends there
    wait_until(due);
    if (stop_requested()) return false;
    const Call c = call_once(op, ctx, rec, n);
    const std::uint64_t delay = c.start > due ? c.start - due : 0;
    const bool full = rec.calls.push(n, due, c.end - due, c.label);
    rec.delays.push(delay);
    if (rec.due(full)) [[unlikely]]
      block_filled(rec);
    if (delay >= s.interval_ns) tally.late();
    due += s.interval_ns;
    return after_call(s, tally, rec, c);
  });
}

void call_loop(const LoopSetup& s, OperationFn& op, Context& ctx, ThreadRecord& rec) {
  Tally tally(*s.progress, *s.errors, rec);
  if (s.interval_ns) paced_loop(s, op, ctx, rec, tally);
  else closed_loop(s, op, ctx, rec, tally);
  tally.publish(now_ns());
  rec.busy_ns = tally.busy_ns();
  if (rec.stream != nullptr) rec.stream->hand_over(rec);  // the thread's last rows
}

// ---- the run's phases -------------------------------------------------------------------------

/// Phase 1: one operation instance per thread, built before anything is timed; an error on
/// any rank is a ConfigError on every rank.
std::vector<OperationFn> make_operations(const RunSpec& spec, const OperationInfo& info,
                                         MPI_Comm comm, RankRun& run) {
  std::vector<OperationFn> ops;
  std::string error;
  try {
    const Params params(info.params, spec.params, info.name);
    for (const auto& given : spec.params) run.params_given.push_back(given.first);
    run.spec.params = params.values();
    for (int t = 0; t < spec.threads; ++t) ops.push_back(info.make(params));
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (any_rank(comm, !error.empty()))
    throw ConfigError(error.empty() ? "operation set-up failed on another rank"
                                    : "operation set-up failed: " + error);
  return ops;
}

/// Phase 2: who calls which numbers. Count mode, static: this rank's slice of
/// [seed, seed + ops); dynamic and guided: blocks of it claimed from one counter while the
/// run goes; warm-up calls take the numbers after it. Duration mode (under every schedule):
/// N warm-up calls take [seed, seed + N) and the measured calls an unbounded interleaved
/// sequence after them; a timed warm-up shares that sequence.
struct NumberPlan {
  ChunkDispenser measured;
  ChunkDispenser warm_numbers;
  NumberSource* measured_source = nullptr;
  ChunkDispenser* warm = nullptr;
  bool warming = false;
  std::size_t expected_rows = 0;  ///< rows each thread reserves (0: a whole block)
  std::size_t warm_rows = 0;      ///< warm-up rows each thread reserves (0: a whole block)
  // A shared schedule: its blocks, the counter ranks claim them by, the rank's queue.
  BlockPlan blocks;
  std::unique_ptr<SharedCounter> counter;
  std::unique_ptr<SharedBlocks> shared;
  [[nodiscard]] bool is_shared() const noexcept { return counter != nullptr; }
};

NumberPlan plan_numbers(const RunSpec& spec, int ranks, int rank) {
  const NumberRange slice = rank_slice(spec.seed, spec.ops, ranks, rank);
  const std::uint64_t chunk = spec.timed() ? 64 : chunk_size(slice.size(), spec.threads);
  const std::uint64_t warm_base = spec.seed + (spec.timed() ? 0 : spec.ops);
  NumberPlan p{
      spec.timed() ? ChunkDispenser::unbounded(spec.seed + spec.warmup_calls, ranks, rank, chunk)
                   : ChunkDispenser(slice, chunk),
      spec.warmup_calls > 0
          ? ChunkDispenser(
                rank_slice(warm_base, spec.warmup_calls, ranks, rank),
                chunk_size(spec.warmup_calls / static_cast<std::uint64_t>(ranks), spec.threads))
          : ChunkDispenser::unbounded(warm_base, ranks, rank, 64),
      nullptr,
      nullptr,
      false,
      0,
      0,
      {},
      nullptr,
      nullptr};
  p.measured_source = &p.measured;
  p.warm = spec.timed() && spec.warmup_ns > 0 ? &p.measured : &p.warm_numbers;
  p.warming = spec.warmup_calls > 0 || spec.warmup_ns > 0;
  if (spec.warmup_calls > 0)
    p.warm_rows = spec.warmup_calls / (static_cast<std::uint64_t>(ranks) * spec.threads) + 64;
  // Room for a fair share of the calls plus what dynamic chunking may add.
  if (!spec.timed()) {
    const std::size_t share = slice.size() / static_cast<std::size_t>(spec.threads);
    p.expected_rows = spec.threads == 1 ? slice.size() : share + share / 8 + chunk;
  }
  return p;
}

/// Phase 2b (collective): the counter of a shared schedule. When MPI cannot make it, a
/// schedule the user chose is a ConfigError on every rank; the default falls back to static,
/// with a note.
void share_numbers(NumberPlan& p, const RunSpec& spec, MPI_Comm comm, RankRun& run) {
  if (spec.timed() || spec.schedule == Schedule::static_) return;
  std::string error;
  try {
    p.counter = std::make_unique<SharedCounter>(comm);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (any_rank(comm, !error.empty())) {
    p.counter.reset();  // freed on every rank that made it
    const std::string why = (error.empty() ? std::string("another rank failed to") : error) + "; " +
                            shared_counter_hint();
    if (spec.schedule_given)
      throw ConfigError("--schedule " + std::string(name_of(spec.schedule)) + ": " + why);
    run.spec.schedule = Schedule::static_;
    run.notes.push_back("the dynamic schedule fell back to static: " + why);
    return;
  }
  p.blocks = BlockPlan(spec.schedule, spec.seed, spec.ops, run.ranks);
  p.shared = std::make_unique<SharedBlocks>(spec.threads);
  p.measured_source = p.shared.get();
  // A rank may take more than its share: reserve for a fair share and let rows grow beyond.
}

/// Everything the threads of one rank share during the run.
struct Team {
  const RunSpec& spec;
  RankRun& run;
  MPI_Comm comm;
  NumberPlan& numbers;
  RecordStream& stream;
  std::string spill_path;  ///< the rank's spill file ("" without one)
  std::vector<OperationFn>& ops;
  const LabelRule& errors;
  std::vector<ThreadProgress> progress, warm_progress;
  std::atomic<int> finished_threads{0}, warm_finished_threads{0}, wear_finished_threads{0};
  RankAgent agent, warm_agent, wear_agent;
  std::unique_ptr<CappedSource> wear_numbers;  ///< the wear-out's share, once agreed
  int size;                                    ///< threads OpenMP started
  bool ready = true;
  std::string error;

  Team(const RunSpec& sp, RankRun& r, MPI_Comm c, NumberPlan& n, RecordStream& st,
       std::vector<OperationFn>& o, const RunControl& control)
      : spec(sp),
        run(r),
        comm(c),
        numbers(n),
        stream(st),
        ops(o),
        errors(r.errors),
        progress(static_cast<std::size_t>(sp.threads)),
        warm_progress(static_cast<std::size_t>(sp.threads)),
        agent(c, r.rank, control, false, progress, finished_threads),
        warm_agent(c, r.rank, control, true, warm_progress, warm_finished_threads),
        wear_agent(c, r.rank, control, false, progress, wear_finished_threads),
        size(sp.threads) {
    if (n.is_shared()) {
      agent.feed(*n.shared, *n.counter, n.blocks);
      wear_agent.feed(*n.shared, *n.counter, n.blocks);
    }
  }

  void fail(const std::string& what) {
#pragma omp critical(gorgon_team_error)
    if (error.empty()) error = what;
  }
};

/// Phase 3 (each thread): its records, attached to the rank's stream: their first blocks
/// allocated and their pages touched on the thread that will fill them (first touch),
/// before anything is timed.
void allocate_records(Team& team, int t, std::unique_ptr<ThreadRecord>& rec,
                      std::unique_ptr<ThreadRecord>& warm) {
  try {
    rec = std::make_unique<ThreadRecord>();
    rec->rank = team.run.rank;
    rec->thread = t;
    team.stream.attach(*rec, team.spec.paced(), team.numbers.expected_rows);
    if (team.numbers.warming) {
      warm = std::make_unique<ThreadRecord>();
      warm->rank = team.run.rank;
      warm->thread = t;
      warm->warmup = true;
      team.stream.attach(*warm, false, team.numbers.warm_rows);
    }
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Phase 4 (master): every rank has its team, records and rounds, or none goes on. The
/// warm-up has an agent and rounds of its own, so a stop during it reaches every rank within
/// a round.
void agree_ready(Team& team) {
  team.size = omp_get_num_threads();
  try {
    if (team.error.empty()) {
      team.agent.prepare();
      if (team.numbers.warming) team.warm_agent.prepare();
    }
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
  try {
    team.ready = !any_rank(team.comm, !team.error.empty() || team.size != team.spec.threads);
    if (!team.ready) {
      team.agent.cancel();  // on every rank: none takes part in the rounds
      team.warm_agent.cancel();
    } else if (team.warm_agent.active()) {
      team.warm_agent.start(now_ns(), team.size);
    }
  } catch (const std::exception& e) {
    team.fail(e.what());
    team.ready = false;
  }
}

/// Phase 5 (each thread): the warm-up, a closed loop recorded apart, before the clocks are
/// compared and the start; the master then waits for the warm-up's agent, which ends when
/// every rank has warmed up.
void warm_up(Team& team, int t, ThreadRecord& warm) {
  const auto ti = static_cast<std::size_t>(t);
  try {
    Context ctx(warm, team.run.rank, t, team.run.ranks, team.spec.threads);
    LoopSetup w;
    w.numbers = team.numbers.warm;
    w.progress = &team.warm_progress[ti];
    w.errors = &team.errors;
    w.deadline_ns = team.spec.warmup_ns ? now_ns() + team.spec.warmup_ns : 0;
    call_loop(w, team.ops[ti], ctx, warm);
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
  team.warm_finished_threads.fetch_add(1);
  if (t != 0) return;
  try {
    team.warm_agent.join();
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Whether a stop was agreed during the warm-up (the same on every rank): then no call is
/// measured.
bool stopped_in_warm_up(const Team& team) { return team.warm_agent.interrupted(); }

/// Phase 6b (master, with a spill file): the note that lets the run's rows be recovered
/// after an abrupt end (run/recovery). A note that cannot be written stops no run: the rows
/// still reach the file after it, and one note says so.
void note_for_recovery(Team& team) {
  try {
    write_recovery_note(team.run, team.spill_path);
  } catch (const std::exception& e) {
    team.run.notes.push_back(std::string("no recovery note for this run: ") + e.what());
  }
}

/// Phase 6 (master): clock offsets and the start barrier, then the measurement's agent. No
/// other thread talks to MPI until the agent starts; then only the agent does.
void agree_clocks_and_start(Team& team) {
  bool prepared = true;
  try {
    team.run.offsets = estimate_clock_offsets(team.comm);
  } catch (const std::exception& e) {
    team.fail(e.what());
    prepared = false;
  }
  try {
    // Every rank says whether it is prepared before any enters the rounds, so a rank that
    // failed here cannot leave the others waiting in them. A team that was not ready (agreed
    // on every rank) has no rounds to start.
    if (!team.ready || any_rank(team.comm, !prepared)) {
      team.ready = false;
      team.agent.cancel();  // on every rank: none takes part in the rounds
    } else {
      check_mpi(MPI_Barrier(team.comm), "MPI_Barrier");
      team.run.start_ns = now_ns();
      team.agent.start(team.run.start_ns, team.size);
      if (!team.spill_path.empty()) note_for_recovery(team);
    }
  } catch (const std::exception& e) {
    team.fail(e.what());
    team.ready = false;
  }
}

/// Phase 7 (each thread): the measured calls.
void measure(Team& team, int t, ThreadRecord& rec) {
  const auto ti = static_cast<std::size_t>(t);
  const RunSpec& spec = team.spec;
  try {
    Context ctx(rec, team.run.rank, t, team.run.ranks, spec.threads);
    LoopSetup m;
    m.numbers = team.numbers.measured_source;
    m.progress = &team.progress[ti];
    m.errors = &team.errors;
    m.deadline_ns = spec.timed()            ? team.run.start_ns + spec.duration_ns
                    : spec.stonewall_ns > 0 ? team.run.start_ns + spec.stonewall_ns
                                            : 0;
    if (spec.paced()) {
      // Each thread keeps its share of the rate on its own schedule; the threads of all
      // ranks are spread evenly over one interval so the calls do not come in bursts.
      const auto all = static_cast<std::uint64_t>(team.run.ranks) * spec.threads;
      const double per_thread = spec.rate / static_cast<double>(all);
      m.interval_ns = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(1e9 / per_thread));
      const std::uint64_t slot = static_cast<std::uint64_t>(team.run.rank) * spec.threads + ti;
      m.first_due_ns = team.run.start_ns + m.interval_ns * slot / all;
    }
    call_loop(m, team.ops[ti], ctx, rec);
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Phase 8 (master): wait for the agent, which ends when every rank of the run is done.
void drain(Team& team) {
  try {
    team.agent.join();
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Phase 8b (master, --stonewall): the rank's calls at the stonewall and whether it cut the
/// run on any rank; with --wear-out, the busiest rank's count (agreed by every rank), this
/// rank's share of the catching up, and the wear-out's agent started.
void agree_stonewall(Team& team) {
  RankRun& run = team.run;
  try {
    bool cut = false;
    for (const auto& rec : run.records)
      if (rec) {
        run.stonewall_calls += rec->call_count();
        cut = cut || (rec->last_end_ns >= run.start_ns + team.spec.stonewall_ns);
      }
    run.stonewalled = any_rank(team.comm, cut);
    if (!team.spec.wear_out || !team.ready || team.agent.interrupted() || !run.stonewalled) return;
    std::uint64_t busiest = run.stonewall_calls;
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, &busiest, 1, MPI_UINT64_T, MPI_MAX, team.comm),
              "MPI_Allreduce");
    // Every rank has the wear-out's rounds, or none catches up (a rank without them would
    // leave the others waiting in theirs).
    std::string failed;
    try {
      team.wear_agent.prepare();
    } catch (const std::exception& e) {
      failed = e.what();
    }
    if (any_rank(team.comm, !failed.empty())) {
      team.fail(failed.empty() ? "the wear-out failed on another rank" : failed);
      return;
    }
    team.wear_numbers = std::make_unique<CappedSource>(*team.numbers.measured_source,
                                                       busiest - run.stonewall_calls);
    team.wear_agent.start(now_ns(), team.size);
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Phase 8c (each thread, --wear-out): calls until the rank has made as many as the busiest
/// rank at the stonewall (or the numbers run out); the master then waits for the wear-out's
/// agent.
void wear_out(Team& team, int t, ThreadRecord* rec) {
  const auto ti = static_cast<std::size_t>(t);
  if (team.wear_numbers && rec != nullptr) {
    try {
      Context ctx(*rec, team.run.rank, t, team.run.ranks, team.spec.threads);
      LoopSetup w;
      w.numbers = team.wear_numbers.get();
      w.progress = &team.progress[ti];
      w.errors = &team.errors;
      call_loop(w, team.ops[ti], ctx, *rec);
    } catch (const std::exception& e) {
      team.fail(e.what());
    }
  }
  team.wear_finished_threads.fetch_add(1);
  if (t != 0 || !team.wear_numbers) return;
  try {
    team.wear_agent.join();
  } catch (const std::exception& e) {
    team.fail(e.what());
  }
}

/// Phase 8d (master): every row handed to the stream folded (and spilled or kept, for a
/// file), the spill file closed; the stream's figures into the run.
void drain_records(Team& team, SpillWriter* spill) {
  RankRun& run = team.run;
  try {
    team.stream.drain();
    if (spill != nullptr) {
      spill->close();
      run.spill_path = spill->path();
    }
  } catch (const std::exception& e) {
    team.fail(std::string("recording the rows: ") + e.what());
  }
  run.record_budget_bytes = team.stream.settings().budget_bytes;
  run.record_peak_bytes = team.stream.peak_bytes();
  run.record_waits = team.stream.waits();
  for (const auto* set : {&run.records, &run.warmup})
    for (const auto& rec : *set)
      if (rec) run.record_wait_ns += rec->stream_wait_ns;
}

/// Phase 9: this rank's end (when its last call ended, not when the last rank was done),
/// the stop agreed in the rounds, and the team's errors agreed by every rank.
void finish(Team& team) {
  RankRun& run = team.run;
  run.end_ns = run.start_ns;
  for (const auto& rec : run.records)
    if (rec) run.end_ns = std::max(run.end_ns, rec->last_end_ns);
  for (const auto& p : team.progress) run.late_calls += p.late.load();
  run.threads = team.size;
  // Agreed in the rounds: the same on every rank.
  const RankAgent& stopped = stopped_in_warm_up(team)        ? team.warm_agent
                             : team.wear_agent.interrupted() ? team.wear_agent
                                                             : team.agent;
  run.interrupted = stopped.interrupted();
  run.stop_reason = stopped.stop_reason();
  if (team.size != team.spec.threads && team.error.empty())
    team.error = "OpenMP started " + std::to_string(team.size) + " threads instead of " +
                 std::to_string(team.spec.threads) + " (check OMP_THREAD_LIMIT)";
  if (any_rank(team.comm, !team.error.empty()))
    throw std::runtime_error(team.error.empty() ? "the run failed on another rank"
                                                : "the run failed: " + team.error);
}

/// Phase 0: the rank's record stream, whose thread folds each block of rows into the
/// statistics (and spills or keeps it, for a file). A budget too small for the threads, a
/// spill file or a thread that cannot be made, on any rank is an error on every rank.
std::unique_ptr<RecordStream> open_stream(const RunSpec& spec, MPI_Comm comm,
                                          const RunControl& control, RankRun& run,
                                          std::unique_ptr<SpillWriter>& spill) {
  RecordStream::Settings settings = control.records;
  const int records = spec.threads * (spec.warmup_calls > 0 || spec.warmup_ns > 0 ? 2 : 1);
  const std::size_t least = RecordStream::least_budget(records, settings.block_rows, spec.paced());
  if (settings.budget_bytes == 0)  // the default grows to what the threads need
    settings.budget_bytes = std::max<std::size_t>(default_record_budget(comm), least);
  const bool too_small = settings.budget_bytes < least;
  if (any_rank(comm, too_small))
    throw ConfigError("--memory " + format_bytes(settings.budget_bytes) +
                      " cannot hold the records of " + std::to_string(spec.threads) +
                      (spec.threads == 1 ? " thread" : " threads") +
                      (records > spec.threads ? " and their warm-up" : "") + ": give at least " +
                      format_bytes(least) + " per rank");
  run.folds.resize(static_cast<std::size_t>(spec.threads));
  std::unique_ptr<RecordStream> stream;
  std::string error;
  try {
    if (!control.spill_path.empty()) spill = std::make_unique<SpillWriter>(control.spill_path);
    const bool keep = control.keep_rows;
    stream = std::make_unique<RecordStream>(
        settings,
        [&run, keep, out = spill.get()](std::unique_ptr<RecordSegment>& seg) {
          if (!seg->warmup) run.folds[static_cast<std::size_t>(seg->thread)].add(seg->rows);
          if (out != nullptr) out->append(*seg);
          else if (keep) run.kept.push_back(std::move(seg));
        },
        // Rows that cannot be kept end the run on every rank, within a round.
        [] { request_stop("recording failed"); });
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (any_rank(comm, !error.empty()))
    throw std::runtime_error(error.empty() ? "the record stream failed on another rank"
                                           : "cannot start the record stream: " + error);
  return stream;
}

/// MPI must let the agents talk to it from a thread of their own.
void require_serialized_mpi() {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (level < MPI_THREAD_SERIALIZED)
    throw ConfigError(
        "gorgon needs MPI initialised with MPI_THREAD_SERIALIZED or more (the "
        "rank's agent thread talks to MPI while the calling threads run)");
}

/// This rank's node: MPI_Get_processor_name, for the run's per-node balance.
std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  check_mpi(MPI_Get_processor_name(name, &len), "MPI_Get_processor_name");
  return std::string(name, static_cast<std::size_t>(len));
}
}  // namespace

void fold_held_rows(RankRun& run, bool keep_rows) {
  run.folds.resize(std::max(run.folds.size(), run.records.size()));
  for (const auto* set : {&run.records, &run.warmup})
    for (std::size_t t = 0; t < set->size(); ++t) {
      ThreadRecord* rec = (*set)[t].get();
      if (rec == nullptr || (rec->calls.size() == 0 && rec->subcalls.size() == 0)) continue;
      auto seg = std::make_unique<RecordSegment>();
      seg->thread = static_cast<int>(t);
      seg->warmup = set == &run.warmup;
      std::swap(seg->rows, static_cast<RecordRows&>(*rec));
      rec->handed_calls += seg->rows.calls.size();
      if (!seg->warmup) run.folds[t].add(seg->rows);
      if (keep_rows) run.kept.push_back(std::move(seg));
    }
}

std::uint64_t default_record_budget(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const std::uint64_t memory =
      pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                            : std::uint64_t{8} << 30;
  return std::min<std::uint64_t>(std::uint64_t{1} << 30,
                                 memory / 8 / static_cast<std::uint64_t>(on_node));
}

RankRun execute_run(const RunSpec& spec, const OperationInfo& info, MPI_Comm comm,
                    const RunControl& control) {
  RankRun run;
  run.spec = spec;
  run.errors = error_rule(spec, info);
  MPI_Comm_rank(comm, &run.rank);
  MPI_Comm_size(comm, &run.ranks);
  require_serialized_mpi();
  run.host = processor_name();
  std::vector<OperationFn> ops = make_operations(spec, info, comm, run);
  NumberPlan numbers = plan_numbers(spec, run.ranks, run.rank);
  share_numbers(numbers, spec, comm, run);
  std::unique_ptr<SpillWriter> spill;
  std::unique_ptr<RecordStream> stream = open_stream(spec, comm, control, run, spill);
  run.records.resize(static_cast<std::size_t>(spec.threads));
  run.warmup.resize(static_cast<std::size_t>(spec.threads));
  Team team(spec, run, comm, numbers, *stream, ops, control);
  team.spill_path = control.spill_path;

  omp_set_dynamic(0);
#pragma omp parallel num_threads(spec.threads)
  {
    const int t = omp_get_thread_num();
    std::unique_ptr<ThreadRecord> rec, warm;
    allocate_records(team, t, rec, warm);
#pragma omp barrier
#pragma omp master
    agree_ready(team);
#pragma omp barrier
    if (team.ready && warm) warm_up(team, t, *warm);
#pragma omp barrier
#pragma omp master
    agree_clocks_and_start(team);
#pragma omp barrier
    if (team.ready && rec && !stopped_in_warm_up(team)) measure(team, t, *rec);
    team.finished_threads.fetch_add(1);
#pragma omp master
    drain(team);
    if (spec.stonewall_ns > 0) {
      run.records[static_cast<std::size_t>(t)] = std::move(rec);
#pragma omp barrier
#pragma omp master
      agree_stonewall(team);
#pragma omp barrier
      rec = std::move(run.records[static_cast<std::size_t>(t)]);
      if (spec.wear_out) wear_out(team, t, rec.get());
    }
    run.records[static_cast<std::size_t>(t)] = std::move(rec);
    run.warmup[static_cast<std::size_t>(t)] = std::move(warm);
  }
  drain_records(team, spill.get());
  finish(team);
  numbers.counter.reset();  // collective: every rank is past the rounds
  return run;
}

}  // namespace gorgon
