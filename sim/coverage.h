// Which KILN_PROBE sites a run (or a whole campaign) hit. Every probe in the
// binary is registered at static initialisation, so the probes never hit are
// known too: a campaign prints them as the rare paths it failed to exercise.
#ifndef KILN_SIM_COVERAGE_H_
#define KILN_SIM_COVERAGE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "util/sim_hooks.h"

namespace kiln::sim {

struct ProbeCount {
  std::string_view file;
  int line = 0;
  std::string_view why;
  uint64_t hits = 0;
};

// Thread-safety: not thread-safe.
class ProbeCoverage {
 public:
  void Hit(const ProbeSite& site) { ++hits_[&site]; }
  // Adds other's hits to this one (a campaign merges its runs).
  void Merge(const ProbeCoverage& other);

  // Every registered probe, sorted by file:line:why, with its hits.
  std::vector<ProbeCount> Report() const;
  // The registered probes with no hits, sorted likewise.
  std::vector<ProbeCount> NeverHit() const;

 private:
  // Looked up by site object only; reports walk the sorted registry.
  absl::flat_hash_map<const ProbeSite*, uint64_t> hits_;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_COVERAGE_H_
