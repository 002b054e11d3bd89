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
#include "gorgon/record/spill.hpp"
#include "gorgon/reduce/reduce.hpp"

namespace gorgon::h5::detail {
namespace f = format;
namespace {

/// The rows of one rank (measured or warm-up) as its threads handed them over, in thread
/// order (and in the order each thread made them).
using Records = std::vector<const RecordSegment*>;

Records records_of(const RankRun* run, bool warmup) {
  Records out;
  if (run != nullptr)
    for (const auto& seg : run->kept)
      if (seg && seg->warmup == warmup) out.push_back(seg.get());
  std::stable_sort(out.begin(), out.end(), [](const RecordSegment* a, const RecordSegment* b) {
    return a->thread < b->thread;
  });
  return out;
}

/// The calls this rank made (measured or warm-up): as many rows must have been kept.
std::uint64_t calls_of(const RankRun* run, bool warmup) {
  std::uint64_t n = 0;
  if (run != nullptr)
    for (const auto& rec : warmup ? run->warmup : run->records)
      if (rec) n += rec->call_count();
  return n;
}

/// The frames of this rank's spill file (measured or warm-up), in thread order, and their
/// rows. A frame torn off at the end would lose rows: after a clean run there is none.
std::vector<const SpillFrame*> frames_of(const SpillReader& spill, bool torn_ok, bool warmup,
                                         bool with_delays, std::uint64_t& call_rows,
                                         std::uint64_t& subcall_rows) {
  if (spill.torn_bytes() > 0 && !torn_ok)
    throw std::runtime_error("the spill file ends in a damaged frame (" +
                             std::to_string(spill.torn_bytes()) + " bytes)");
  std::vector<const SpillFrame*> out;
  for (const SpillFrame& f : spill.frames())
    if (f.warmup == warmup) {
      if (f.thread < 0 || f.thread > std::numeric_limits<std::uint16_t>::max())
        throw std::runtime_error("the spill file names thread " + std::to_string(f.thread));
      if (with_delays && f.delays != f.calls)
        throw std::logic_error("h5 writer: a spill frame has " + std::to_string(f.delays) +
                               " start delays for " + std::to_string(f.calls) + " calls");
      out.push_back(&f);
      call_rows += f.calls;
      subcall_rows += f.subcalls;
    }
  std::stable_sort(out.begin(), out.end(),
                   [](const SpillFrame* a, const SpillFrame* b) { return a->thread < b->thread; });
  return out;
}

/// Walks one column of a rank's spill frames (in thread order), a piece of one frame at a
/// time, read into the writer's staging buffer (or only counted, without a buffer).
class SpillCursor {
 public:
  SpillCursor(const SpillReader& in, const std::vector<const SpillFrame*>& frames,
              std::uint64_t SpillFrame::*rows, std::uint64_t SpillFrame::*column, std::size_t size)
      : in_(in), frames_(frames), rows_(rows), column_(column), size_(size) {}

  /// At most `max` values into `scratch` (nothing read when it is nullptr); returns their
  /// count (0 at the end) and their frame's thread.
  std::size_t next(std::size_t max, void* scratch, std::size_t& thread) {
    while (f_ < frames_.size() && row_ == frames_[f_]->*rows_) {
      ++f_;
      row_ = 0;
    }
    if (f_ == frames_.size() || max == 0) return 0;
    const SpillFrame& fr = *frames_[f_];
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(max, fr.*rows_ - row_));
    if (scratch != nullptr) in_.read(fr.*column_, size_, row_, take, scratch);
    thread = static_cast<std::size_t>(fr.thread);
    row_ += take;
    return take;
  }

