// Per-run buggify decisions (see engine/util/sim_hooks.h for the macros).
// A site is enabled or not for the whole run, decided on its first evaluation
// as a pure function of (seed, file, line), so the decision for a site does
// not depend on which other sites ran first; an enabled site then fires at
// each evaluation with the requested probability, drawn from the run's
// "buggify" stream in evaluation order.
#ifndef KILN_SIM_BUGGIFY_H_
#define KILN_SIM_BUGGIFY_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "kiln/random.h"
#include "util/sim_hooks.h"

namespace kiln::sim {

inline constexpr double kBuggifySiteEnableProbability = 0.25;

// Thread-safety: not thread-safe; one per Runtime.
class BuggifyState {
 public:
  // enabled = false turns every site off for the run.
  BuggifyState(uint64_t seed, bool enabled);

  // Whether site fires now. Consumes randomness only for enabled sites.
  bool Evaluate(const BuggifySite& site, double fire_probability);

  // The enable decision for a site in a run with this seed (pure).
  static bool SiteEnabled(uint64_t seed, std::string_view file, int line);

  struct SiteReport {
    std::string_view file;
    int line = 0;
    bool enabled = false;
    uint64_t evaluations = 0;
    uint64_t fires = 0;
  };
  // Sites evaluated in this run, sorted by file:line.
  std::vector<SiteReport> Report() const;

 private:
  struct SiteState {
    bool enabled = false;
    uint64_t evaluations = 0;
    uint64_t fires = 0;
  };

  uint64_t seed_;
  bool enabled_;
  Random fire_random_;
  // Keyed by the site object only to find its state again; never iterated
  // (reports walk the sorted registry), so addresses never order anything.
  absl::flat_hash_map<const BuggifySite*, SiteState> sites_;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_BUGGIFY_H_
