// Property: a write batch spanning both buckets is all or nothing: readers
// never see part of it, and a crash (or a failed write) keeps all of its
// entries or none.
#include <algorithm>
#include <set>

#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix BatchMix() {
  ScenarioMix mix;
  mix.steps.batch = 12;
  mix.steps.put = 2;
  mix.steps.del = 1;
  mix.steps.crash = 3;
  mix.chunks = {.step = 20, .fault_window = 3, .snapshot_story = 1, .crash_recovery = 1};
  mix.max_clients = 2;
  mix.max_batch_entries = 8;
  mix.write_faults = true;
  return mix;
}

bool HasMultiBucketBatch(const dst::Scenario& scenario) {
  return std::any_of(scenario.steps.begin(), scenario.steps.end(), [](const dst::Step& step) {
    if (step.kind != dst::Step::Kind::kBatch) return false;
    std::set<int> buckets;
    for (const dst::ScenarioEntry& entry : step.entries) buckets.insert(entry.entry.bucket);
    return buckets.size() > 1;
  });
}

KILN_SCENARIO_PROPERTY(BatchAtomicity, AllOrNothingAcrossBuckets,
                       (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(BatchMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(HasMultiBucketBatch(scenario) && !outcome.crash_choices.empty() &&
                       outcome.counters.recoveries_checked >= 3,
                   "multi-bucket batches, then a crash");
  RC_CLASSIFY(outcome.counters.failed_writes > 0, "failed writes");
}

}  // namespace
}  // namespace kiln::props
