#include "gorgon/reduce/reduce.hpp"

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/operations.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <limits>
#include <unordered_map>

#include "gorgon/base/error.hpp"

namespace gorgon {
namespace mpi = boost::mpi;

namespace {

std::vector<std::uint32_t> map_ids(const std::vector<std::string>& local,
                                   const std::vector<std::string>& global) {
  std::vector<std::uint32_t> ids;
  ids.reserve(local.size());
  for (const auto& s : local)
    ids.push_back(static_cast<std::uint32_t>(
        std::lower_bound(global.begin(), global.end(), bounded_label(s)) - global.begin()));
  return ids;
}

/// Keys of the reduction: 0 = all calls, 1..L = labels, then one per (label, name) pair.
struct KeySpace {
  std::size_t labels = 0;
  std::vector<std::uint64_t> pairs;  // sorted (label << 32 | name), global
  [[nodiscard]] std::size_t size() const { return 1 + labels + pairs.size(); }
  [[nodiscard]] std::size_t label_key(std::uint32_t label) const { return 1 + label; }
  [[nodiscard]] std::size_t pair_key(std::uint32_t label, std::uint32_t name) const {
    const std::uint64_t p = (std::uint64_t{label} << 32) | name;
    return 1 + labels +
           static_cast<std::size_t>(std::lower_bound(pairs.begin(), pairs.end(), p) -
                                    pairs.begin());
  }
};

constexpr std::uint32_t kNoName = std::numeric_limits<std::uint32_t>::max();

/// Visits every call of this rank as visit(label, kNoName, duration) and every sub-call as
/// visit(label of its call, name, duration), with global ids. A thread records the sub-calls
/// of a call, in order, just before the call itself, so one walk over both streams pairs them.
template <typename F>
void for_each_record(const RankRun& run, const Dictionaries& maps, F&& visit) {
  for (std::size_t t = 0; t < run.records.size(); ++t) {
    const ThreadRecord& rec = *run.records[t];
    const auto& lmap = maps.label_ids[t];
    const auto& nmap = maps.name_ids[t];
    std::vector<std::pair<const SubCallBlock*, std::size_t>> sblocks;
    rec.subcalls.for_each_block(
        [&](const SubCallBlock& b, std::size_t used) { sblocks.emplace_back(&b, used); });
    std::size_t sb = 0, si = 0;
    rec.calls.for_each_block([&](const CallBlock& b, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i) {
        const std::uint32_t label = lmap[b.label[i]];
        visit(label, kNoName, b.duration_ns[i]);
        while (sb < sblocks.size()) {
          const SubCallBlock& s = *sblocks[sb].first;
          if (si == sblocks[sb].second) {
            ++sb;
            si = 0;
            continue;
          }
          if (s.call_number[si] != b.number[i]) break;
          visit(label, nmap[s.name[si]], s.duration_ns[si]);
          ++si;
        }
      }
    });
  }
}

}  // namespace

std::string bounded_label(std::string text) {
  if (text.size() <= kMaxLabelBytes) return text;
  std::size_t keep = kMaxLabelBytes - kCutMarker.size();
  // Not inside a UTF-8 character: back over continuation bytes (10xxxxxx), at most three.
  for (int i = 0; i < 3 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80; ++i) --keep;
  text.resize(keep);
  text += kCutMarker;
  return text;
}

std::vector<std::string> merge_dictionary(MPI_Comm comm, std::vector<std::string> local) {
  mpi::communicator world(comm, mpi::comm_attach);
  std::sort(local.begin(), local.end());
  local.erase(std::unique(local.begin(), local.end()), local.end());
  std::vector<std::vector<std::string>> all;
  mpi::gather(world, local, all, 0);
  std::vector<std::string> merged;
  if (world.rank() == 0) {
    for (auto& v : all) merged.insert(merged.end(), v.begin(), v.end());
    std::sort(merged.begin(), merged.end());
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
  }
  mpi::broadcast(world, merged, 0);
  return merged;
}

