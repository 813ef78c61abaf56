#include "tools/dst/campaign.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tools/dst/determinism_check.h"

namespace kiln::dst {
namespace {

// Fails seed 7, aborts the whole process on seed 9, passes the rest.
class FakeWorkload final : public Workload {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view description() const override { return "test double"; }
  SeedResult Run(const SeedOptions& options) override {
    if (options.seed == 9) std::abort();
    SeedResult result;
    result.seed = options.seed;
    result.passed = options.seed != 7;
    if (!result.passed) result.failure = "model mismatch\tat key 'a'";
    result.trace_hash = options.seed * 0x9E3779B97F4A7C15ULL;
    result.operations = 10;
    result.crashes = 1;
    result.faults_by_kind["eio"] = options.seed % 2;
    result.probes_declared = {"probe.a", "probe.b"};
    if (options.seed % 3 == 0) result.probes_hit = {"probe.a"};
    if (options.record_trace) result.trace = {"step 0", "step 1"};
    return result;
  }
};

// Its hash depends on how many times it has run: nondeterministic on purpose.
class FlakyWorkload final : public Workload {
 public:
  std::string_view name() const override { return "flaky"; }
  std::string_view description() const override { return "nondeterministic double"; }
  SeedResult Run(const SeedOptions& options) override {
    ++runs_;
    SeedResult result;
    result.seed = options.seed;
    result.passed = true;
    result.trace_hash = options.seed == 4 ? runs_ : 1;
    if (options.record_trace) {
      result.trace = {"step 0: spawn", options.seed == 4 && runs_ % 2 == 1 ? "step 1: fiber 2"
                                                                          : "step 1: fiber 1"};
    }
    return result;
  }

 private:
  uint64_t runs_ = 0;
};

const bool registered = RegisterWorkload("fake", [] { return std::make_unique<FakeWorkload>(); }) &&
                        RegisterWorkload("flaky", [] { return std::make_unique<FlakyWorkload>(); });

TEST(CampaignTest, ResultLineRoundTrips) {
  ASSERT_TRUE(registered);
  SeedResult result = MakeWorkload("fake")->Run(SeedOptions{.seed = 7});
  SeedResult decoded;
  ASSERT_TRUE(DecodeResult(EncodeResult(result), decoded));
  EXPECT_EQ(decoded.seed, 7u);
  EXPECT_FALSE(decoded.passed);
  EXPECT_EQ(decoded.failure, "model mismatch\tat key 'a'");
  EXPECT_EQ(decoded.trace_hash, result.trace_hash);
  EXPECT_EQ(decoded.faults_by_kind, result.faults_by_kind);
  EXPECT_EQ(decoded.probes_declared, result.probes_declared);
  EXPECT_FALSE(DecodeResult("garbage", decoded));
}

TEST(CampaignTest, ReportsFailedAndCrashedSeedsAndKeepsGoing) {
  for (int jobs : {1, 3}) {
    CampaignOptions options{.workload = "fake", .first_seed = 0, .seed_count = 20, .jobs = jobs};
    const CampaignSummary summary = RunCampaign(options);
    EXPECT_EQ(summary.seeds_run, 20u) << "jobs=" << jobs;
    ASSERT_EQ(summary.failures.size(), 2u);
    EXPECT_EQ(summary.failures[0].seed, 7u);
    EXPECT_EQ(summary.failures[1].seed, 9u);
    EXPECT_NE(summary.failures[1].failure.find("signal"), std::string::npos);
    EXPECT_EQ(summary.operations, 19u * 10u);  // the aborted seed reports nothing
    EXPECT_EQ(summary.probes_declared.size(), 2u);
    EXPECT_EQ(summary.probes_hit.size(), 1u);
  }
}

TEST(CampaignTest, StopAfterFailuresEndsTheCampaignAndTimesTheFirstFailure) {
  // One job runs seeds in order: seed 7 fails first, after 8 seeds. Seed 9
  // would abort the worker (a second failure) had the campaign gone on.
  CampaignOptions options{.workload = "fake", .first_seed = 0, .seed_count = 5000, .jobs = 1};
  options.stop_after_failures = 1;
  const CampaignSummary summary = RunCampaign(options);
  EXPECT_TRUE(summary.stopped_by_failures);
  EXPECT_FALSE(summary.stopped_by_time);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].seed, 7u);
  EXPECT_EQ(summary.first_failure_seed, 7u);
  EXPECT_EQ(summary.seeds_to_first_failure, 8u);
  EXPECT_GE(summary.seconds_to_first_failure, 0.0);
  EXPECT_LE(summary.seconds_to_first_failure, summary.wall_seconds);
  // The seeds already reported when it stopped are counted; no worker was
  // restarted after seed 9 killed it, so the rest never ran.
  EXPECT_GE(summary.seeds_run, 8u);
  EXPECT_LT(summary.seeds_run, 5000u);

  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  ASSERT_NE(out, nullptr);
  PrintSummary(options, summary, out);
  std::fclose(out);
  const std::string printed(text, size);
  std::free(text);
  EXPECT_NE(printed.find("(stopped by --stop_after_failures=1)"), std::string::npos) << printed;
  EXPECT_NE(printed.find("first failure: seed=7 after seeds=8 wall="), std::string::npos)
      << printed;
}

TEST(CampaignTest, StopAfterFailuresWaitsForKFailures) {
  CampaignOptions options{.workload = "fake", .first_seed = 0, .seed_count = 5000, .jobs = 3};
  options.stop_after_failures = 2;
  const CampaignSummary summary = RunCampaign(options);
  EXPECT_TRUE(summary.stopped_by_failures);
  ASSERT_EQ(summary.failures.size(), 2u);
  EXPECT_EQ(summary.failures[0].seed, 7u);
  EXPECT_EQ(summary.failures[1].seed, 9u);
  EXPECT_LT(summary.seeds_run, 5000u);
}

TEST(CampaignTest, DeterminismCheckNamesFirstDivergentStep) {
  DeterminismCheck check(MakeWorkload("flaky"));
  EXPECT_TRUE(check.Run(SeedOptions{.seed = 3}).passed);
  const SeedResult result = check.Run(SeedOptions{.seed = 4});
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.failure.find("first divergence at step 1"), std::string::npos) << result.failure;
  EXPECT_NE(result.failure.find("fiber 2"), std::string::npos) << result.failure;
}

TEST(CampaignTest, ReplayCommandIsRunnable) {
  EXPECT_EQ(ReplayCommand("selftest", 42),
            "./bazelw run //tools:dst -- replay --workload=selftest --seed=42");
}

}  // namespace
}  // namespace kiln::dst
