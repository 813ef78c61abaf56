// Property: after a crash (any crash policy, at the end of a segment or in
// the middle of it), the recovered state equals the model at some batch
// boundary S with no holes, at least the last sequence acknowledged durable
// (sync writes, persist barriers) and at most the last one issued.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix CrashMix() {
  ScenarioMix mix;
  mix.steps.persist = 2;
  mix.steps.crash = 3;
  mix.steps.get = 3;
  mix.steps.scan = 2;
  mix.chunks = {.step = 20, .fault_window = 0, .snapshot_story = 1, .crash_recovery = 1};
  mix.max_clients = 2;
  mix.explicit_durability_percent = 50;
  return mix;
}

KILN_SCENARIO_PROPERTY(CrashDurability, RecoveredStateIsAModelPrefix,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(CrashMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  // The first open and the final reopen are recoveries too; a crash adds one.
  RequireExercised(!outcome.crash_choices.empty() && outcome.counters.recoveries_checked >= 3,
                   "crash recovered");
  RC_CLASSIFY(outcome.crash_choices.size() > 1, "several crashes");
  RC_TAG(scenario.crash_policy);
}

}  // namespace
}  // namespace kiln::props
