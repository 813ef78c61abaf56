// Property: a snapshot sees exactly the model at its sequence, however the
// data moves after it was taken: overwritten, deleted by range, flushed to
// tables, compacted between levels.
#include <algorithm>

#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix SnapshotMix() {
  ScenarioMix mix;
  mix.steps.flush = 2;
  mix.steps.compact = 2;
  mix.steps.delete_range = 2;
  mix.chunks = {.step = 6, .fault_window = 0, .snapshot_story = 10, .crash_recovery = 0};
  mix.snapshot_read_percent = 30;
  mix.max_chunks = 16;
  return mix;
}

bool Has(const dst::Scenario& scenario, dst::Step::Kind kind) {
  return std::any_of(scenario.steps.begin(), scenario.steps.end(),
                     [kind](const dst::Step& step) { return step.kind == kind; });
}

KILN_SCENARIO_PROPERTY(SnapshotVisibility, AcrossFlushCompactionAndRangeDeletion,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(SnapshotMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(outcome.counters.snapshot_reads_checked > 0, "snapshot reads checked");
  RC_CLASSIFY(Has(scenario, dst::Step::Kind::kFlush), "flush");
  RC_CLASSIFY(Has(scenario, dst::Step::Kind::kCompact), "compact");
  RC_CLASSIFY(Has(scenario, dst::Step::Kind::kDeleteRange), "delete_range");
}

}  // namespace
}  // namespace kiln::props
