#include "synthetic.hpp"

#include <algorithm>

namespace gorgon::analysis::testing {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void generate_calls(const SyntheticRun& run, const std::function<void(const SyntheticCall&)>& f) {
  const auto workers =
      static_cast<std::uint64_t>(run.ranks) * static_cast<std::uint64_t>(run.threads);
  const bool rare = run.rare_every > 0 && run.labels.size() > 1;
  const auto nlabels = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, run.labels.size() - (rare ? 1 : 0)));  // spread over these
  for (std::uint64_t w = 0; w < workers; ++w) {
    const int rank = static_cast<int>(w / static_cast<std::uint64_t>(run.threads));
    const int thread = static_cast<int>(w % static_cast<std::uint64_t>(run.threads));
    std::uint64_t clock = 1'000'000'000ull + w * 1000;  // the run starts at 1 s
    for (std::uint64_t k = w; k < run.ops; k += workers) {
      const std::uint64_t number = run.seed + k;
      const std::uint64_t h = mix(number);
      SyntheticCall c{};
      c.number = number;
      c.rank = rank;
      c.thread = thread;
      // Label 0 for 7 calls in 8; the rest spread over the other labels.
      c.label = (h % 8 != 0 || nlabels == 1)
                    ? 0
                    : 1 + static_cast<std::uint32_t>((h >> 8) % (nlabels - 1));
      std::uint64_t d = run.base_ns * (64 + (h >> 16) % 64) / 64;
      if ((h >> 24) % 100 == 0) d *= 8;                               // a slow tail
      if ((h >> 32) % 1000 == 0) d *= 40;                             // and a slower one
      if (c.label != 0) d /= 3;                                       // errors come back fast
      if (k > run.ops * 2 / 5 && k < run.ops * 3 / 5) d = d * 3 / 2;  // a slow patch mid-run
      if (rare && number > 0 && number % run.rare_every == 0) {
        c.label = nlabels;
        d = run.rare_ns;
      }
      c.duration_ns = d;
      c.start_ns = clock + static_cast<std::uint64_t>(rank * run.rank_clock_skew_ns);
      if (c.label == 0) {
        c.subcall_ns[0] = d * 2 / 5;
        c.subcall_ns[1] = d / 2;
      }
      clock += d + 2000;
      f(c);
    }
  }
}

RunSummary summarize(const SyntheticRun& run) {
  RunSummary s;
  s.operation = run.operation;
  s.params = run.params;
  for (const auto& p : run.params) s.params_given.push_back(p.first);
  s.ops = run.ops;
  s.seed = run.seed;
  s.ranks = run.ranks;
  s.threads = run.threads;
  std::vector<LabelSummary> labels(run.labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    labels[i].label = run.labels[i];
    labels[i].error = std::find(run.error_labels.begin(), run.error_labels.end(), run.labels[i]) !=
                      run.error_labels.end();
  }
  s.limits = run.limits;
  if (!labels.empty())
    for (const auto& name : run.subcalls) labels[0].subcalls.push_back({name, {}});
  s.rank_balance.resize(static_cast<std::size_t>(run.ranks));
  for (int r = 0; r < run.ranks; ++r) {
    s.rank_balance[static_cast<std::size_t>(r)].rank = r;
    s.rank_balance[static_cast<std::size_t>(r)].clock_offset_ns = r * run.rank_clock_skew_ns;
    s.rank_balance[static_cast<std::size_t>(r)].host =
        static_cast<std::size_t>(r) < run.hosts.size() ? run.hosts[static_cast<std::size_t>(r)]
                                                       : "localhost";
    for (int t = 0; t < run.threads; ++t) s.thread_balance.push_back({r, t, 0, 0});
  }
  std::uint64_t end = 0;
  generate_calls(run, [&](const SyntheticCall& c) {
    s.total.record(c.duration_ns);
    labels[c.label].stats.record(c.duration_ns);
    if (c.label == 0)
      for (std::size_t k = 0; k < labels[0].subcalls.size() && k < 2; ++k)
        labels[0].subcalls[k].stats.record(c.subcall_ns[k]);
    auto& rb = s.rank_balance[static_cast<std::size_t>(c.rank)];
    auto& tb = s.thread_balance[static_cast<std::size_t>(c.rank * run.threads + c.thread)];
    ++rb.calls;
    rb.busy_ns += c.duration_ns;
    ++tb.calls;
    tb.busy_ns += c.duration_ns;
    const std::uint64_t local_end = c.start_ns -
                                    static_cast<std::uint64_t>(c.rank * run.rank_clock_skew_ns) +
                                    c.duration_ns - 1'000'000'000ull;
    rb.wall_ns = std::max(rb.wall_ns, local_end);
    end = std::max(end, local_end);
  });
  s.wall_ns = end;
  for (auto& l : labels)
    std::sort(l.subcalls.begin(), l.subcalls.end(),
              [](auto& a, auto& b) { return a.name < b.name; });
  std::sort(labels.begin(), labels.end(), [](auto& a, auto& b) { return a.label < b.label; });
  for (auto& l : labels)
    if (l.stats.count) s.labels.push_back(std::move(l));
  return s;
}

SyntheticSource::SyntheticSource(std::string name, std::vector<SyntheticRun> runs,
                                 Metadata file_metadata)
    : name_(std::move(name)), runs_(std::move(runs)), file_metadata_(std::move(file_metadata)) {
  for (const auto& r : runs_) summaries_.push_back(summarize(r));
}

void SyntheticSource::stream_calls(std::size_t run,
                                   const std::function<void(const CallChunk&)>& sink) {
  std::vector<std::uint64_t> start, duration;
  std::vector<std::uint32_t> label;
  std::vector<std::uint32_t> rank;
  auto flush = [&] {
    if (start.empty()) return;
    sink(CallChunk{start, duration, label, rank});
    start.clear();
    duration.clear();
    label.clear();
    rank.clear();
  };
  generate_calls(runs_.at(run), [&](const SyntheticCall& c) {
    start.push_back(c.start_ns);
    duration.push_back(c.duration_ns);
    label.push_back(c.label);
    rank.push_back(static_cast<std::uint32_t>(c.rank));
    if (start.size() == chunk_rows) flush();
  });
  flush();
}

std::vector<SyntheticRun> scaling_suite(std::uint64_t ops) {
  std::vector<SyntheticRun> runs;
  for (auto [r, t] : {std::pair{1, 1}, std::pair{2, 1}, std::pair{2, 2}}) {
    SyntheticRun run;
    run.ranks = r;
    run.threads = t;
    run.ops = ops;
    run.labels = {"200", "500", "timeout"};
    run.metadata = {{"operation", "synthetic"},
                    {"ranks", std::to_string(r)},
                    {"threads", std::to_string(t)},
                    {"status", "complete"}};
    runs.push_back(run);
  }
  return runs;
}

}  // namespace gorgon::analysis::testing