Dictionaries merge_dictionaries(MPI_Comm comm,
                                const std::vector<std::unique_ptr<ThreadRecord>>& records) {
  std::vector<std::string> local_labels, local_names;
  for (const auto& rec : records) {
    if (!rec) continue;
    for (const auto& l : rec->labels.strings()) local_labels.push_back(bounded_label(l));
    for (const auto& n : rec->subcall_names.strings()) local_names.push_back(bounded_label(n));
  }
  Dictionaries d;
  d.labels = merge_dictionary(comm, std::move(local_labels));
  d.names = merge_dictionary(comm, std::move(local_names));
  std::vector<std::uint32_t> order(d.names.size(), std::numeric_limits<std::uint32_t>::max());
  for (const auto& rec : records) {
    d.label_ids.push_back(rec ? map_ids(rec->labels.strings(), d.labels)
                              : std::vector<std::uint32_t>{});
    d.name_ids.push_back(rec ? map_ids(rec->subcall_names.strings(), d.names)
                             : std::vector<std::uint32_t>{});
    const auto& ids = d.name_ids.back();
    for (std::size_t local = 0; local < ids.size(); ++local)
      order[ids[local]] = std::min(order[ids[local]], static_cast<std::uint32_t>(local));
  }
  d.name_order.resize(order.size());
  if (!order.empty())
    check_mpi(MPI_Allreduce(order.data(), d.name_order.data(), static_cast<int>(order.size()),
                            MPI_UINT32_T, MPI_MIN, comm),
              "MPI_Allreduce");
  return d;
}

