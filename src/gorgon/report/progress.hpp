#pragma once
// The live progress display of rank 0: a bar redrawn in place on a terminal, or a plain line
// every few seconds otherwise (for Slurm logs).
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "gorgon/run/rounds.hpp"

namespace gorgon {

class ProgressDisplay {
 public:
  /// `total` calls expected (0 when the run is timed: `duration_ns` then gives the ETA).
  /// `tty`: redraw a bar in place at most every 0.5 s; otherwise a line every `every_ns`.
  ProgressDisplay(std::ostream& out, bool tty, std::uint64_t every_ns, std::uint64_t total,
                  std::uint64_t duration_ns);
  /// A round's snapshot; draws when due. `names` maps label hashes to texts.
  void update(const ProgressSnapshot& snap,
              const std::vector<std::pair<std::uint64_t, std::string>>& names);
  /// Ends the display (clears the bar's line on a terminal).
  void finish();
  /// The text of one progress line (without bar), for tests.
  [[nodiscard]] std::string line(
      const ProgressSnapshot& snap,
      const std::vector<std::pair<std::uint64_t, std::string>>& names) const;

 private:
  std::ostream& out_;
  bool tty_;
  std::uint64_t every_ns_, total_, duration_ns_;
  std::uint64_t last_shown_ns_ = 0, last_calls_ = 0, last_elapsed_ = 0;
  double rate_now_ = 0;
  bool drawn_ = false;
  bool warmup_ = false;  ///< the last snapshot was the warm-up's
};

}  // namespace gorgon
