// Property: the engine's structural invariants (Db::CheckInvariants: level
// ordering and non-overlap, manifest against the files on disk, sequences,
// reference counts) hold after every client step, every check and every
// recovery.
#include <algorithm>

#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix InvariantsMix() {
  ScenarioMix mix;
  mix.steps.flush = 3;
  mix.steps.compact = 3;
  mix.steps.maintain = 3;
  mix.steps.delete_range = 2;
  mix.steps.crash = 1;
  mix.chunks = {.step = 20, .fault_window = 0, .snapshot_story = 2, .crash_recovery = 1};
  mix.max_clients = 2;
  mix.check_every_step = true;
  return mix;
}

bool CrashesMidSegment(const dst::Scenario& scenario) {
  return std::any_of(scenario.steps.begin(), scenario.steps.end(), [](const dst::Step& step) {
    return step.kind == dst::Step::Kind::kCrash &&
           (step.crash_steps > 0 || step.crash_after_dir_ops > 0);
  });
}

KILN_SCENARIO_PROPERTY(StructuralInvariants, HoldAfterEveryStep,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(InvariantsMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  const size_t client_steps = ClientStepCount(scenario);
  RequireExercised(client_steps > 0 && outcome.counters.invariant_checks > 0, "client steps");
  // Without faults every client step runs, unless a crash cuts its segment
  // short, and each is followed by a check.
  if (!CrashesMidSegment(scenario)) RC_ASSERT(outcome.counters.invariant_checks >= client_steps);
  RC_CLASSIFY(CrashesMidSegment(scenario), "a crash mid-segment");
}

}  // namespace
}  // namespace kiln::props
