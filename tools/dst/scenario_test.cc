#include "tools/dst/scenario.h"

#include <string>

#include "gtest/gtest.h"
#include "tools/dst/scenario_generator.h"
#include "tools/dst/scenario_runner.h"

namespace kiln::dst {
namespace {

TEST(ScenarioTextTest, GeneratedScenariosRoundTrip) {
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const Scenario scenario = GenerateScenario(seed);
    const std::string text = ScenarioToText(scenario);
    absl::StatusOr<Scenario> parsed = ParseScenario(text);
    ASSERT_TRUE(parsed.ok()) << "seed " << seed << ": " << parsed.status();
    EXPECT_EQ(ScenarioToText(*parsed), text) << "seed " << seed;
  }
}

TEST(ScenarioTextTest, ParsedScenarioRunsLikeTheGeneratedOne) {
  for (uint64_t seed : {3, 98, 1234}) {
    const Scenario scenario = GenerateScenario(seed);
    absl::StatusOr<Scenario> parsed = ParseScenario(ScenarioToText(scenario));
    ASSERT_TRUE(parsed.ok());
    const ScenarioResult direct = RunScenario(scenario);
    const ScenarioResult replayed = RunScenario(*parsed);
    EXPECT_EQ(direct.result.trace_hash, replayed.result.trace_hash) << "seed " << seed;
    EXPECT_EQ(direct.result.passed, replayed.result.passed) << "seed " << seed;
  }
}

TEST(ScenarioTextTest, StringsWithAnyBytesRoundTrip) {
  Scenario scenario;
  Step put;
  put.kind = Step::Kind::kPut;
  put.entries.push_back({.entry = {.kind = ModelEntry::Kind::kPut,
                                   .bucket = 1,
                                   .key = std::string("k\"\\\n\x01\xff", 6),
                                   .value = std::string("\0v", 2)}});
  scenario.steps.push_back(put);
  absl::StatusOr<Scenario> parsed = ParseScenario(ScenarioToText(scenario));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->steps.at(0).entries.at(0).entry.key, put.entries[0].entry.key);
  EXPECT_EQ(parsed->steps.at(0).entries.at(0).entry.value, put.entries[0].entry.value);
}

TEST(ScenarioTextTest, RejectsMalformedInputNamingTheLine) {
  const std::string header = "kiln-scenario 1\n";
  const struct {
    std::string text;
    std::string expected;
  } cases[] = {
      {"", "empty scenario"},
      {"kiln-scenario 2\n", "line 1"},
      {header + "put c=0 bucket=0 key=\"a\" value=\"v\" colour=red\n", "unknown attribute 'colour'"},
      {header + "put c=0 bucket=5 key=\"a\" value=\"v\"\n", "line 2: bucket"},
      {header + "put c=0 key=\"a\" value=\"v\" durability=forever\n", "unknown durability"},
      {header + "+ put bucket=0 key=\"a\" value=\"v\"\n", "must follow a batch"},
      {header + "fault_on c=0 name=\"nope\"\n", "no fault named 'nope'"},
      {header + "delete_range c=0 bucket=0 key=\"b\" end=\"a\"\n", "key < end"},
      {header + "get c=0 bucket=0 key=\"a\n", "unterminated"},
      {header + "frobnicate\n", "unknown item 'frobnicate'"},
      {header + "fault name=\"x\" kind=melt\n", "unknown fault kind"},
      {header + "crash mid_steps=-1\n", "whole number"},
      {header + "persist c=0\n", "persist without a durability"},
      {header + "crash_policy \"sometimes\"\n", "crash_policy"},
      {header + "crash choice=\"garbage\"\n", "bad crash choice"},
      {header + "crash mid_steps=5 after_dir_ops=2\n", "not both"},
      {header + "crash_in_open steps=0 after_dir_ops=10001\n", "after_dir_ops wants a whole number up to 10000"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Scenario> parsed = ParseScenario(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_NE(std::string(parsed.status().message()).find(c.expected), std::string::npos)
        << "input: " << c.text << "\nerror: " << parsed.status();
  }
}

// A crash after the nth directory operation stops the segment right after
// that operation: the flush's new table and its manifest edit are on the
// disk's pending list, not yet covered by a SyncDir, when the crash lands.
TEST(ScenarioRunnerTest, CrashAfterDirectoryOperationsLandsInTheWindow) {
  absl::StatusOr<Scenario> scenario = ParseScenario(
      "kiln-scenario 1\n"
      "seed 5\n"
      "put c=0 bucket=0 key=\"a01\" value=\"v1\" durability=sync_all\n"
      "flush c=0\n"
      "put c=0 bucket=0 key=\"a02\" value=\"v2\" durability=sync_all\n"
      "crash mid_steps=0 after_dir_ops=1\n"
      "crash_in_open steps=0 after_dir_ops=2\n"
      "get c=0 bucket=0 key=\"a01\"\n"
      "get c=0 bucket=0 key=\"a02\"\n");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(ScenarioToText(*ParseScenario(ScenarioToText(*scenario))), ScenarioToText(*scenario));
  const ScenarioResult result = RunScenario(*scenario);
  EXPECT_TRUE(result.result.passed) << result.result.failure;
  EXPECT_EQ(result.counters.dir_op_crash_points, 2u);
  EXPECT_EQ(result.counters.crashes_in_open, 1u);
  EXPECT_GE(result.counters.recoveries_checked, 2u);
}

}  // namespace
}  // namespace kiln::dst