RunSummary reduce_run(const RankRun& run, const Dictionaries& maps, MPI_Comm comm) {
  mpi::communicator world(comm, mpi::comm_attach);
  const bool root = world.rank() == 0;
  const auto& labels = maps.labels;
  const auto& names = maps.names;

  // 1. The (label, sub-call name) pairs that occur.
  KeySpace keys;
  keys.labels = labels.size();
  {
    std::vector<std::uint64_t> local_pairs;
    for_each_record(run, maps, [&](std::uint32_t label, std::uint32_t name, std::uint64_t) {
      if (name != kNoName) local_pairs.push_back((std::uint64_t{label} << 32) | name);
    });
    std::sort(local_pairs.begin(), local_pairs.end());
    local_pairs.erase(std::unique(local_pairs.begin(), local_pairs.end()), local_pairs.end());
    std::vector<std::vector<std::uint64_t>> all;
    mpi::gather(world, local_pairs, all, 0);
    if (root) {
      for (auto& v : all) keys.pairs.insert(keys.pairs.end(), v.begin(), v.end());
      std::sort(keys.pairs.begin(), keys.pairs.end());
      keys.pairs.erase(std::unique(keys.pairs.begin(), keys.pairs.end()), keys.pairs.end());
    }
    mpi::broadcast(world, keys.pairs, 0);
  }

  // 2. Local statistics per key, from the raw columns.
  const std::size_t K = keys.size();
  std::vector<std::uint64_t> count(K, 0), sum(K, 0);
  std::vector<std::uint64_t> mins(K, std::numeric_limits<std::uint64_t>::max()), maxs(K, 0);
  std::vector<Histogram> hist(K);
  auto add = [&](std::size_t k, std::uint64_t d) {
    ++count[k];
    sum[k] += d;
    mins[k] = std::min(mins[k], d);
    maxs[k] = std::max(maxs[k], d);
    hist[k].record(d);
  };
  for_each_record(run, maps, [&](std::uint32_t label, std::uint32_t name, std::uint64_t d) {
    if (name == kNoName) {
      add(0, d);
      add(keys.label_key(label), d);
    } else {
      add(keys.pair_key(label, name), d);
    }
  });

  // 3. Reductions. Counts and sums go everywhere (the spread needs the global mean).
  std::vector<std::uint64_t> gcount(K), gsum(K), gmin(K), gmax(K);
  mpi::all_reduce(world, count.data(), static_cast<int>(K), gcount.data(), std::plus<>());
  mpi::all_reduce(world, sum.data(), static_cast<int>(K), gsum.data(), std::plus<>());
  // Raw MPI_UINT64_T, not Boost's minimum<uint64_t> (= MPI_UNSIGNED_LONG): Open MPI 4.1.2-4.1.4
  // compares MPI_UNSIGNED_LONG as signed in MIN/MAX (open-mpi/ompi#10525), so a rank without a
  // key (local min UINT64_MAX) won every minimum.
  check_mpi(
      MPI_Reduce(mins.data(), gmin.data(), static_cast<int>(K), MPI_UINT64_T, MPI_MIN, 0, comm),
      "MPI_Reduce");
  check_mpi(
      MPI_Reduce(maxs.data(), gmax.data(), static_cast<int>(K), MPI_UINT64_T, MPI_MAX, 0, comm),
      "MPI_Reduce");

  // Spread: exact two-pass, the sum of squared deviations from the global mean.
  std::vector<double> m2(K, 0.0), gm2(K, 0.0);
  std::vector<double> mean(K);
  for (std::size_t k = 0; k < K; ++k)
    mean[k] = gcount[k] ? static_cast<double>(gsum[k]) / static_cast<double>(gcount[k]) : 0.0;
  auto deviate = [&](std::size_t k, std::uint64_t d) {
    const double dev = static_cast<double>(d) - mean[k];
    m2[k] += dev * dev;
  };
  for_each_record(run, maps, [&](std::uint32_t label, std::uint32_t name, std::uint64_t d) {
    if (name == kNoName) {
      deviate(0, d);
      deviate(keys.label_key(label), d);
    } else {
      deviate(keys.pair_key(label, name), d);
    }
  });
  mpi::reduce(world, m2.data(), static_cast<int>(K), gm2.data(), std::plus<>(), 0);

  // Histograms: agree on each key's bucket span, then one sum over the packed spans.
  std::vector<std::uint32_t> lo(K), hi(K), glo(K), ghi(K);
  for (std::size_t k = 0; k < K; ++k) {
    lo[k] = hist[k].empty() ? Histogram::kBuckets : hist[k].first_bucket();
    hi[k] = hist[k].empty() ? 0 : hist[k].end_bucket();
  }
  mpi::all_reduce(world, lo.data(), static_cast<int>(K), glo.data(), mpi::minimum<std::uint32_t>());
  mpi::all_reduce(world, hi.data(), static_cast<int>(K), ghi.data(), mpi::maximum<std::uint32_t>());
  std::vector<std::size_t> offset(K + 1, 0);
  for (std::size_t k = 0; k < K; ++k)
    offset[k + 1] = offset[k] + (ghi[k] > glo[k] ? ghi[k] - glo[k] : 0);
  std::vector<std::uint64_t> packed(offset[K], 0), gpacked(root ? offset[K] : 0);
  for (std::size_t k = 0; k < K; ++k)
    for (std::uint32_t b = hist[k].first_bucket(); b < hist[k].end_bucket(); ++b)
      packed[offset[k] + (b - glo[k])] = hist[k].count_at(b);
  if (offset[K] > std::numeric_limits<int>::max())
    throw std::runtime_error("too many histogram buckets to reduce in one call");
  if (offset[K] > 0)  // the same on every rank (from the agreed spans); no calls: no buckets
    mpi::reduce(world, packed.data(), static_cast<int>(offset[K]), gpacked.data(), std::plus<>(),
                0);

  // 4. Balance per thread and per rank.
  std::vector<ThreadBalance> threads;
  std::uint64_t rank_calls = 0, rank_busy = 0;
  for (const auto& rec : run.records) {
    threads.push_back({run.rank, rec->thread, rec->calls.size(), rec->busy_ns});
    rank_calls += rec->calls.size();
    rank_busy += rec->busy_ns;
  }
  std::vector<std::vector<std::uint64_t>> thread_rows;
  std::vector<std::uint64_t> mine;
  for (const auto& t : threads)
    mine.insert(mine.end(), {std::uint64_t(t.thread), t.calls, t.busy_ns});
  mpi::gather(world, mine, thread_rows, 0);
  const std::uint64_t rank_row[4] = {rank_calls, rank_busy, run.end_ns - run.start_ns,
                                     run.stonewall_calls};
  // Open-loop late calls and warm-up calls, summed over the ranks.
  std::uint64_t local_extra[2] = {run.late_calls, 0}, extra[2] = {0, 0};
  for (const auto& w : run.warmup)
    if (w) local_extra[1] += w->calls.size();
  check_mpi(MPI_Reduce(local_extra, extra, 2, MPI_UINT64_T, MPI_SUM, 0, comm), "MPI_Reduce");
  std::vector<std::uint64_t> rank_rows(root ? 4 * static_cast<std::size_t>(world.size()) : 0);
  mpi::gather(world, rank_row, 4, rank_rows.data(), 0);
  std::vector<std::string> hosts;  // each rank's node, for the per-node view
  mpi::gather(world, run.host, hosts, 0);

  RunSummary s;
  if (!root) return s;
  s.operation = run.spec.operation;
  s.params.assign(run.spec.params.begin(), run.spec.params.end());
  s.params_given = run.params_given;
  s.error_rule = run.errors.text();
  s.ops = run.spec.timed() ? gcount[0] : run.spec.ops;  // duration mode: the calls made
  s.seed = run.spec.seed;
  s.ranks = run.ranks;
  s.threads = run.threads;
  s.mode = run.spec.timed() ? RunMode::duration : RunMode::count;
  s.duration_ns = run.spec.duration_ns;
  s.rate = run.spec.rate;
  s.schedule = run.spec.schedule;
  s.stonewall_ns = run.spec.stonewall_ns;
  s.wear_out = run.spec.wear_out;
  s.stonewall_reached = run.stonewalled;
  s.late_calls = extra[0];
  s.warmup_calls = extra[1];
  s.status = run.interrupted ? RunStatus::interrupted : RunStatus::complete;
  s.stop_reason = run.stop_reason;
  auto summary_of = [&](std::size_t k) {
    Summary x;
    x.count = gcount[k];
    x.sum_ns = gsum[k];
    x.min_ns = gmin[k];
    x.max_ns = gmax[k];
    x.m2 = gm2[k];
    if (offset[k + 1] > offset[k])
      x.histogram.add_counts(glo[k], gpacked.data() + offset[k], offset[k + 1] - offset[k]);
    return x;
  };
  s.total = summary_of(0);
  for (std::uint32_t l = 0; l < labels.size(); ++l)
    s.labels.push_back(
        {labels[l], summary_of(keys.label_key(l)), {}, run.errors.is_error(labels[l])});
  std::vector<std::vector<std::pair<std::uint32_t, SubCallSummary>>> subcalls(labels.size());
  for (std::size_t p = 0; p < keys.pairs.size(); ++p) {
    const auto label = static_cast<std::uint32_t>(keys.pairs[p] >> 32);
    const auto name = static_cast<std::uint32_t>(keys.pairs[p] & 0xffffffffu);
    subcalls[label].push_back({name, {names[name], summary_of(1 + keys.labels + p)}});
  }
  // In the order calls make them (the earliest a thread met each name), then by name.
  for (std::uint32_t l = 0; l < labels.size(); ++l) {
    auto& subs = subcalls[l];
    std::stable_sort(subs.begin(), subs.end(), [&](const auto& a, const auto& b) {
      return maps.name_order[a.first] < maps.name_order[b.first];
    });
    for (auto& [id, sub] : subs) s.labels[l].subcalls.push_back(std::move(sub));
  }
  for (int r = 0; r < world.size(); ++r) {
    const auto& rows = thread_rows[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i + 2 < rows.size(); i += 3)
      s.thread_balance.push_back({r, static_cast<int>(rows[i]), rows[i + 1], rows[i + 2]});
    RankBalance rb;
    rb.rank = r;
    rb.calls = rank_rows[4 * r];
    rb.busy_ns = rank_rows[4 * r + 1];
    rb.wall_ns = rank_rows[4 * r + 2];
    rb.stonewall_calls = rank_rows[4 * r + 3];
    rb.host = hosts[static_cast<std::size_t>(r)];
    if (static_cast<std::size_t>(r) < run.offsets.size()) {
      rb.clock_offset_ns = run.offsets[r].offset_ns;
      rb.clock_rtt_ns = r == 0 ? 0 : run.offsets[r].rtt_ns;
    }
    s.wall_ns = std::max(s.wall_ns, rb.wall_ns);
    s.rank_balance.push_back(rb);
  }
  return s;
}

RunSummary reduce_run(const RankRun& run, MPI_Comm comm) {
  return reduce_run(run, merge_dictionaries(comm, run.records), comm);
}

}  // namespace gorgon
