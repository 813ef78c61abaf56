// The generators draw valid scenarios that follow their mix, swarm the
// options and fault kinds, and shrink a failure to a minimal step list; a
// failing property writes its shrunk scenario.
#include "props/scenario_gen.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "props/property_support.h"
#include "rapidcheck/detail/Configuration.h"
#include "rapidcheck/detail/TestListener.h"
#include "tools/dst/scenario.h"

namespace kiln::props {
namespace {

using dst::Scenario;
using dst::Step;

constexpr int kSamples = 300;

// Every kind of step and chunk, every fault family.
ScenarioMix EverythingMix() {
  ScenarioMix mix;
  mix.steps.sleep = 1;
  mix.steps.crash = 1;
  mix.steps.crash_in_open = 1;
  mix.chunks = {.step = 10, .fault_window = 2, .snapshot_story = 2, .crash_recovery = 1};
  mix.max_clients = 4;
  mix.write_faults = true;
  mix.read_faults = true;
  mix.latency = true;
  return mix;
}

template <typename T>
std::vector<T> Sample(const rc::Gen<T>& gen, int count, uint64_t seed) {
  std::vector<T> values;
  rc::Random random(seed);
  for (int i = 0; i < count; ++i) values.push_back(gen(random.split(), 100).value());
  return values;
}

KILN_SCENARIO_PROPERTY(ScenarioGen, ValidAndRoundTripsThroughText,
                       (PropertyConfig{.max_success = 200})) {
  const Scenario scenario = *GenScenario(EverythingMix());
  RC_ASSERT(dst::ValidateScenario(scenario).ok());
  const std::string text = dst::ScenarioToText(scenario);
  const absl::StatusOr<Scenario> parsed = dst::ParseScenario(text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(dst::ScenarioToText(*parsed) == text);
}

TEST(ScenarioGen, FollowsTheMix) {
  ScenarioMix mix;
  mix.steps = {.put = 1,
               .del = 0,
               .delete_range = 0,
               .batch = 0,
               .get = 0,
               .scan = 0,
               .snapshot = 0,
               .release = 0,
               .flush = 0,
               .compact = 0,
               .persist = 0,
               .maintain = 0,
               .sleep = 0,
               .check = 0,
               .crash = 0,
               .crash_in_open = 0};
  mix.min_clients = 2;
  mix.max_clients = 3;
  mix.min_background_tasks = 1;
  mix.check_every_step = true;
  size_t puts = 0;
  for (const Scenario& scenario : Sample(GenScenario(mix), kSamples, 1)) {
    EXPECT_TRUE(scenario.check_every_step);
    EXPECT_TRUE(scenario.faults.empty());
    EXPECT_GE(scenario.options.background_tasks, 1);
    for (const Step& step : scenario.steps) {
      ASSERT_EQ(step.kind, Step::Kind::kPut) << StepText(step);
      EXPECT_LT(step.client, 3);
      // The value names its writer: client, step and entry.
      EXPECT_EQ(step.entries[0].entry.value.rfind("c" + std::to_string(step.client) + "s", 0), 0u);
      ++puts;
    }
  }
  EXPECT_GT(puts, static_cast<size_t>(kSamples));
}

TEST(ScenarioGen, SwarmsOptionsAndFaultKinds) {
  std::set<size_t> budgets;
  std::set<int> tasks;
  std::set<int> blooms;
  std::set<std::string> policies;
  std::set<size_t> fault_counts;
  size_t windows = 0;
  size_t concurrent = 0;
  const std::vector<dst::ScenarioFault> candidates = FaultCandidates(EverythingMix());
  for (const Scenario& scenario : Sample(GenScenario(EverythingMix()), kSamples, 2)) {
    budgets.insert(scenario.options.memtable_budget_bytes);
    tasks.insert(scenario.options.background_tasks);
    blooms.insert(scenario.options.default_bucket.bloom_bits_per_key);
    policies.insert(scenario.crash_policy);
    fault_counts.insert(scenario.faults.size());
    EXPECT_LT(scenario.options.l0_compaction_trigger, scenario.options.l0_slowdown_trigger);
    EXPECT_LT(scenario.options.l0_slowdown_trigger, scenario.options.l0_stop_trigger);
    for (const Step& step : scenario.steps) windows += step.kind == Step::Kind::kFaultOn;
    concurrent += HasConcurrentSegment(scenario);
  }
  EXPECT_EQ(budgets.size(), 4u);
  EXPECT_EQ(tasks, (std::set<int>{0, 1, 2}));
  EXPECT_EQ(blooms, (std::set<int>{0, 10}));
  EXPECT_EQ(policies.size(), 5u);
  // Some scenarios run fault-free, none holds every candidate (kinds are
  // switched off wholesale), and many hold several.
  EXPECT_TRUE(fault_counts.count(0));
  EXPECT_FALSE(fault_counts.count(candidates.size()));
  EXPECT_GT(*fault_counts.rbegin(), 4u);
  EXPECT_GT(windows, static_cast<size_t>(kSamples / 4));
  EXPECT_GT(concurrent, static_cast<size_t>(kSamples / 4));
}

// Runs a plain RapidCheck property with a fixed seed; returns whether it
// failed.
bool FailsUnderRapidCheck(const std::function<void()>& property, uint64_t seed) {
  class QuietListener : public rc::detail::TestListener {
   public:
    void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
    void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
    void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  } listener;
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = 200;
  const rc::detail::TestResult result = rc::detail::checkProperty(
      rc::detail::toProperty(property), {"shrink", "shrink"}, params, listener, {});
  return result.is<rc::detail::FailureResult>();
}

bool IsMultiBucketBatch(const Step& step) {
  if (step.kind != Step::Kind::kBatch) return false;
  std::set<int> buckets;
  for (const dst::ScenarioEntry& entry : step.entries) buckets.insert(entry.entry.bucket);
  return buckets.size() > 1;
}

// A made-up bug: any batch that spans both buckets. Shrinking must leave
// exactly one step, that batch, with two entries at their simplest.
TEST(ScenarioGen, ShrinksToAMinimalStepSequence) {
  Scenario last_failing;
  const bool failed = FailsUnderRapidCheck(
      [&last_failing] {
        const Scenario scenario = *GenScenario(EverythingMix());
        const bool bug =
            std::any_of(scenario.steps.begin(), scenario.steps.end(), IsMultiBucketBatch);
        if (bug) last_failing = scenario;
        RC_ASSERT(!bug);
      },
      3);
  ASSERT_TRUE(failed);
  const std::string text = dst::ScenarioToText(last_failing);
  ASSERT_EQ(last_failing.steps.size(), 1u) << text;
  const Step& step = last_failing.steps[0];
  ASSERT_EQ(step.entries.size(), 2u) << text;
  EXPECT_EQ(step.client, 0) << text;
  EXPECT_FALSE(step.durability.has_value()) << text;
  EXPECT_TRUE(last_failing.faults.empty()) << text;
  for (const dst::ScenarioEntry& entry : step.entries) {
    EXPECT_EQ(entry.entry.kind, dst::ModelEntry::Kind::kPut) << text;
    EXPECT_EQ(entry.entry.key, "a00") << text;
    EXPECT_FALSE(entry.via_db) << text;
  }
  EXPECT_EQ(last_failing.options.memtable_budget_bytes, size_t{16} << 10) << text;
  EXPECT_EQ(last_failing.crash_policy, "strict") << text;
}

// Through the real runner: pretend the engine breaks only after two crashes
// during recovery in a row. The shrunk scenario is exactly those two steps.
TEST(ScenarioGen, ShrinksThroughTheRunner) {
  ScenarioMix mix;
  mix.chunks = {.step = 10, .fault_window = 0, .snapshot_story = 0, .crash_recovery = 3};
  mix.max_chunks = 8;
  Scenario last_failing;
  const bool failed = FailsUnderRapidCheck(
      [&] {
        const Scenario scenario = *GenScenario(mix);
        const dst::ScenarioResult outcome = dst::RunScenario(scenario);
        RC_ASSERT(outcome.result.passed);
        const bool bug = outcome.counters.crashes_in_open >= 2;
        if (bug) last_failing = scenario;
        RC_ASSERT(!bug);
      },
      4);
  ASSERT_TRUE(failed);
  const std::string text = dst::ScenarioToText(last_failing);
  ASSERT_EQ(last_failing.steps.size(), 2u) << text;
  for (const Step& step : last_failing.steps) {
    EXPECT_EQ(step.kind, Step::Kind::kCrashInOpen) << text;
    EXPECT_EQ(step.crash_steps, 1u) << text;
  }
}

// A property that fails by its own assertion on any put to the named bucket.
void FailingProperty() {
  ScenarioMix mix;
  mix.max_chunks = 10;
  const Scenario scenario = *GenScenario(mix);
  RunScenarioCase(scenario);
  RequireExercised(true, "any");
  for (const Step& step : scenario.steps) {
    RC_ASSERT(!(step.kind == Step::Kind::kPut && step.entries[0].entry.bucket == 1));
  }
}

TEST(FailureReport, WritesTheShrunkScenario) {
  EXPECT_NONFATAL_FAILURE(CheckScenarioProperty({.max_success = 50}, &FailingProperty),
                          "Minimal scenario (1 steps) written to");
  const char* directory = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string path = std::string(directory != nullptr ? directory : "/tmp") +
                           "/FailureReport.WritesTheShrunkScenario.scn";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("# Replay: "), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("./bazelw run //tools:dst -- scenario "), std::string::npos)
      << text.str();
  const absl::StatusOr<Scenario> parsed = dst::ParseScenario(text.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->steps.size(), 1u);
  EXPECT_EQ(parsed->steps[0].kind, Step::Kind::kPut);
  EXPECT_EQ(parsed->steps[0].entries[0].entry.bucket, 1);
}

}  // namespace
}  // namespace kiln::props
