// Property: every read the engine answers (gets and scans: forward, reverse,
// bounds, prefixes, seeks, Next/Prev walks, at snapshots or not) equals the
// reference model, whatever options, flushes and compactions came before.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix ReadsMix() {
  ScenarioMix mix;
  mix.chunks = {.step = 20, .fault_window = 0, .snapshot_story = 2, .crash_recovery = 0};
  mix.max_clients = 2;
  return mix;
}

KILN_SCENARIO_PROPERTY(ModelEquivalence, EveryReadMatchesTheModel,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(ReadsMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(outcome.counters.reads_checked > 0, "reads checked");
  RC_CLASSIFY(outcome.counters.snapshot_reads_checked > 0, "some at a snapshot");
  RC_CLASSIFY(scenario.options.background_tasks == 0, "manual maintenance");
}

}  // namespace
}  // namespace kiln::props
