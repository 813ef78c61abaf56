#include "sim/buggify.h"

#include "util/assert.h"

namespace kiln::sim {

BuggifyState::BuggifyState(uint64_t seed, bool enabled)
    : seed_(seed), enabled_(enabled), fire_random_(MixSeed(seed, StableHash64("buggify"))) {}

bool BuggifyState::SiteEnabled(uint64_t seed, std::string_view file, int line) {
  const uint64_t site_key = MixSeed(StableHash64(file), static_cast<uint64_t>(line));
  Random decision(MixSeed(MixSeed(seed, StableHash64("buggify-enable")), site_key));
  return decision.Chance(kBuggifySiteEnableProbability);
}

bool BuggifyState::Evaluate(const BuggifySite& site, double fire_probability) {
  KILN_ASSERT(fire_probability >= 0.0 && fire_probability <= 1.0);
  if (!enabled_) return false;
  auto [it, inserted] = sites_.try_emplace(&site);
  SiteState& state = it->second;
  if (inserted) state.enabled = SiteEnabled(seed_, site.file, site.line);
  ++state.evaluations;
  if (!state.enabled) return false;
  const bool fires = fire_random_.Chance(fire_probability);
  if (fires) ++state.fires;
  return fires;
}

std::vector<BuggifyState::SiteReport> BuggifyState::Report() const {
  std::vector<SiteReport> report;
  for (const BuggifySite* site : RegisteredBuggifySites()) {
    auto it = sites_.find(site);
    if (it == sites_.end()) continue;
    const SiteState& state = it->second;
    // Equal file:line entries (one per instantiation) are adjacent: merge.
    if (!report.empty() && report.back().file == site->file && report.back().line == site->line) {
      report.back().evaluations += state.evaluations;
      report.back().fires += state.fires;
      continue;
    }
    report.push_back(SiteReport{.file = site->file,
                                .line = site->line,
                                .enabled = state.enabled,
                                .evaluations = state.evaluations,
                                .fires = state.fires});
  }
  return report;
}

}  // namespace kiln::sim
