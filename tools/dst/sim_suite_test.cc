// The simulation suite as a Bazel test: a campaign of the engine workload
// over a range of seeds, spread over Bazel's test shards and runs.
//
//   KILN_SEEDS      seeds per run (default 200)
//   KILN_SEED_FROM  first seed of run 1 (default 0)
//   KILN_WORKLOAD   workload name (default engine)
//
// Run r (TEST_RANDOM_SEED, which --runs_per_test sets to 1, 2, ...) covers
// seeds [from + (r-1)*KILN_SEEDS, from + r*KILN_SEEDS); shard i of
// TEST_TOTAL_SHARDS takes the i-th contiguous slice of that. So
//   bazel test //tools:sim_suite_test --test_env=KILN_SEEDS=100000 --runs_per_test=50
// checks five million distinct seeds, on as many machines as the executor has.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tools/dst/campaign.h"
#include "tools/dst/workload.h"

namespace kiln::dst {
namespace {

constexpr uint64_t kDefaultSeedsPerRun = 200;
constexpr uint64_t kMaxSeedsPerRun = uint64_t{1} << 32;

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0') {
    ADD_FAILURE() << name << " wants a whole number, got '" << text << "'";
    return fallback;
  }
  return value;
}

TEST(SimSuite, EverySeedOfThisShardPasses) {
  // Announce that this test honours sharding.
  if (const char* status_file = std::getenv("TEST_SHARD_STATUS_FILE")) {
    if (std::FILE* file = std::fopen(status_file, "w")) std::fclose(file);
  }
  const uint64_t per_run = EnvNumber("KILN_SEEDS", kDefaultSeedsPerRun);
  ASSERT_GT(per_run, 0u);
  ASSERT_LE(per_run, kMaxSeedsPerRun);
  const uint64_t from = EnvNumber("KILN_SEED_FROM", 0);
  const uint64_t run = std::max<uint64_t>(1, EnvNumber("TEST_RANDOM_SEED", 1));
  const uint64_t shards = std::max<uint64_t>(1, EnvNumber("TEST_TOTAL_SHARDS", 1));
  const uint64_t shard = EnvNumber("TEST_SHARD_INDEX", 0);
  ASSERT_LT(shard, shards);
  const uint64_t run_first = from + (run - 1) * per_run;
  const uint64_t first = run_first + per_run * shard / shards;
  const uint64_t last = run_first + per_run * (shard + 1) / shards;

  CampaignOptions options;
  const char* workload = std::getenv("KILN_WORKLOAD");
  options.workload = workload != nullptr && *workload != '\0' ? workload : "engine";
  ASSERT_NE(MakeWorkload(options.workload), nullptr) << "unknown workload " << options.workload;
  options.first_seed = first;
  options.seed_count = last - first;
  options.jobs = 1;  // Bazel runs the shards in parallel
  std::printf("run %" PRIu64 " shard %" PRIu64 "/%" PRIu64 ": seeds [%" PRIu64 ", %" PRIu64 ")\n",
              run, shard, shards, first, last);
  if (options.seed_count == 0) GTEST_SKIP() << "more shards than seeds";
  const CampaignSummary summary = RunCampaign(options);
  PrintSummary(options, summary, stdout);
  EXPECT_EQ(summary.seeds_run, options.seed_count);
  for (const SeedResult& failure : summary.failures) {
    ADD_FAILURE() << "seed " << failure.seed << ": " << failure.failure << "\n  replay: "
                  << ReplayCommand(options.workload, failure.seed)
                  << "\n  shrink: ./bazelw run -c opt //tools:dst -- shrink --seed=" << failure.seed
                  << " --out=/tmp/seed" << failure.seed << ".scn";
  }
}

}  // namespace
}  // namespace kiln::dst

int main(int argc, char** argv) {
  // The seeds are sharded above; gtest must not also shard its one test away.
  unsetenv("GTEST_TOTAL_SHARDS");
  unsetenv("GTEST_SHARD_INDEX");
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