 private:
  const SpillReader& in_;
  const std::vector<const SpillFrame*>& frames_;
  std::uint64_t SpillFrame::*rows_;
  std::uint64_t SpillFrame::*column_;
  std::size_t size_;
  std::size_t f_ = 0;
  std::uint64_t row_ = 0;
};

/// This rank's raw records, seen as block segments and string tables.
struct LocalView {
  std::vector<BlockCursor<CallBlock>::Segment> calls;
  std::vector<BlockCursor<SubCallBlock>::Segment> subcalls;
  std::vector<BlockCursor<DelayBlock>::Segment> delays;
  std::uint64_t call_rows = 0, subcall_rows = 0;
};

LocalView view_of(const Records& records, bool with_delays) {
  LocalView v;
  for (const RecordSegment* seg : records) {
    const RecordRows& rows = seg->rows;
    const auto t = static_cast<std::size_t>(seg->thread);
    if (seg->thread > std::numeric_limits<std::uint16_t>::max())
      throw ConfigError("thread numbers above 65535 do not fit the file's thread column");
    if (with_delays && rows.delays.size() != rows.calls.size())
      throw std::logic_error("h5 writer: a thread has " + std::to_string(rows.delays.size()) +
                             " start delays for " + std::to_string(rows.calls.size()) + " calls");
    rows.calls.for_each_block([&](const CallBlock& b, std::size_t used) {
      v.calls.push_back({&b, used, t});
    });
    rows.subcalls.for_each_block([&](const SubCallBlock& b, std::size_t used) {
      v.subcalls.push_back({&b, used, t});
    });
    if (with_delays)
      rows.delays.for_each_block([&](const DelayBlock& b, std::size_t used) {
        v.delays.push_back({&b, used, t});
      });
    v.call_rows += rows.calls.size();
    v.subcall_rows += rows.subcalls.size();
  }
  return v;
}

/// The --fail-if limits checked against the run: three attributes of one length.
void write_limits(hid_t g, const std::vector<LimitResult>& limits) {
  std::vector<std::string> text, measured;
  std::vector<std::int32_t> passed;
  for (const auto& l : limits) {
    text.push_back(l.limit);
    measured.push_back(l.measured);
    passed.push_back(l.passed ? 1 : 0);
  }
  write_attr(g, f::kAttrLimits, text);
  write_attr(g, f::kAttrLimitsMeasured, measured);
  write_attr(g, f::kAttrLimitsPassed, passed);
}

void write_group(hid_t g, std::size_t index, const RunSummary& run, std::uint64_t start_ns,
                 const SummaryTables& t, const Transfer& tr) {
  write_attr(g, f::kAttrIndex, std::uint64_t{index});
  RunSummary::fields(run,
                     [&](const char* name, const auto& value) { write_field(g, name, value); });
  write_attr(g, f::kAttrStartNs, start_ns);
  write_attr(g, f::kAttrClock, std::string(f::kClockName));
  write_limits(g, run.limits);
  Hid params = create_group(g, f::kParams);
  for (const auto& [key, value] : run.params) write_attr(params.get(), key.c_str(), value);
  Hid summary = create_group(g, f::kSummary);
  write_attr(summary.get(), f::kAttrPercentiles,
             std::vector<double>(std::begin(kReportPercentiles), std::end(kReportPercentiles)));
  write_attr(summary.get(), f::kAttrHistSubBits, std::int32_t{Histogram::kSubBits});
  write_attr(summary.get(), f::kAttrHistMaxExponent, std::int32_t{Histogram::kMaxExponent});
  Hid balance = create_group(g, f::kBalance);
  Hid ranks = create_group(balance.get(), f::kBalRanks);
  Hid threads = create_group(balance.get(), f::kBalThreads);
  for_each_column(t,
                  [&](const char* group, const char* name, const auto& column, std::size_t cols) {
                    const hid_t where = std::strcmp(group, f::kSummary) == 0       ? summary.get()
                                        : std::strcmp(group, "balance/ranks") == 0 ? ranks.get()
                                                                                   : threads.get();
                    const hsize_t rows = cols > 0 ? column.size() / cols : column.size();
                    write_table(where, name, column, rows, cols, tr);
                  });
}

/// One set of records (the run's measured calls, or its warm-up calls) made ready to write:
/// this rank's view, the string tables (the reducer's, from world rank 0, since ranks
/// outside the run have none), each thread's id maps, and the row slices.
struct RecordSet {
  Records records;
  /// Or: the rows are in this rank's spill file, these frames of it in thread order.
  const SpillReader* spill = nullptr;
  std::vector<const SpillFrame*> frames;
  bool with_delays = false;
  LocalView view;
  std::vector<std::string> labels, names;
  const std::vector<std::vector<std::uint32_t>>* label_ids = nullptr;
  const std::vector<std::vector<std::uint32_t>>* name_ids = nullptr;
  std::vector<Slice> slices;
};

/// Collective over s.world: every rank takes part, with or without records.
RecordSet prepare(const RunWriteSettings& s, Records records, const SpillReader* spill,
                  bool torn_ok, bool warmup, std::uint64_t held, const Dictionaries& dict,
                  bool with_delays) {
  boost::mpi::communicator comm(s.world, boost::mpi::comm_attach);
  RecordSet r;
  r.records = std::move(records);
  r.with_delays = with_delays;
  r.spill = spill;
  all_or_none(s.world, [&] {
    r.view = view_of(r.records, with_delays);
    std::vector<int> threads;  // that the rows name
    for (const RecordSegment* seg : r.records) threads.push_back(seg->thread);
    if (spill != nullptr) {
      r.frames =
          frames_of(*spill, torn_ok, warmup, with_delays, r.view.call_rows, r.view.subcall_rows);
      for (const SpillFrame* f : r.frames) threads.push_back(f->thread);
    }
    if (held != r.view.call_rows)
      throw std::logic_error("h5 writer: the run kept " + std::to_string(r.view.call_rows) +
                             " of its " + std::to_string(held) +
                             " call rows (run it with RunControl::keep_rows or spill_path)");
    for (int t : threads)
      if (dict.label_ids.size() <= static_cast<std::size_t>(t) ||
          dict.name_ids.size() <= static_cast<std::size_t>(t))
        throw std::logic_error("h5 writer: the dictionaries do not cover every thread");
  });
  r.labels = dict.labels;
  r.names = dict.names;
  boost::mpi::broadcast(comm, r.labels, 0);
  boost::mpi::broadcast(comm, r.names, 0);
  r.label_ids = &dict.label_ids;
  r.name_ids = &dict.name_ids;
  r.slices = agree_slices(s.world, {r.view.call_rows, r.view.subcall_rows}, s.chunk_rows);
  return r;
}

/// The fields of a rank's rows, each stored in a record block or a spill frame column.
enum class Field { number, start, duration, label, delay, sub_call, sub_start, sub_duration, name };

/// A piece of one field: `n` values of one thread, at `data` (where they are, or read into
/// the scratch buffer; nullptr when only their count was asked for). n is 0 at the end.
struct Piece {
  const void* data = nullptr;
  std::size_t n = 0;
  std::size_t thread = 0;
};
/// One field of this rank's rows in order, a piece at a time: at most `max` values, read
/// into `scratch` when they are not in memory (only counted when `scratch` is nullptr).
using Pieces = std::function<Piece(std::size_t max, void* scratch)>;

/// The cursors behind a set of Pieces (each keeps its place in the rows).
struct Cursors {
  std::deque<BlockCursor<CallBlock>> calls;
  std::deque<BlockCursor<SubCallBlock>> subcalls;
  std::deque<BlockCursor<DelayBlock>> delays;
  std::deque<SpillCursor> spill;
};

template <typename Block, typename T>
Pieces block_pieces(std::deque<BlockCursor<Block>>& cursors,
                    const std::vector<BlockSegment<Block>>& segments,
                    std::unique_ptr<T[]> Block::*member) {
  auto& cursor = cursors.emplace_back(segments);
  return [&cursor, member](std::size_t max, void*) {
    Piece p;
    p.n = cursor.next(max, [&](const Block& b, std::size_t first, std::size_t, std::size_t t) {
      p.data = (b.*member).get() + first;
      p.thread = t;
    });
    return p;
  };
}

Pieces spill_pieces(std::deque<SpillCursor>& cursors, const RecordSet& r,
                    std::uint64_t SpillFrame::*rows, std::uint64_t SpillFrame::*column,
                    std::size_t size) {
  auto& cursor = cursors.emplace_back(*r.spill, r.frames, rows, column, size);
  return [&cursor](std::size_t max, void* scratch) {
    Piece p;
    p.n = cursor.next(max, scratch, p.thread);
    p.data = scratch;
    return p;
  };
}

/// Where `field` of r's rows is: the record blocks kept in memory, or the spill frames.
Pieces pieces_of(const RecordSet& r, Field field, Cursors& c) {
  using F = SpillFrame;
  if (r.spill != nullptr) switch (field) {
      case Field::number: return spill_pieces(c.spill, r, &F::calls, &F::number, 8);
      case Field::start: return spill_pieces(c.spill, r, &F::calls, &F::start, 8);
      case Field::duration: return spill_pieces(c.spill, r, &F::calls, &F::duration, 8);
      case Field::label: return spill_pieces(c.spill, r, &F::calls, &F::label, 4);
      case Field::delay: return spill_pieces(c.spill, r, &F::delays, &F::delay, 8);
      case Field::sub_call: return spill_pieces(c.spill, r, &F::subcalls, &F::sub_call, 8);
      case Field::sub_start: return spill_pieces(c.spill, r, &F::subcalls, &F::sub_start, 8);
      case Field::sub_duration:
        return spill_pieces(c.spill, r, &F::subcalls, &F::sub_duration, 8);
      case Field::name: return spill_pieces(c.spill, r, &F::subcalls, &F::sub_name, 4);
    }
  const LocalView& v = r.view;
  switch (field) {
    case Field::number: return block_pieces(c.calls, v.calls, &CallBlock::number);
    case Field::start: return block_pieces(c.calls, v.calls, &CallBlock::start_ns);
    case Field::duration: return block_pieces(c.calls, v.calls, &CallBlock::duration_ns);
    case Field::label: return block_pieces(c.calls, v.calls, &CallBlock::label);
    case Field::delay: return block_pieces(c.delays, v.delays, &DelayBlock::delay_ns);
    case Field::sub_call: return block_pieces(c.subcalls, v.subcalls, &SubCallBlock::call_number);
    case Field::sub_start: return block_pieces(c.subcalls, v.subcalls, &SubCallBlock::start_ns);
    case Field::sub_duration:
      return block_pieces(c.subcalls, v.subcalls, &SubCallBlock::duration_ns);
    case Field::name: return block_pieces(c.subcalls, v.subcalls, &SubCallBlock::name);
  }
  throw std::logic_error("h5 writer: an unknown field");
}

/// The columns of calls/ (start_delay_ns when r.with_delays) and subcalls/: a field as it
/// is, a field's thread-local ids mapped to the run's, or a value per thread (rank, thread).
void describe_columns(const RecordSet& r, std::uint32_t my_rank, Cursors& c,
                      std::vector<Column>& calls, std::vector<Column>& subcalls) {
  using Ids = std::vector<std::vector<std::uint32_t>>;
  auto as_is = [&](Field field) -> Source {
    return [pieces = pieces_of(r, field, c)](std::size_t max, void* scratch, const void** data) {
      const Piece p = pieces(max, scratch);
      *data = p.data;
      return p.n;
    };
  };
  auto mapped = [&](Field field, const Ids* ids) -> Source {
    return [pieces = pieces_of(r, field, c), ids](std::size_t max, void* scratch,
                                                  const void** data) {
      const Piece p = pieces(max, scratch);
      const auto* in = static_cast<const std::uint32_t*>(p.data);  // may be `scratch`
      auto* out = static_cast<std::uint32_t*>(scratch);
      const auto& map = (*ids)[p.thread];
      for (std::size_t j = 0; j < p.n; ++j) out[j] = map[in[j]];
      *data = out;
      return p.n;
    };
  };
  auto per_thread = [&](auto value_of) -> Source {
    return [pieces = pieces_of(r, Field::label, c), value_of](std::size_t max, void* scratch,
                                                              const void** data) {
      const Piece p = pieces(max, nullptr);
      auto* out = static_cast<decltype(value_of(std::size_t{}))*>(scratch);
      std::fill(out, out + p.n, value_of(p.thread));
      *data = out;
      return p.n;
    };
  };
  using U64 = std::uint64_t;
  using U32 = std::uint32_t;
  calls.push_back(column_of<U64>(f::kNumber, as_is(Field::number)));
  calls.push_back(column_of<U64>(f::kStartNs, as_is(Field::start)));
  calls.push_back(column_of<U64>(f::kDurationNs, as_is(Field::duration)));
  calls.push_back(column_of<U32>(f::kLabel, mapped(Field::label, r.label_ids)));
  calls.push_back(column_of<U32>(f::kRank, per_thread([my_rank](std::size_t) { return my_rank; })));
  calls.push_back(column_of<std::uint16_t>(
      f::kThread, per_thread([](std::size_t t) { return static_cast<std::uint16_t>(t); })));
  if (r.with_delays) calls.push_back(column_of<U64>(f::kStartDelayNs, as_is(Field::delay)));
  subcalls.push_back(column_of<U64>(f::kCallNumber, as_is(Field::sub_call)));
  subcalls.push_back(column_of<U32>(f::kName, mapped(Field::name, r.name_ids)));
  subcalls.push_back(column_of<U64>(f::kStartNs, as_is(Field::sub_start)));
  subcalls.push_back(column_of<U64>(f::kDurationNs, as_is(Field::sub_duration)));
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
    write_string_pool(parent, f::kLabels, r.labels, tr);
    write_string_pool(parent, f::kSubcallNames, r.names, tr);
    calls = create_group(parent, f::kCalls);
    subcalls = create_group(parent, f::kSubcalls);
  });

  // The raw columns, through one staging buffer of at most chunk_rows values.
  const LocalView& view = r.view;
  const std::uint64_t most = std::max({view.call_rows, view.subcall_rows, std::uint64_t{1}});
  std::vector<std::uint64_t> staging(static_cast<std::size_t>(std::min(s.chunk_rows, most)));
  const ColumnSettings cs{s.world,    s.column_dxpl,  s.collective_columns, s.chunk_rows,
                          s.compress, staging.data(), staging.size()};
  Cursors cursors;
  std::vector<Column> call_columns, sub_columns;
  describe_columns(r, my_rank, cursors, call_columns, sub_columns);
  write_columns(calls.get(), call_columns, r.slices[0], cs);
  if (between) between();
  write_columns(subcalls.get(), sub_columns, r.slices[1], cs);
}

