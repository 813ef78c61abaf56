// Property: a write that returned an error (EIO, ENOSPC, short writes, a
// failed or data-losing sync of the WAL, tables, manifest or CURRENT) is
// present or absent after the next crash or reopen, never partly there; and
// no error appears that the fault mix does not explain.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix FailedWritesMix() {
  ScenarioMix mix;
  mix.steps.batch = 6;
  mix.steps.get = 3;
  mix.steps.scan = 1;
  mix.steps.flush = 2;
  mix.steps.crash = 2;
  mix.chunks = {.step = 10, .fault_window = 6, .snapshot_story = 0, .crash_recovery = 1};
  mix.max_clients = 2;
  mix.write_faults = true;
  mix.fault_kind_percent = 80;
  mix.fault_rule_percent = 80;
  mix.explicit_durability_percent = 40;
  return mix;
}

KILN_SCENARIO_PROPERTY(FailedWrites, PresentOrAbsentNeverPartial,
                       (PropertyConfig{.max_success = 50, .min_exercised_fraction = 0.3})) {
  const dst::Scenario scenario = *GenScenario(FailedWritesMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  // A failed write is settled by the next recovery (a crash or the final
  // reopen), which the first open does not count as.
  RequireExercised(outcome.counters.failed_writes > 0 && outcome.counters.recoveries_checked >= 2,
                   "failed writes, then a recovery");
  RC_CLASSIFY(!outcome.crash_choices.empty(), "crash after the failure");
  for (const auto& [kind, count] : outcome.result.faults_by_kind) RC_TAG(kind);
}

}  // namespace
}  // namespace kiln::props
