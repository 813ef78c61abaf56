#include "sim/coverage.h"

namespace kiln::sim {

void ProbeCoverage::Merge(const ProbeCoverage& other) {
  for (const ProbeSite* site : RegisteredProbeSites()) {
    auto it = other.hits_.find(site);
    if (it != other.hits_.end()) hits_[site] += it->second;
  }
}

std::vector<ProbeCount> ProbeCoverage::Report() const {
  std::vector<ProbeCount> report;
  for (const ProbeSite* site : RegisteredProbeSites()) {
    auto it = hits_.find(site);
    const uint64_t hits = it == hits_.end() ? 0 : it->second;
    // Equal file:line:why entries (one per instantiation) are adjacent: merge.
    if (!report.empty() && report.back().file == site->file && report.back().line == site->line &&
        report.back().why == site->why) {
      report.back().hits += hits;
      continue;
    }
    report.push_back(ProbeCount{.file = site->file, .line = site->line, .why = site->why, .hits = hits});
  }
  return report;
}

std::vector<ProbeCount> ProbeCoverage::NeverHit() const {
  std::vector<ProbeCount> never;
  for (const ProbeCount& count : Report()) {
    if (count.hits == 0) never.push_back(count);
  }
  return never;
}

}  // namespace kiln::sim
