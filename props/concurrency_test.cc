// Property: 2-4 client fibers writing, reading and taking snapshots at once,
// with background flush and compaction, under seeded schedules (the
// scenario's seed picks every interleaving): every read matches the model at
// a batch boundary between the commits published before and after it.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix ConcurrentMix() {
  ScenarioMix mix;
  mix.steps.sleep = 1;
  mix.steps.check = 0;
  mix.chunks = {.step = 20, .fault_window = 1, .snapshot_story = 2, .crash_recovery = 0};
  mix.min_clients = 2;
  mix.max_clients = 4;
  mix.min_background_tasks = 1;
  mix.latency = true;
  return mix;
}

KILN_SCENARIO_PROPERTY(Concurrency, ClientsAndBackgroundWork, (PropertyConfig{.max_success = 50})) {
  const dst::Scenario scenario = *GenScenario(ConcurrentMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(HasConcurrentSegment(scenario) && outcome.counters.reads_checked > 0,
                   "concurrent clients, reads checked");
  RC_CLASSIFY(!scenario.faults.empty(), "latency");
}

}  // namespace
}  // namespace kiln::props
