// Shrinks a failing scenario to a small one that still fails, by delta
// debugging (Zeller's ddmin, as Pebble's metamorphic reducer and
// RapidCheck do): cut everything after the failing step, then delete
// chunks of steps of halving size, batch entries, fault rules and windows,
// and simplify what remains (one client, short values, no per-step checks),
// keeping each change only if the scenario still fails the same way.
//
// Each candidate runs in a forked child process, so a scenario that trips
// an assertion (aborts) shrinks like one that fails an oracle.
#ifndef KILN_TOOLS_DST_SHRINK_H_
#define KILN_TOOLS_DST_SHRINK_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "tools/dst/scenario.h"
#include "tools/dst/scenario_runner.h"

namespace kiln::dst {

// How one isolated run ended.
struct IsolatedOutcome {
  bool passed = false;
  bool inconclusive = false;
  bool aborted = false;  // the child died (an assertion, a sanitizer)
  size_t failed_step = SIZE_MAX;
  std::string failure;
  // As ScenarioResult::crash_choices (empty if the child died).
  std::vector<ScenarioResult::AppliedCrash> crash_choices;
};

// Runs scenario in a forked child. REQUIRES: ValidateScenario(scenario).ok().
IsolatedOutcome RunScenarioIsolated(const Scenario& scenario);

struct ShrinkOptions {
  // Candidate runs at most; each is one scenario run.
  uint64_t max_runs = 4000;
  // How a candidate runs; empty: RunScenarioIsolated. (Tests substitute a
  // predicate.)
  std::function<IsolatedOutcome(const Scenario&)> run;
  // Progress lines go here; nullptr = quiet.
  std::FILE* progress = nullptr;
};

struct ShrinkResult {
  bool original_failed = false;
  Scenario scenario;  // the smallest failing scenario found
  IsolatedOutcome outcome;
  uint64_t runs = 0;
  size_t original_steps = 0;
};

// If scenario passes, returns it unchanged with original_failed false.
ShrinkResult ShrinkScenario(const Scenario& scenario, const ShrinkOptions& options);

// Steps, counting each batch entry beyond the first as a step too (what a
// reader of the scenario file has to read).
size_t ScenarioSize(const Scenario& scenario);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SHRINK_H_
