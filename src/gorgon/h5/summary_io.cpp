#include "gorgon/h5/summary_io.hpp"

#include <algorithm>
#include <stdexcept>

#include "gorgon/h5/file_error.hpp"

namespace gorgon::h5::detail {
namespace {

std::uint32_t index_of(const std::vector<std::string>& table, const std::string& s) {
  auto it = std::lower_bound(table.begin(), table.end(), s);
  if (it == table.end() || *it != s)
    throw std::logic_error("h5 writer: '" + s + "' is missing from the run's string table");
  return static_cast<std::uint32_t>(it - table.begin());
}

void add_row(SummaryTables& t, std::uint32_t label, std::uint32_t name, const Summary& s,
             std::uint64_t wall_ns, bool error) {
  t.label.push_back(label);
  t.error.push_back(error ? 1 : 0);
  t.subcall_name.push_back(name);
  t.count.push_back(s.count);
  t.sum_ns.push_back(s.sum_ns);
  t.min_ns.push_back(s.min_ns);
  t.max_ns.push_back(s.max_ns);
  t.m2.push_back(s.m2);
  t.mean_ns.push_back(s.mean_ns());
  t.stddev_ns.push_back(s.stddev_ns());
  t.calls_per_s.push_back(s.rate(wall_ns));
  for (double p : kReportPercentiles) t.percentiles_ns.push_back(s.percentile_ns(p));
  t.hist_first.push_back(s.histogram.first_bucket());
  const auto& c = s.histogram.counts();
  t.hist_counts.insert(t.hist_counts.end(), c.begin(), c.end());
  t.hist_offset.push_back(t.hist_counts.size());
}

Summary summary_row(const SummaryTables& t, std::size_t i) {
  Summary s;
  s.count = t.count[i];
  s.sum_ns = t.sum_ns[i];
  s.min_ns = t.min_ns[i];
  s.max_ns = t.max_ns[i];
  s.m2 = t.m2[i];
  const std::uint64_t lo = t.hist_offset[i], hi = t.hist_offset[i + 1];
  if (lo > hi || hi > t.hist_counts.size())
    throw FileError("the summary's histogram offsets are inconsistent");
  if (hi > lo) {
    if (t.hist_first[i] >= Histogram::kBuckets || hi - lo > Histogram::kBuckets - t.hist_first[i])
      throw FileError("the summary's histogram buckets are out of range");
    s.histogram.add_counts(t.hist_first[i], t.hist_counts.data() + lo,
                           static_cast<std::size_t>(hi - lo));
  }
  return s;
}

}  // namespace

SummaryTables make_tables(const RunSummary& s, const std::vector<std::string>& labels,
                          const std::vector<std::string>& names,
                          const std::vector<std::uint64_t>& rank_start_ns) {
  SummaryTables t;
  t.hist_offset.push_back(0);
  add_row(t, format::kNone, format::kNone, s.total, s.wall_ns, false);
  for (const auto& l : s.labels) {
    const std::uint32_t li = index_of(labels, l.label);
    add_row(t, li, format::kNone, l.stats, s.wall_ns, l.error);
    for (const auto& sub : l.subcalls)
      add_row(t, li, index_of(names, sub.name), sub.stats, s.wall_ns, l.error);
  }
  for (const auto& r : s.rank_balance) {
    t.rank_rank.push_back(r.rank);
    t.rank_calls.push_back(r.calls);
    t.rank_busy_ns.push_back(r.busy_ns);
    t.rank_wall_ns.push_back(r.wall_ns);
    const auto idx = static_cast<std::size_t>(r.rank);
    t.rank_start_ns.push_back(idx < rank_start_ns.size() ? rank_start_ns[idx] : 0);
    t.rank_clock_offset_ns.push_back(r.clock_offset_ns);
    t.rank_clock_rtt_ns.push_back(r.clock_rtt_ns);
    t.rank_stonewall_calls.push_back(r.stonewall_calls);
  }
  for (const auto& th : s.thread_balance) {
    t.thread_rank.push_back(th.rank);
    t.thread_thread.push_back(th.thread);
    t.thread_calls.push_back(th.calls);
    t.thread_busy_ns.push_back(th.busy_ns);
  }
  return t;
}

void fill_summary(const SummaryTables& t, const std::vector<std::string>& labels,
                  const std::vector<std::string>& names, RunSummary& s) {
  const std::size_t rows = t.label.size();
  const bool same = t.subcall_name.size() == rows && t.count.size() == rows &&
                    t.sum_ns.size() == rows && t.min_ns.size() == rows && t.max_ns.size() == rows &&
                    t.m2.size() == rows && t.hist_first.size() == rows &&
                    t.hist_offset.size() == rows + 1 &&
                    t.percentiles_ns.size() == rows * kPercentiles && t.error.size() == rows;
  if (!same || rows == 0) throw FileError("the summary's columns differ in length");
  if (t.label[0] != format::kNone || t.subcall_name[0] != format::kNone)
    throw FileError("the summary's first row is not the row of every call");
  s.total = summary_row(t, 0);
  s.labels.clear();
  for (std::size_t i = 1; i < rows; ++i) {
    if (t.label[i] >= labels.size()) throw FileError("the summary names a label out of range");
    if (t.subcall_name[i] == format::kNone) {
      s.labels.push_back({labels[t.label[i]], summary_row(t, i), {}, t.error[i] != 0});
      continue;
    }
    if (t.subcall_name[i] >= names.size())
      throw FileError("the summary names a sub-call out of range");
    if (s.labels.empty() || s.labels.back().label != labels[t.label[i]])
      throw FileError("a sub-call row of the summary does not follow its label's row");
    s.labels.back().subcalls.push_back({names[t.subcall_name[i]], summary_row(t, i)});
  }
  const std::size_t nr = t.rank_rank.size(), nt = t.thread_rank.size();
  const bool stonewall = !t.rank_stonewall_calls.empty();  // older files lack the column
  if (t.rank_calls.size() != nr || t.rank_busy_ns.size() != nr || t.rank_wall_ns.size() != nr ||
      t.rank_clock_offset_ns.size() != nr || t.rank_clock_rtt_ns.size() != nr ||
      t.rank_start_ns.size() != nr || (stonewall && t.rank_stonewall_calls.size() != nr) ||
      t.thread_thread.size() != nt || t.thread_calls.size() != nt || t.thread_busy_ns.size() != nt)
    throw FileError("the balance columns differ in length");
  s.rank_balance.clear();
  for (std::size_t i = 0; i < nr; ++i)
    s.rank_balance.push_back({t.rank_rank[i], t.rank_calls[i], t.rank_busy_ns[i], t.rank_wall_ns[i],
                              t.rank_clock_offset_ns[i], t.rank_clock_rtt_ns[i],
                              "",  // host: from the file's hosts
                              stonewall ? t.rank_stonewall_calls[i] : 0});
  s.thread_balance.clear();
  for (std::size_t i = 0; i < nt; ++i)
    s.thread_balance.push_back(
        {t.thread_rank[i], t.thread_thread[i], t.thread_calls[i], t.thread_busy_ns[i]});
}

}  // namespace gorgon::h5::detail
