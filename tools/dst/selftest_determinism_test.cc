// The determinism contract over the whole simulated stack (fibers, clock,
// in-memory disk, crashes, faults) with the self-test workload: same seed =>
// same trace hash; different seeds => different hashes.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tools/dst/determinism_check.h"
#include "tools/dst/regression_seeds.h"
#include "tools/dst/workload.h"

namespace kiln::dst {
namespace {

constexpr uint64_t kSeeds = 200;

TEST(SelftestDeterminismTest, EverySeedTwiceGivesTheSameHash) {
  std::unique_ptr<Workload> workload = MakeWorkload("selftest");
  ASSERT_NE(workload, nullptr);
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const SeedResult first = workload->Run(SeedOptions{.seed = seed});
    const SeedResult second = workload->Run(SeedOptions{.seed = seed});
    ASSERT_TRUE(first.passed) << "seed " << seed << ": " << first.failure;
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.operations, second.operations) << "seed " << seed;
  }
}

TEST(SelftestDeterminismTest, DifferentSeedsGiveDifferentHashes) {
  std::unique_ptr<Workload> workload = MakeWorkload("selftest");
  std::set<uint64_t> hashes;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    hashes.insert(workload->Run(SeedOptions{.seed = seed}).trace_hash);
  }
  EXPECT_EQ(hashes.size(), kSeeds);
}

TEST(SelftestDeterminismTest, RecordedTraceMatchesItsHashAndReplays) {
  std::unique_ptr<Workload> workload = MakeWorkload("selftest");
  const SeedResult plain = workload->Run(SeedOptions{.seed = 77});
  const SeedResult traced = workload->Run(SeedOptions{.seed = 77, .record_trace = true});
  EXPECT_EQ(plain.trace_hash, traced.trace_hash);  // recording does not perturb the run
  ASSERT_FALSE(traced.trace.empty());
  EXPECT_EQ(DescribeFirstDivergence(traced.trace, traced.trace), "");
}

// Every seed that once found a bug passes forever.
TEST(SelftestDeterminismTest, RegressionSeedsPass) {
  std::unique_ptr<Workload> workload = MakeWorkload("selftest");
  for (uint64_t seed : ReadRegressionSeeds("selftest_regressions.txt")) {
    const SeedResult result = workload->Run(SeedOptions{.seed = seed});
    EXPECT_TRUE(result.passed) << "seed " << seed << ": " << result.failure;
  }
}

TEST(SelftestDeterminismTest, PlantedBugIsCaught) {
  std::unique_ptr<Workload> workload = MakeWorkload("selftest-unsafe");
  int failures = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    failures += !workload->Run(SeedOptions{.seed = seed}).passed;
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace kiln::dst
