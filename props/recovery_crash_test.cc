// Property: a crash during recovery, again and again (each open cut short a
// few scheduling steps in, under any crash policy), still recovers to a
// state the model allows: recovery's own writes (a new WAL, flushed
// memtables, manifest roll-over) never lose or invent data.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix RecoveryCrashMix() {
  ScenarioMix mix;
  mix.steps.persist = 2;
  mix.chunks = {.step = 14, .fault_window = 0, .snapshot_story = 0, .crash_recovery = 6};
  mix.explicit_durability_percent = 50;
  mix.max_chunks = 24;
  return mix;
}

KILN_SCENARIO_PROPERTY(CrashDuringRecovery, RepeatedCrashesRecover,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(RecoveryCrashMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(outcome.counters.crashes_in_open >= 2, "repeated crashes in recovery");
  RC_CLASSIFY(outcome.counters.crashes_in_open >= 4, "4 or more");
}

}  // namespace
}  // namespace kiln::props