/// The run's scalar fields, parameters and limits, from rank 0 to every rank (each rank
/// writes the same attributes): RunSummary::fields says which.
RunSummary header_on_every_rank(boost::mpi::communicator& comm, const RunSummary& summary) {
  RunSummary h;
  if (comm.rank() == 0) {
    h = summary;
    h.labels.clear();
    h.rank_balance.clear();
    h.thread_balance.clear();
  }
  RunSummary::fields(h, [&](const char*, auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<T>) {
      int v = static_cast<int>(value);
      boost::mpi::broadcast(comm, v, 0);
      value = static_cast<T>(v);
    } else {
      boost::mpi::broadcast(comm, value, 0);
    }
  });
  std::vector<std::string> keys, values, limits, measured;
  std::vector<int> passed;
  for (const auto& [k, v] : h.params) keys.push_back(k), values.push_back(v);
  for (const auto& l : h.limits)
    limits.push_back(l.limit), measured.push_back(l.measured), passed.push_back(l.passed);
  for (auto* v : {&keys, &values, &limits, &measured}) boost::mpi::broadcast(comm, *v, 0);
  boost::mpi::broadcast(comm, passed, 0);
  h.params.clear();
  for (std::size_t i = 0; i < keys.size(); ++i) h.params.emplace_back(keys[i], values[i]);
  h.limits.clear();
  for (std::size_t i = 0; i < limits.size(); ++i)
    h.limits.push_back({limits[i], measured[i], passed[i] != 0});
  return h;
}

}  // namespace

