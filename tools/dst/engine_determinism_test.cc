// The engine workload under the determinism contract: the real engine in the
// simulator, with crashes and faults, gives the same trace hash for the same
// seed; every seed passes its oracles, and so does every seed that once
// found a bug (testdata/engine_regressions.txt).
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tools/dst/regression_seeds.h"
#include "tools/dst/workload.h"

namespace kiln::dst {
namespace {

constexpr uint64_t kSeeds = 30;

TEST(EngineDeterminismTest, EverySeedTwiceGivesTheSameHashAndPasses) {
  std::unique_ptr<Workload> workload = MakeWorkload("engine");
  ASSERT_NE(workload, nullptr);
  std::set<uint64_t> hashes;
  uint64_t crashes = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const SeedResult first = workload->Run(SeedOptions{.seed = seed});
    const SeedResult second = workload->Run(SeedOptions{.seed = seed});
    ASSERT_TRUE(first.passed) << "seed " << seed << ": " << first.failure;
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.operations, second.operations) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps) << "seed " << seed;
    hashes.insert(first.trace_hash);
    crashes += first.crashes;
  }
  EXPECT_EQ(hashes.size(), kSeeds);
  EXPECT_GE(crashes, 2 * kSeeds);
}

// Every seed that once found a bug passes forever.
TEST(EngineDeterminismTest, RegressionSeedsPass) {
  std::unique_ptr<Workload> workload = MakeWorkload("engine");
  for (uint64_t seed : ReadRegressionSeeds("engine_regressions.txt")) {
    const SeedResult result = workload->Run(SeedOptions{.seed = seed});
    EXPECT_TRUE(result.passed) << "seed " << seed << ": " << result.failure;
  }
}

}  // namespace
}  // namespace kiln::dst
