#include "gorgon/h5/run_writer.hpp"

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <type_traits>

#include "gorgon/base/agree.hpp"
#include "gorgon/h5/columns.hpp"
#include "gorgon/h5/format.hpp"
#include "gorgon/h5/io.hpp"
#include "gorgon/h5/summary_io.hpp"
#include "gorgon/reduce/reduce.hpp"

namespace gorgon::h5::detail {
namespace f = format;
namespace {

/// The run's attributes, known on rank 0 and broadcast so every rank writes the same.
struct RunAttrs {
  std::vector<std::string> text;    // operation, then the params' keys, then their values
  std::vector<std::uint64_t> nums;  // ops, seed, ranks, threads, wall_ns, start_ns
  std::vector<std::string> state;   // mode, status, stop_reason
  std::vector<std::uint64_t> extra;  // duration_ns, late_calls, warmup_calls
  double rate = 0;
};

std::vector<std::uint32_t> map_ids(const std::vector<std::string>& local,
                                   const std::vector<std::string>& global) {
  std::vector<std::uint32_t> ids;
  for (const auto& s : local)
    ids.push_back(static_cast<std::uint32_t>(
        std::lower_bound(global.begin(), global.end(), s) - global.begin()));
  return ids;
}

/// The records of one rank (measured or warm-up), one per thread that has one.
using Records = std::vector<const ThreadRecord*>;

Records records_of(const std::vector<std::unique_ptr<ThreadRecord>>* from) {
  Records out;
  if (from != nullptr)
    for (const auto& r : *from)
      if (r) out.push_back(r.get());
  return out;
}

/// This rank's raw records, seen as block segments and string tables.
struct LocalView {
  std::vector<BlockCursor<CallBlock>::Segment> calls;
  std::vector<BlockCursor<SubCallBlock>::Segment> subcalls;
  std::vector<BlockCursor<DelayBlock>::Segment> delays;
  std::uint64_t call_rows = 0, subcall_rows = 0;
  std::vector<std::string> labels, names;  // every thread's, unmerged
};

LocalView view_of(const Records& records, bool with_delays) {
  LocalView v;
  for (std::size_t t = 0; t < records.size(); ++t) {
    const ThreadRecord& rec = *records[t];
    if (rec.thread > std::numeric_limits<std::uint16_t>::max())
      throw ConfigError("thread numbers above 65535 do not fit the file's thread column");
    if (with_delays && rec.delays.size() != rec.calls.size())
      throw std::logic_error("h5 writer: a thread has " + std::to_string(rec.delays.size()) +
                             " start delays for " + std::to_string(rec.calls.size()) + " calls");
    rec.calls.for_each_block(
        [&](const CallBlock& b, std::size_t used) { v.calls.push_back({&b, used, t}); });
    rec.subcalls.for_each_block(
        [&](const SubCallBlock& b, std::size_t used) { v.subcalls.push_back({&b, used, t}); });
    if (with_delays)
      rec.delays.for_each_block(
          [&](const DelayBlock& b, std::size_t used) { v.delays.push_back({&b, used, t}); });
    v.call_rows += rec.calls.size();
    v.subcall_rows += rec.subcalls.size();
    v.labels.insert(v.labels.end(), rec.labels.strings().begin(), rec.labels.strings().end());
    v.names.insert(v.names.end(), rec.subcall_names.strings().begin(),
                   rec.subcall_names.strings().end());
  }
  return v;
}

void write_group(hid_t g, std::size_t index, const RunAttrs& a, const SummaryTables& t,
                 const Transfer& tr) {
  write_attr(g, f::kAttrIndex, std::uint64_t{index});
  write_attr(g, f::kAttrOperation, a.text[0]);
  write_attr(g, f::kAttrOps, a.nums[0]);
  write_attr(g, f::kAttrSeed, a.nums[1]);
  write_attr(g, f::kAttrRanks, static_cast<std::int32_t>(a.nums[2]));
  write_attr(g, f::kAttrThreads, static_cast<std::int32_t>(a.nums[3]));
  write_attr(g, f::kAttrMode, a.state[0]);
  write_attr(g, f::kAttrStatus, a.state[1]);
  write_attr(g, f::kAttrStopReason, a.state[2]);
  write_attr(g, f::kAttrDurationNs, a.extra[0]);
  write_attr(g, f::kAttrLateCalls, a.extra[1]);
  write_attr(g, f::kAttrWarmupCalls, a.extra[2]);
  write_attr(g, f::kAttrRate, a.rate);
  write_attr(g, f::kAttrWallNs, a.nums[4]);
  write_attr(g, f::kAttrStartNs, a.nums[5]);
  write_attr(g, f::kAttrClock, std::string(f::kClockName));
  Hid params = create_group(g, f::kParams);
  const std::size_t np = (a.text.size() - 1) / 2;
  for (std::size_t i = 0; i < np; ++i)
    write_attr(params.get(), a.text[1 + i].c_str(), a.text[1 + np + i]);
  Hid summary = create_group(g, f::kSummary);
  write_attr(summary.get(), f::kAttrPercentiles,
             std::vector<double>(std::begin(kReportPercentiles), std::end(kReportPercentiles)));
  write_attr(summary.get(), f::kAttrHistSubBits, std::int32_t{Histogram::kSubBits});
  write_attr(summary.get(), f::kAttrHistMaxExponent, std::int32_t{Histogram::kMaxExponent});
  Hid balance = create_group(g, f::kBalance);
  Hid ranks = create_group(balance.get(), f::kBalRanks);
  Hid threads = create_group(balance.get(), f::kBalThreads);
  for_each_column(t, [&](const char* group, const char* name, const auto& column, std::size_t cols) {
    const hid_t where = std::strcmp(group, f::kSummary) == 0 ? summary.get()
                        : std::strcmp(group, "balance/ranks") == 0 ? ranks.get()
                                                                   : threads.get();
    const hsize_t rows = cols > 0 ? column.size() / cols : column.size();
    write_table(where, name, column, rows, cols, tr);
  });
}

/// One set of records (the run's measured calls, or its warm-up calls) made ready to write:
/// this rank's view, the merged string tables, each thread's id maps, and the row slices.
struct RecordSet {
  Records records;
  bool with_delays = false;
  LocalView view;
  std::vector<std::string> labels, names;
  std::vector<std::vector<std::uint32_t>> label_ids, name_ids;
  std::vector<Slice> slices;
};

/// Collective over s.world: every rank takes part, with or without records.
RecordSet prepare(const RunWriteSettings& s, Records records, bool with_delays) {
  RecordSet r;
  r.records = std::move(records);
  r.with_delays = with_delays;
  all_or_none(s.world, [&] { r.view = view_of(r.records, with_delays); });
  r.labels = merge_dictionary(s.world, r.view.labels);
  r.names = merge_dictionary(s.world, r.view.names);
  for (const ThreadRecord* rec : r.records) {
    r.label_ids.push_back(map_ids(rec->labels.strings(), r.labels));
    r.name_ids.push_back(map_ids(rec->subcall_names.strings(), r.names));
  }
  r.slices = agree_slices(s.world, {r.view.call_rows, r.view.subcall_rows}, s.chunk_rows);
  return r;
}

/// Writes `r` under `parent`: the labels and subcall_names tables, calls/ (with
/// start_delay_ns when r.with_delays) and subcalls/. `between` runs after the calls and
/// before the sub-calls (a test hook). Collective over s.world.
void write_records(const RunWriteSettings& s, hid_t parent, const RecordSet& r,
                   std::uint32_t my_rank, const std::function<void()>& between) {
  int me = 0;
  MPI_Comm_rank(s.world, &me);
  const Transfer tr{s.dxpl, me == 0};
  Hid calls, subcalls;
  all_or_none(s.world, [&] {
    write_string_table(parent, f::kLabels, r.labels, tr);
    write_string_table(parent, f::kSubcallNames, r.names, tr);
    calls = create_group(parent, f::kCalls);
    subcalls = create_group(parent, f::kSubcalls);
  });

  // The raw columns, through one staging buffer of at most chunk_rows values.
  const LocalView& view = r.view;
  const std::uint64_t most = std::max({view.call_rows, view.subcall_rows, std::uint64_t{1}});
  std::vector<std::uint64_t> staging(static_cast<std::size_t>(std::min(s.chunk_rows, most)));
  const ColumnSettings cs{s.world,      s.column_dxpl,  s.collective_columns, s.chunk_rows,
                          s.compress,   staging.data(), staging.size()};
  // A column's source: `copy` converts a piece into the scratch buffer or, with `direct`,
  // the piece is written from the record block in place. Each source has its own cursor.
  std::deque<BlockCursor<CallBlock>> call_cursors;
  std::deque<BlockCursor<SubCallBlock>> sub_cursors;
  std::deque<BlockCursor<DelayBlock>> delay_cursors;
  auto source = [&](auto& cursors, const auto& segs, auto type, auto copy, auto direct) -> Source {
    using T = decltype(type);
    auto& cursor = cursors.emplace_back(segs);
    return [&cursor, copy, direct](std::size_t max, void* scratch, const void** data) {
      return cursor.next(max, [&](const auto& b, std::size_t i, std::size_t c, std::size_t t) {
        if constexpr (std::is_same_v<decltype(direct), std::nullptr_t>) {
          copy(b, i, c, t, static_cast<T*>(scratch));
          *data = scratch;
        } else {
          *data = (b.*direct).get() + i;
        }
      });
    };
  };
  auto in_place = [&](auto& cursors, const auto& segs, auto member) {
    return source(cursors, segs, std::uint64_t{}, nullptr, member);
  };
  std::vector<Column> call_columns;
  call_columns.push_back(column_of<std::uint64_t>(
      f::kNumber, in_place(call_cursors, view.calls, &CallBlock::number)));
  call_columns.push_back(column_of<std::uint64_t>(
      f::kStartNs, in_place(call_cursors, view.calls, &CallBlock::start_ns)));
  call_columns.push_back(column_of<std::uint64_t>(
      f::kDurationNs, in_place(call_cursors, view.calls, &CallBlock::duration_ns)));
  call_columns.push_back(column_of<std::uint32_t>(
      f::kLabel, source(call_cursors, view.calls, std::uint32_t{},
                        [&](const CallBlock& b, std::size_t i, std::size_t c, std::size_t t,
                            std::uint32_t* o) {
                          const auto& ids = r.label_ids[t];
                          for (std::size_t j = 0; j < c; ++j) o[j] = ids[b.label[i + j]];
                        },
                        nullptr)));
  call_columns.push_back(column_of<std::uint32_t>(
      f::kRank, source(call_cursors, view.calls, std::uint32_t{},
                       [my_rank](const CallBlock&, std::size_t, std::size_t c, std::size_t,
                                 std::uint32_t* o) { std::fill(o, o + c, my_rank); },
                       nullptr)));
  call_columns.push_back(column_of<std::uint16_t>(
      f::kThread, source(call_cursors, view.calls, std::uint16_t{},
                         [&](const CallBlock&, std::size_t, std::size_t c, std::size_t t,
                             std::uint16_t* o) {
                           std::fill(o, o + c, static_cast<std::uint16_t>(r.records[t]->thread));
                         },
                         nullptr)));
  if (r.with_delays)
    call_columns.push_back(column_of<std::uint64_t>(
        f::kStartDelayNs, in_place(delay_cursors, view.delays, &DelayBlock::delay_ns)));
  write_columns(calls.get(), call_columns, r.slices[0], cs);

  if (between) between();

  std::vector<Column> sub_columns;
  sub_columns.push_back(column_of<std::uint64_t>(
      f::kCallNumber, in_place(sub_cursors, view.subcalls, &SubCallBlock::call_number)));
  sub_columns.push_back(column_of<std::uint32_t>(
      f::kName, source(sub_cursors, view.subcalls, std::uint32_t{},
                       [&](const SubCallBlock& b, std::size_t i, std::size_t c, std::size_t t,
                           std::uint32_t* o) {
                         const auto& ids = r.name_ids[t];
                         for (std::size_t j = 0; j < c; ++j) o[j] = ids[b.name[i + j]];
                       },
                       nullptr)));
  sub_columns.push_back(column_of<std::uint64_t>(
      f::kStartNs, in_place(sub_cursors, view.subcalls, &SubCallBlock::start_ns)));
  sub_columns.push_back(column_of<std::uint64_t>(
      f::kDurationNs, in_place(sub_cursors, view.subcalls, &SubCallBlock::duration_ns)));
  write_columns(subcalls.get(), sub_columns, r.slices[1], cs);
}

}  // namespace

void write_run(const RunWriteSettings& s, std::size_t index, const RunSummary& summary,
               const RankRun* local) {
  boost::mpi::communicator comm(s.world, boost::mpi::comm_attach);
  const bool root = comm.rank() == 0;

  // 1. This rank's records, the run's string tables and every rank's slice of rows. Rate
  // mode (a rate asked for) adds the start delays; rank 0 tells the others, since a rank
  // outside the run has neither records nor a spec.
  bool paced = root && summary.rate > 0;
  boost::mpi::broadcast(comm, paced, 0);
  const RecordSet measured =
      prepare(s, records_of(local != nullptr ? &local->records : nullptr), paced);

  // 2. Attributes and summary tables, from rank 0 to every rank.
  std::vector<std::uint64_t> starts;
  boost::mpi::gather(comm, local != nullptr ? local->start_ns : std::uint64_t{0}, starts, 0);
  RunAttrs attrs;
  SummaryTables tables;
  all_or_none(s.world, [&] {
    if (!root) return;
    if (local == nullptr) throw std::logic_error("h5 writer: world rank 0 is not in the run");
    attrs.text.push_back(summary.operation);
    for (const auto& p : summary.params) attrs.text.push_back(p.first);
    for (const auto& p : summary.params) attrs.text.push_back(p.second);
    attrs.nums = {summary.ops, summary.seed, static_cast<std::uint64_t>(summary.ranks),
                  static_cast<std::uint64_t>(summary.threads), summary.wall_ns, local->start_ns};
    attrs.state = {summary.mode, summary.status, summary.stop_reason};
    attrs.extra = {summary.duration_ns, summary.late_calls, summary.warmup_calls};
    attrs.rate = summary.rate;
    starts.resize(static_cast<std::size_t>(std::max(summary.ranks, 0)));
    tables = make_tables(summary, measured.labels, measured.names, starts);
  });
  boost::mpi::broadcast(comm, attrs.text, 0);
  boost::mpi::broadcast(comm, attrs.nums, 0);
  boost::mpi::broadcast(comm, attrs.state, 0);
  boost::mpi::broadcast(comm, attrs.extra, 0);
  boost::mpi::broadcast(comm, attrs.rate, 0);
  for_each_column(tables, [&](const char*, const char*, auto& column, std::size_t) {
    boost::mpi::broadcast(comm, column, 0);
  });

  // 3. The run's group: attributes, summary and balance (rank 0's data).
  const Transfer tr{s.dxpl, root};
  Hid group;
  all_or_none(s.world, [&] {
    group = create_group(s.runs, f::run_name(index));
    write_group(group.get(), index, attrs, tables, tr);
  });

  // 4. The measured records: string tables and raw columns.
  const std::uint32_t my_rank = static_cast<std::uint32_t>(local != nullptr ? local->rank : 0);
  write_records(s, group.get(), measured, my_rank, [&] {
    if (s.inject_failure)
      all_or_none(s.world, [&] {
        if (comm.rank() == comm.size() - 1)
          throw std::runtime_error("injected failure (GORGON_H5_TEST_FAIL) after the calls of run " +
                                   std::to_string(index));
      });
  });

  // 5. The warm-up records, apart, when the run had a warm-up (attrs.extra[2] is the same on
  // every rank).
  if (attrs.extra[2] > 0) {
    const RecordSet warm =
        prepare(s, records_of(local != nullptr ? &local->warmup : nullptr), false);
    Hid warmup;
    all_or_none(s.world, [&] { warmup = create_group(group.get(), f::kWarmup); });
    write_records(s, warmup.get(), warm, my_rank, nullptr);
  }
}

}  // namespace gorgon::h5::detail