void write_run(const RunWriteSettings& s, std::size_t index, const WorldRun& run) {
  boost::mpi::communicator comm(s.world, boost::mpi::comm_attach);
  const bool root = comm.rank() == 0;
  const RankRun* local = run.local ? &*run.local : nullptr;

  // 1. The run's header (every rank writes the same attributes), then this rank's records
  // and every rank's slice of rows. Rate mode (a rate asked for) adds the start delays.
  const RunSummary header = header_on_every_rank(comm, run.summary);
  // The rows: in this rank's spill file when the run had one, else kept in memory. A spill
  // this run wrote and closed is scanned by its frames' headers (reading every byte back for
  // the checksum cost a tenth of the write); a torn one (recovered) by their checksums too,
  // so that its frames are the ones the recovery counted.
  std::unique_ptr<SpillReader> spill;
  all_or_none(s.world, [&] {
    if (local != nullptr && !local->spill_path.empty())
      spill = std::make_unique<SpillReader>(local->spill_path, local->spill_torn
                                                                   ? SpillReader::Check::checksums
                                                                   : SpillReader::Check::headers);
  });
  const bool torn_ok = local != nullptr && local->spill_torn;
  const RecordSet measured = prepare(s, records_of(local, false), spill.get(), torn_ok, false,
                                     calls_of(local, false), run.calls, header.rate > 0);

  // 2. Summary tables, from rank 0 to every rank.
  std::vector<std::uint64_t> starts;
  boost::mpi::gather(comm, local != nullptr ? local->start_ns : std::uint64_t{0}, starts, 0);
  SummaryTables tables;
  std::uint64_t start_ns = 0;
  all_or_none(s.world, [&] {
    if (!root) return;
    if (local == nullptr) throw std::logic_error("h5 writer: world rank 0 is not in the run");
    start_ns = local->start_ns;
    starts.resize(static_cast<std::size_t>(std::max(run.summary.ranks, 0)));
    tables = make_tables(run.summary, measured.labels, measured.names, starts);
  });
  boost::mpi::broadcast(comm, start_ns, 0);
  for_each_column(tables, [&](const char*, const char*, auto& column, std::size_t) {
    boost::mpi::broadcast(comm, column, 0);
  });

  // 3. The run's group: attributes, summary and balance (rank 0's data).
  const Transfer tr{s.dxpl, root};
  Hid group;
  all_or_none(s.world, [&] {
    group = create_group(s.runs, f::run_name(index));
    write_group(group.get(), index, header, start_ns, tables, tr);
  });

  // 4. The measured records: string tables and raw columns.
  const std::uint32_t my_rank = static_cast<std::uint32_t>(local != nullptr ? local->rank : 0);
  write_records(s, group.get(), measured, my_rank, [&] {
    if (s.inject_failure)
      all_or_none(s.world, [&] {
        if (comm.rank() == comm.size() - 1)
          throw std::runtime_error(
              "injected failure (GORGON_H5_TEST_FAIL) after the calls of run " +
              std::to_string(index));
      });
  });

  // 5. The warm-up records, apart, when the run had a warm-up (the same on every rank).
  if (header.warmup_calls > 0) {
    const RecordSet warm = prepare(s, records_of(local, true), spill.get(), torn_ok, true,
                                   calls_of(local, true), run.warmup, false);
    Hid warmup;
    all_or_none(s.world, [&] { warmup = create_group(group.get(), f::kWarmup); });
    write_records(s, warmup.get(), warm, my_rank, nullptr);
  }
}

}  // namespace gorgon::h5::detail
