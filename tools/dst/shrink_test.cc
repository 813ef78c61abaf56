#include "tools/dst/shrink.h"

#include <string>

#include "gtest/gtest.h"
#include "tools/dst/scenario_generator.h"

namespace kiln::dst {
namespace {

bool IsPutOf(const Step& step, const std::string& key) {
  for (const ScenarioEntry& e : step.entries) {
    if (e.entry.kind == ModelEntry::Kind::kPut && e.entry.key == key) return true;
  }
  return false;
}

// A stand-in bug: the scenario "fails" when some put of `first` comes
// before a later check barrier. The minimum is exactly those two steps.
IsolatedOutcome PutThenCheckFails(const Scenario& scenario, const std::string& first) {
  IsolatedOutcome outcome;
  bool seen_put = false;
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    if (IsPutOf(scenario.steps[i], first)) seen_put = true;
    if (seen_put && scenario.steps[i].kind == Step::Kind::kCheck) {
      outcome.failed_step = i;
      outcome.failure = "planted";
      return outcome;
    }
  }
  outcome.passed = true;
  return outcome;
}

TEST(ShrinkTest, FindsTheTwoStepsThatMatter) {
  const Scenario generated = GenerateScenario(7);
  // Pick a key the generated scenario puts before its first check.
  std::string key;
  for (const Step& step : generated.steps) {
    if (step.kind == Step::Kind::kCheck) break;
    if (step.kind == Step::Kind::kPut) {
      key = step.entries[0].entry.key;
      break;
    }
  }
  ASSERT_FALSE(key.empty());
  ASSERT_FALSE(PutThenCheckFails(generated, key).passed);
  ShrinkOptions options;
  options.run = [&](const Scenario& s) { return PutThenCheckFails(s, key); };
  const ShrinkResult shrunk = ShrinkScenario(generated, options);
  ASSERT_TRUE(shrunk.original_failed);
  EXPECT_FALSE(PutThenCheckFails(shrunk.scenario, key).passed);
  ASSERT_EQ(shrunk.scenario.steps.size(), 2u) << ScenarioToText(shrunk.scenario);
  EXPECT_TRUE(IsPutOf(shrunk.scenario.steps[0], key));
  EXPECT_EQ(shrunk.scenario.steps[1].kind, Step::Kind::kCheck);
  EXPECT_TRUE(shrunk.scenario.faults.empty());
  EXPECT_GT(shrunk.original_steps, 100u);
}

TEST(ShrinkTest, APassingScenarioIsLeftAlone) {
  const Scenario generated = GenerateScenario(8);
  ShrinkOptions options;
  options.run = [](const Scenario&) { return IsolatedOutcome{.passed = true}; };
  const ShrinkResult shrunk = ShrinkScenario(generated, options);
  EXPECT_FALSE(shrunk.original_failed);
  EXPECT_EQ(ScenarioToText(shrunk.scenario), ScenarioToText(generated));
}

TEST(ShrinkTest, IsolatedRunReportsARealScenario) {
  // A tiny real scenario through the forked runner: passes on the engine.
  Scenario scenario;
  Step put;
  put.kind = Step::Kind::kPut;
  put.entries.push_back({.entry = {.kind = ModelEntry::Kind::kPut, .key = "a01", .value = "v"}});
  Step check;
  check.kind = Step::Kind::kCheck;
  Step crash;
  crash.kind = Step::Kind::kCrash;
  scenario.steps = {put, check, crash};
  const IsolatedOutcome outcome = RunScenarioIsolated(scenario);
  EXPECT_TRUE(outcome.passed) << outcome.failure;
  EXPECT_FALSE(outcome.aborted);
  ASSERT_EQ(outcome.crash_choices.size(), 1u);
  EXPECT_EQ(outcome.crash_choices[0].step, 2u);
}

}  // namespace
}  // namespace kiln::dst
