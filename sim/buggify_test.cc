// KILN_BUGGIFY and KILN_PROBE: off without a runtime (production), enabled
// per site per seed, registered statically so unhit probes are known.
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "sim/buggify.h"
#include "sim/coverage.h"
#include "sim/runtime.h"
#include "util/sim_hooks.h"

namespace kiln::sim {
namespace {

bool TheSite() { return KILN_BUGGIFY; }
bool AlwaysWhenEnabled() { return KILN_BUGGIFY_WITH_PROB(1.0); }
bool NeverEvenWhenEnabled() { return KILN_BUGGIFY_WITH_PROB(0.0); }

void ProbedPath(int value) { KILN_PROBE(value > 10, "value above ten"); }
// Never called: its probe is still registered, and reported as never hit.
[[maybe_unused]] void NeverCalled() { KILN_PROBE(true, "a path no test reaches"); }

const BuggifyState::SiteReport* FindSite(const std::vector<BuggifyState::SiteReport>& report,
                                         int evaluations) {
  for (const auto& site : report) {
    if (site.evaluations == static_cast<uint64_t>(evaluations)) return &site;
  }
  return nullptr;
}

TEST(BuggifyTest, OffWithoutARuntime) {
  ASSERT_EQ(CurrentSimHooks(), nullptr);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(TheSite());
    EXPECT_FALSE(AlwaysWhenEnabled());
  }
  ProbedPath(50);  // records nothing, crashes nothing
}

TEST(BuggifyTest, TheRuntimeInstallsItselfAndRestoresThePreviousHooks) {
  EXPECT_EQ(CurrentSimHooks(), nullptr);
  {
    Runtime outer({.seed = 1});
    SimHooks* outer_hooks = CurrentSimHooks();
    EXPECT_NE(outer_hooks, nullptr);
    {
      Runtime inner({.seed = 2});
      EXPECT_NE(CurrentSimHooks(), outer_hooks);
    }
    EXPECT_EQ(CurrentSimHooks(), outer_hooks);
  }
  EXPECT_EQ(CurrentSimHooks(), nullptr);
}

TEST(BuggifyTest, EnableDecisionIsStablePerSeedAndVariesAcrossSeeds) {
  int enabled = 0;
  constexpr int kSeeds = 2000;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const bool decision = BuggifyState::SiteEnabled(seed, "engine/db/flush.cc", 120);
    EXPECT_EQ(decision, BuggifyState::SiteEnabled(seed, "engine/db/flush.cc", 120));
    if (decision) ++enabled;
  }
  EXPECT_GT(enabled, kSeeds * 20 / 100);
  EXPECT_LT(enabled, kSeeds * 30 / 100);
  // Sites are told apart by file and line.
  int differs = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    if (BuggifyState::SiteEnabled(seed, "a.cc", 1) != BuggifyState::SiteEnabled(seed, "a.cc", 2)) {
      ++differs;
    }
    if (BuggifyState::SiteEnabled(seed, "a.cc", 1) != BuggifyState::SiteEnabled(seed, "b.cc", 1)) {
      ++differs;
    }
  }
  EXPECT_GT(differs, 50);
}

TEST(BuggifyTest, AnEnabledSiteFiresAQuarterOfTheTimeADisabledOneNever) {
  constexpr int kEvaluations = 4000;
  int seeds_enabled = 0;
  constexpr int kSeeds = 100;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    Runtime runtime({.seed = seed});
    int fires = 0;
    for (int i = 0; i < kEvaluations; ++i) fires += TheSite() ? 1 : 0;
    const auto report = runtime.buggify().Report();
    const BuggifyState::SiteReport* site = FindSite(report, kEvaluations);
    ASSERT_NE(site, nullptr);
    EXPECT_EQ(site->fires, static_cast<uint64_t>(fires));
    EXPECT_EQ(site->enabled, BuggifyState::SiteEnabled(seed, site->file, site->line));
    if (site->enabled) {
      ++seeds_enabled;
      EXPECT_GT(fires, kEvaluations * 20 / 100) << "seed " << seed;
      EXPECT_LT(fires, kEvaluations * 30 / 100) << "seed " << seed;
    } else {
      EXPECT_EQ(fires, 0) << "seed " << seed;
    }
  }
  EXPECT_GT(seeds_enabled, 10);
  EXPECT_LT(seeds_enabled, 45);
}

TEST(BuggifyTest, SameSeedSameFirings) {
  auto firings = [](uint64_t seed) {
    Runtime runtime({.seed = seed});
    std::string pattern;
    for (int i = 0; i < 200; ++i) pattern += TheSite() ? '1' : '0';
    return std::pair(pattern, runtime.trace_hash());
  };
  for (uint64_t seed = 0; seed < 30; ++seed) EXPECT_EQ(firings(seed), firings(seed));
}

TEST(BuggifyTest, FireProbabilityAppliesOnlyToEnabledSites) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Runtime runtime({.seed = seed});
    const bool always = AlwaysWhenEnabled();
    EXPECT_FALSE(NeverEvenWhenEnabled());
    for (int i = 0; i < 20; ++i) EXPECT_EQ(AlwaysWhenEnabled(), always);
  }
}

TEST(BuggifyTest, TurnedOffForARuntime) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Runtime runtime({.seed = seed, .buggify = false});
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(AlwaysWhenEnabled());
  }
}

const ProbeCount* FindProbe(const std::vector<ProbeCount>& probes, std::string_view why) {
  for (const ProbeCount& probe : probes) {
    if (probe.why == why) return &probe;
  }
  return nullptr;
}

TEST(ProbeTest, ProbesAreRegisteredStaticallyAndCountHits) {
  Runtime runtime({.seed = 3});
  // Before anything ran, both probes of this file are known and unhit.
  std::vector<ProbeCount> never = runtime.probe_coverage().NeverHit();
  EXPECT_NE(FindProbe(never, "value above ten"), nullptr);
  EXPECT_NE(FindProbe(never, "a path no test reaches"), nullptr);

  ProbedPath(5);  // condition false: not a hit
  ProbedPath(11);
  ProbedPath(12);
  const std::vector<ProbeCount> report = runtime.probe_coverage().Report();
  const ProbeCount* hit = FindProbe(report, "value above ten");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->hits, 2u);
  EXPECT_EQ(std::string_view(hit->file), "sim/buggify_test.cc");
  never = runtime.probe_coverage().NeverHit();
  EXPECT_EQ(FindProbe(never, "value above ten"), nullptr);
  EXPECT_NE(FindProbe(never, "a path no test reaches"), nullptr);

  // A campaign merges runs.
  ProbeCoverage campaign;
  campaign.Merge(runtime.probe_coverage());
  campaign.Merge(runtime.probe_coverage());
  EXPECT_EQ(FindProbe(campaign.Report(), "value above ten")->hits, 4u);
}

TEST(ProbeTest, RegistryIsSortedByFileAndLine) {
  const std::vector<const ProbeSite*> sites = RegisteredProbeSites();
  ASSERT_GE(sites.size(), 2u);
  for (size_t i = 1; i < sites.size(); ++i) {
    const std::string_view previous = sites[i - 1]->file;
    const std::string_view current = sites[i]->file;
    EXPECT_TRUE(previous < current || (previous == current && sites[i - 1]->line <= sites[i]->line));
  }
  EXPECT_GE(RegisteredBuggifySites().size(), 3u);
}

}  // namespace
}  // namespace kiln::sim
