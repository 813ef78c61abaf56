// The engine workload: per seed, a scenario drawn by scenario_generator.h
// (swarm options, a fault mix, concurrent clients on two buckets, checks,
// crashes mid-phase and during recovery), run by scenario_runner.h against
// the reference model. A failing seed shrinks to a scenario file with
// `dst shrink`.
#include <memory>
#include <string>

#include "tools/dst/scenario_generator.h"
#include "tools/dst/scenario_runner.h"
#include "tools/dst/workload.h"

namespace kiln::dst {
namespace {

class EngineWorkload final : public Workload {
 public:
  std::string_view name() const override { return "engine"; }
  std::string_view description() const override {
    return "the real engine against a model: two buckets, snapshots, scans, crashes, faults";
  }

  SeedResult Run(const SeedOptions& options) override {
    const Scenario scenario = GenerateScenario(options.seed);
    ScenarioResult outcome = RunScenario(scenario, {.record_trace = options.record_trace});
    outcome.result.seed = options.seed;
    return std::move(outcome.result);
  }
};

const bool registered =
    RegisterWorkload("engine", [] { return std::make_unique<EngineWorkload>(); });

}  // namespace
}  // namespace kiln::dst
