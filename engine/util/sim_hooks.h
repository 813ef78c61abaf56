// Buggify sites and coverage probes: the engine's only hooks into simulation.
//
//   if (KILN_BUGGIFY) return absl::IOError("buggify: pretend the disk is slow");
//   if (KILN_BUGGIFY_WITH_PROB(0.01)) batch_limit = 1;
//   KILN_PROBE(level == kMaxLevels - 1, "compaction into the bottom level");
//
// The engine does not depend on sim/: it calls the SimHooks installed for the
// current thread, and none is installed in production, where KILN_BUGGIFY is
// always false and KILN_PROBE records nothing (each costs one thread-local
// load and a branch). The simulator's Runtime installs itself for its lifetime.
//
// Semantics under simulation (FoundationDB's BUGGIFY): in each run a site is
// enabled with probability 1/4, decided on its first evaluation from the seed
// and the site's file:line; an enabled site then fires with the given
// probability (default 1/4) at each evaluation, from a seeded stream; a
// disabled site never fires.
//
// Every site is a static object identified by file:line (never by address),
// registered during static initialisation, so a campaign can list the probes
// it never hit, including ones in code that never ran. Sites in templates are
// registered only once the template is instantiated.
#ifndef KILN_UTIL_SIM_HOOKS_H_
#define KILN_UTIL_SIM_HOOKS_H_

#include <vector>

namespace kiln {

// One KILN_BUGGIFY use. file is __FILE__ as the build spells it.
struct BuggifySite {
  const char* file;
  int line;
};

// One KILN_PROBE use. why says what rare situation the probe marks.
struct ProbeSite {
  const char* file;
  int line;
  const char* why;
};

// The default chance that an enabled buggify site fires at one evaluation.
inline constexpr double kBuggifyFireProbability = 0.25;

// Implemented by the simulator. Thread-safety: called only on the thread it is
// installed for.
class SimHooks {
 public:
  virtual ~SimHooks() = default;
  // Whether site fires at this evaluation. fire_probability is in [0, 1].
  virtual bool BuggifyFires(const BuggifySite& site, double fire_probability) = 0;
  // The probe at site was reached with its condition true.
  virtual void ProbeHit(const ProbeSite& site) = 0;
};

namespace internal {

// Null unless a simulator runs on this thread.
inline thread_local SimHooks* current_sim_hooks = nullptr;

// Called during static initialisation only (single-threaded); returns true.
bool RegisterBuggifySite(const BuggifySite* site);
bool RegisterProbeSite(const ProbeSite* site);

// One instantiation per macro use: SiteFn is the type of a captureless lambda
// written at the use, so each use gets its own static site, registered before
// main() because BuggifyEvaluate/ProbeEvaluate odr-use `registered`.
template <typename SiteFn>
struct BuggifySiteHolder {
  static inline const BuggifySite site = SiteFn{}();
  static inline const bool registered = RegisterBuggifySite(&site);
};

template <typename SiteFn>
struct ProbeSiteHolder {
  static inline const ProbeSite site = SiteFn{}();
  static inline const bool registered = RegisterProbeSite(&site);
};

template <typename SiteFn>
inline bool BuggifyEvaluate(double fire_probability) {
  static_cast<void>(&BuggifySiteHolder<SiteFn>::registered);
  SimHooks* hooks = current_sim_hooks;
  if (hooks == nullptr) [[likely]]
    return false;
  return hooks->BuggifyFires(BuggifySiteHolder<SiteFn>::site, fire_probability);
}

template <typename SiteFn>
inline void ProbeEvaluate(bool condition) {
  static_cast<void>(&ProbeSiteHolder<SiteFn>::registered);
  SimHooks* hooks = current_sim_hooks;
  if (hooks == nullptr || !condition) [[likely]]
    return;
  hooks->ProbeHit(ProbeSiteHolder<SiteFn>::site);
}

}  // namespace internal

// The hooks installed for the calling thread, or null (production).
inline SimHooks* CurrentSimHooks() { return internal::current_sim_hooks; }

// Installs hooks (may be null) for the calling thread; returns the previous
// ones so the caller can restore them.
SimHooks* SetCurrentSimHooks(SimHooks* hooks);

// Every site registered so far, sorted by (file, line) and for probes then by
// why. A site used in code included by several files may appear once per
// instantiation; equal entries are adjacent.
std::vector<const BuggifySite*> RegisteredBuggifySites();
std::vector<const ProbeSite*> RegisteredProbeSites();

}  // namespace kiln

// An expression: true when this site fires (never in production).
#define KILN_BUGGIFY KILN_BUGGIFY_WITH_PROB(::kiln::kBuggifyFireProbability)

// As KILN_BUGGIFY, but an enabled site fires with `probability` in [0, 1].
#define KILN_BUGGIFY_WITH_PROB(probability)                                            \
  (::kiln::internal::BuggifyEvaluate<decltype([] {                                     \
     return ::kiln::BuggifySite{__FILE__, __LINE__};                                   \
   })>(probability))

// Marks a rare path: counts a hit when condition is true. why: a string literal.
#define KILN_PROBE(condition, why)                   \
  ::kiln::internal::ProbeEvaluate<decltype([] {      \
    return ::kiln::ProbeSite{__FILE__, __LINE__, why}; \
  })>(static_cast<bool>(condition))

#endif  // KILN_UTIL_SIM_HOOKS_H_
