#pragma once
// The statistics of one thread's rows, folded a segment at a time while the run goes, so the
// rows themselves need not stay in memory. Each segment is summed in two passes of its own
// (its mean first, then the squared deviations from it: exact, as the whole run's two-pass
// spread was) and merged into the thread's totals by Chan et al.'s pairwise update; counts,
// sums, extremes and histograms are exact whatever the order.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "gorgon/record/record.hpp"
#include "gorgon/stats/summary.hpp"

namespace gorgon {

/// The sub-call name id that marks a call itself in a visit over rows.
inline constexpr std::uint32_t kNoSubcallName = 0xffffffffu;

/// Visits every call of `rows` as visit(label, kNoSubcallName, duration) and every sub-call
/// as visit(label of its call, name, duration), with the thread's own ids. A thread records
/// the sub-calls of a call, in order, just before the call itself, so one walk over both
/// streams pairs them.
template <typename F>
void for_each_duration(const RecordRows& rows, F&& visit) {
  std::vector<std::pair<const SubCallBlock*, std::size_t>> sblocks;
  rows.subcalls.for_each_block(
      [&](const SubCallBlock& b, std::size_t used) { sblocks.emplace_back(&b, used); });
  std::size_t sb = 0, si = 0;
  rows.calls.for_each_block([&](const CallBlock& b, std::size_t used) {
    for (std::size_t i = 0; i < used; ++i) {
      const std::uint32_t label = b.label[i];
      visit(label, kNoSubcallName, b.duration_ns[i]);
      while (sb < sblocks.size()) {
        const SubCallBlock& s = *sblocks[sb].first;
        if (si == sblocks[sb].second) {
          ++sb;
          si = 0;
          continue;
        }
        if (s.call_number[si] != b.number[i]) break;
        visit(label, s.name[si], s.duration_ns[si]);
        ++si;
      }
    }
  });
}

/// One thread's statistics so far, by its own label and sub-call name ids.
struct ThreadFold {
  std::vector<Summary> labels;                          ///< by the thread's label id
  std::unordered_map<std::uint64_t, Summary> subcalls;  ///< by label << 32 | name
  std::uint64_t calls = 0;

  /// Folds in one segment's rows.
  void add(const RecordRows& rows);
};

}  // namespace gorgon
