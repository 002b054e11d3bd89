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

/// This rank's statistics per key, merged from every thread's fold (exact: Chan's update
/// between folds, whose segments were each summed in two passes), with global ids.
std::vector<Summary> local_summaries(const RankRun& run, const Dictionaries& maps,
                                     const KeySpace& keys) {
  std::vector<Summary> out(keys.size());
  for (std::size_t t = 0; t < run.folds.size() && t < maps.label_ids.size(); ++t) {
    const ThreadFold& fold = run.folds[t];
    const auto& lmap = maps.label_ids[t];
    const auto& nmap = maps.name_ids[t];
    for (std::uint32_t l = 0; l < fold.labels.size(); ++l) {
      if (fold.labels[l].count == 0) continue;
      out[0].merge(fold.labels[l]);
      out[keys.label_key(lmap[l])].merge(fold.labels[l]);
    }
    for (const auto& [pair, sub] : fold.subcalls)
      out[keys.pair_key(lmap[pair >> 32], nmap[pair & 0xffffffffu])].merge(sub);
  }
  return out;
}

/// The (label, name) pairs of this rank's sub-calls, with global ids, sorted.
std::vector<std::uint64_t> local_pairs(const RankRun& run, const Dictionaries& maps) {
  std::vector<std::uint64_t> pairs;
  for (std::size_t t = 0; t < run.folds.size() && t < maps.label_ids.size(); ++t)
    for (const auto& entry : run.folds[t].subcalls) {
      const std::uint64_t label = maps.label_ids[t][entry.first >> 32];
      pairs.push_back((label << 32) | maps.name_ids[t][entry.first & 0xffffffffu]);
    }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

/// The spread of every key over the ranks, exact: each rank's (count, sum, m2) gathered on
/// rank 0 and merged there in rank order by Chan's update (sums of squares would cancel).
std::vector<double> merged_m2(const std::vector<Summary>& local, MPI_Comm comm, bool root,
                              int ranks) {
  const std::size_t K = local.size();
  std::vector<std::uint64_t> mine(2 * K);
  std::vector<double> mine_m2(K);
  for (std::size_t k = 0; k < K; ++k) {
    mine[2 * k] = local[k].count;
    mine[2 * k + 1] = local[k].sum_ns;
    mine_m2[k] = local[k].m2;
  }
  const std::size_t R = root ? static_cast<std::size_t>(ranks) : 0;
  std::vector<std::uint64_t> all(2 * K * R);
  std::vector<double> all_m2(K * R);
  if (K > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
    throw std::runtime_error("too many labels and sub-calls to reduce in one call");
  check_mpi(MPI_Gather(mine.data(), static_cast<int>(2 * K), MPI_UINT64_T, all.data(),
                       static_cast<int>(2 * K), MPI_UINT64_T, 0, comm),
            "MPI_Gather");
  check_mpi(MPI_Gather(mine_m2.data(), static_cast<int>(K), MPI_DOUBLE, all_m2.data(),
                       static_cast<int>(K), MPI_DOUBLE, 0, comm),
            "MPI_Gather");
  std::vector<double> m2(K, 0.0);
  for (std::size_t k = 0; k < K; ++k) {
    double n = 0, mean = 0;
    for (std::size_t r = 0; r < R; ++r) {
      const double nb = static_cast<double>(all[2 * (r * K + k)]);
      if (nb == 0) continue;
      const double mean_b = static_cast<double>(all[2 * (r * K + k) + 1]) / nb;
      const double delta = mean_b - mean;
      m2[k] += all_m2[r * K + k] + (n > 0 ? delta * delta * n * nb / (n + nb) : 0.0);
      mean += delta * nb / (n + nb);
      n += nb;
    }
  }
  return m2;
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
    std::vector<std::vector<std::uint64_t>> all;
    mpi::gather(world, local_pairs(run, maps), all, 0);
    if (root) {
      for (auto& v : all) keys.pairs.insert(keys.pairs.end(), v.begin(), v.end());
      std::sort(keys.pairs.begin(), keys.pairs.end());
      keys.pairs.erase(std::unique(keys.pairs.begin(), keys.pairs.end()), keys.pairs.end());
    }
    mpi::broadcast(world, keys.pairs, 0);
  }

  // 2. This rank's statistics per key, from its threads' folds.
  const std::size_t K = keys.size();
  const std::vector<Summary> local = local_summaries(run, maps, keys);
  std::vector<std::uint64_t> count(K), sum(K), mins(K), maxs(K);
  for (std::size_t k = 0; k < K; ++k) {
    count[k] = local[k].count;
    sum[k] = local[k].sum_ns;
    mins[k] = local[k].min_ns;
    maxs[k] = local[k].max_ns;
  }

  // 3. Reductions.
  std::vector<std::uint64_t> gcount(K), gsum(K), gmin(K), gmax(K);
  check_mpi(
      MPI_Reduce(count.data(), gcount.data(), static_cast<int>(K), MPI_UINT64_T, MPI_SUM, 0, comm),
      "MPI_Reduce");
  check_mpi(
      MPI_Reduce(sum.data(), gsum.data(), static_cast<int>(K), MPI_UINT64_T, MPI_SUM, 0, comm),
      "MPI_Reduce");
  // Raw MPI_UINT64_T, not Boost's minimum<uint64_t> (= MPI_UNSIGNED_LONG): Open MPI 4.1.2-4.1.4
  // compares MPI_UNSIGNED_LONG as signed in MIN/MAX (open-mpi/ompi#10525), so a rank without a
  // key (local min UINT64_MAX) won every minimum.
  check_mpi(
      MPI_Reduce(mins.data(), gmin.data(), static_cast<int>(K), MPI_UINT64_T, MPI_MIN, 0, comm),
      "MPI_Reduce");
  check_mpi(
      MPI_Reduce(maxs.data(), gmax.data(), static_cast<int>(K), MPI_UINT64_T, MPI_MAX, 0, comm),
      "MPI_Reduce");
  const std::vector<double> gm2 = merged_m2(local, comm, root, world.size());

  // Histograms: agree on each key's bucket span, then one sum over the packed spans.
  std::vector<std::uint32_t> lo(K), hi(K), glo(K), ghi(K);
  for (std::size_t k = 0; k < K; ++k) {
    const Histogram& h = local[k].histogram;
    lo[k] = h.empty() ? Histogram::kBuckets : h.first_bucket();
    hi[k] = h.empty() ? 0 : h.end_bucket();
  }
  mpi::all_reduce(world, lo.data(), static_cast<int>(K), glo.data(), mpi::minimum<std::uint32_t>());
  mpi::all_reduce(world, hi.data(), static_cast<int>(K), ghi.data(), mpi::maximum<std::uint32_t>());
  std::vector<std::size_t> offset(K + 1, 0);
  for (std::size_t k = 0; k < K; ++k)
    offset[k + 1] = offset[k] + (ghi[k] > glo[k] ? ghi[k] - glo[k] : 0);
  std::vector<std::uint64_t> packed(offset[K], 0), gpacked(root ? offset[K] : 0);
  for (std::size_t k = 0; k < K; ++k) {
    const Histogram& h = local[k].histogram;
    for (std::uint32_t b = h.first_bucket(); b < h.end_bucket(); ++b)
      packed[offset[k] + (b - glo[k])] = h.count_at(b);
  }
  if (offset[K] > std::numeric_limits<int>::max())
    throw std::runtime_error("too many histogram buckets to reduce in one call");
  if (offset[K] > 0)  // the same on every rank (from the agreed spans); no calls: no buckets
    mpi::reduce(world, packed.data(), static_cast<int>(offset[K]), gpacked.data(), std::plus<>(),
                0);

  // 4. Balance per thread and per rank.
  std::vector<ThreadBalance> threads;
  std::uint64_t rank_calls = 0, rank_busy = 0;
  for (const auto& rec : run.records) {
    threads.push_back({run.rank, rec->thread, rec->call_count(), rec->busy_ns});
    rank_calls += rec->call_count();
    rank_busy += rec->busy_ns;
  }
  std::vector<std::vector<std::uint64_t>> thread_rows;
  std::vector<std::uint64_t> mine;
  for (const auto& t : threads)
    mine.insert(mine.end(), {std::uint64_t(t.thread), t.calls, t.busy_ns});
  mpi::gather(world, mine, thread_rows, 0);
  const std::uint64_t rank_row[4] = {rank_calls, rank_busy, run.end_ns - run.start_ns,
                                     run.stonewall_calls};
  // Open-loop late calls, warm-up calls and waits for the record stream, summed over the
  // ranks; the record budget and the most it held, the largest of any rank's.
  std::uint64_t local_extra[4] = {run.late_calls, 0, run.record_waits, run.record_wait_ns};
  std::uint64_t extra[4] = {0, 0, 0, 0};
  for (const auto& w : run.warmup)
    if (w) local_extra[1] += w->call_count();
  check_mpi(MPI_Reduce(local_extra, extra, 4, MPI_UINT64_T, MPI_SUM, 0, comm), "MPI_Reduce");
  std::uint64_t local_most[2] = {run.record_budget_bytes, run.record_peak_bytes}, most[2] = {0, 0};
  check_mpi(MPI_Reduce(local_most, most, 2, MPI_UINT64_T, MPI_MAX, 0, comm), "MPI_Reduce");
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
  s.record_waits = extra[2];
  s.record_wait_ns = extra[3];
  s.record_budget_bytes = most[0];
  s.record_peak_bytes = most[1];
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
