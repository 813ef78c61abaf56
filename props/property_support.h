// Running scenario properties under RapidCheck and GoogleTest.
//
//   KILN_SCENARIO_PROPERTY(SnapshotVisibility, AcrossFlushAndCompaction,
//                          (PropertyConfig{.max_success = 40})) {
//     const dst::Scenario scenario = *GenScenario(kMix);
//     const dst::ScenarioResult outcome = RunScenarioCase(scenario);
//     RequireExercised(outcome.counters.snapshot_reads_checked > 0, "snapshot reads");
//   }
//
// A property is a RapidCheck property without arguments that draws its
// scenario with `*gen`, runs it with RunScenarioCase (which fails the case,
// naming the failing step, when an oracle fails) and then says with
// RequireExercised whether the case checked what the property is about (a
// case that did not is discarded, so max_success counts only cases that
// checked something, and a generator that stops producing them fails the
// test).
//
// Runs are deterministic: the RapidCheck seed is a hash of the test's name
// unless RC_PARAMS names one, and the scenario runner is deterministic. More
// cases: --test_env=RC_PARAMS="max_success=2000" (other seeds: "seed=N").
//
// On a failure, after RapidCheck has shrunk it, the minimal scenario (with the
// crash choices its run applied) is written to
// $TEST_UNDECLARED_OUTPUTS_DIR/<Suite>.<Name>.scn (/tmp without it), replayed
// once more from its text to confirm it still fails, and the test fails with
// the failure text, the failing step, the path, the scenario text and the
// replay command `./bazelw run //tools:dst -- scenario <path>` (under bazel
// test, after unzipping it from the test's outputs.zip).
//
// With KILN_PROPS_EXAMPLE_DIR set, a passing property also writes there the
// smallest case of at least 8 steps that exercised it, as <Suite>.<Name>.scn
// (how the examples in props/scenarios/ were made).
//
// Thread-safety: one property at a time (GoogleTest runs tests in sequence).
#ifndef KILN_PROPS_PROPERTY_SUPPORT_H_
#define KILN_PROPS_PROPERTY_SUPPORT_H_

#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "tools/dst/scenario.h"
#include "tools/dst/scenario_runner.h"

namespace kiln::props {

struct PropertyConfig {
  // Passing, exercised cases to run, unless RC_PARAMS sets max_success.
  int max_success = 40;
  // At least this fraction of all cases run must exercise the property; a
  // lower one means its generator no longer produces what it claims to test.
  double min_exercised_fraction = 0.5;
};

// Inside a property: runs the scenario in a fresh simulator against the
// model. If an oracle failed, remembers the scenario (the last one remembered
// is RapidCheck's shrunk case) and fails the case with the failure text and
// the failing step.
dst::ScenarioResult RunScenarioCase(const dst::Scenario& scenario);

// Inside a property, after RunScenarioCase: counts the case as exercising the
// property, or discards it. `tag` labels exercised cases in the printed
// distribution.
void RequireExercised(bool exercised, const std::string& tag);

// The body of a property's TEST: runs it under RapidCheck and reports.
void CheckScenarioProperty(const PropertyConfig& config, const std::function<void()>& property);

// The text of one step as a scenario file spells it (first line only for a
// batch), for messages.
std::string StepText(const dst::Step& step);

}  // namespace kiln::props

#define KILN_SCENARIO_PROPERTY(Suite, Name, config)                                       \
  static void KilnScenarioProperty_##Suite##_##Name();                                    \
  TEST(Suite, Name) {                                                                     \
    ::kiln::props::CheckScenarioProperty(config, &KilnScenarioProperty_##Suite##_##Name); \
  }                                                                                       \
  static void KilnScenarioProperty_##Suite##_##Name()

#endif  // KILN_PROPS_PROPERTY_SUPPORT_H_
