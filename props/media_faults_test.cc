// Property: under silent bit flips, sticky latent sector errors and short
// reads of table files, every read returns the right data or an error
// (Corruption, IOError), never wrong bytes; nor does anything the engine
// writes back from what it read (compaction) carry the damage.
#include "props/property_support.h"
#include "props/scenario_gen.h"

namespace kiln::props {
namespace {

ScenarioMix MediaMix() {
  ScenarioMix mix;
  mix.steps.flush = 3;
  mix.steps.compact = 2;
  mix.steps.get = 10;
  mix.steps.scan = 6;
  mix.chunks = {.step = 14, .fault_window = 8, .snapshot_story = 1, .crash_recovery = 0};
  mix.read_faults = true;
  mix.fault_kind_percent = 85;
  mix.fault_rule_percent = 85;
  mix.fault_enabled_at_start_percent = 20;
  return mix;
}

uint64_t MediaFaultsInjected(const dst::ScenarioResult& outcome) {
  uint64_t count = 0;
  for (const char* kind : {"bit_flip_on_read", "latent_sector_error", "short_read"}) {
    const auto it = outcome.result.faults_by_kind.find(kind);
    if (it != outcome.result.faults_by_kind.end()) count += it->second;
  }
  return count;
}

KILN_SCENARIO_PROPERTY(MediaFaults, NeverWrongData,
                       (PropertyConfig{.max_success = 50, .min_exercised_fraction = 0.3})) {
  const dst::Scenario scenario = *GenScenario(MediaMix());
  const dst::ScenarioResult outcome = RunScenarioCase(scenario);
  RequireExercised(MediaFaultsInjected(outcome) > 0 && outcome.counters.reads_checked > 0,
                   "reads under media faults");
  RC_CLASSIFY(outcome.counters.read_errors > 0, "reads failed");
  RC_CLASSIFY(outcome.inconclusive, "database left unreadable");
  for (const auto& [kind, count] : outcome.result.faults_by_kind) RC_TAG(kind);
}

}  // namespace
}  // namespace kiln::props
