// Runs a campaign of seeds in parallel worker processes. Seeds are
// independent; each worker owns a stripe of them, runs them in-process and
// streams one result line per seed to the parent over a pipe. A worker that
// dies mid-seed (an assertion, a sanitizer report) turns that seed into a
// failure and a fresh worker carries on with the rest of the stripe.
#ifndef KILN_TOOLS_DST_CAMPAIGN_H_
#define KILN_TOOLS_DST_CAMPAIGN_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/dst/workload.h"

namespace kiln::dst {

// Bound on worker processes, whatever --jobs asks for.
inline constexpr int kMaxJobs = 256;

struct CampaignOptions {
  std::string workload;
  uint64_t first_seed = 0;
  uint64_t seed_count = 0;
  int jobs = 1;
  // Stop starting new seeds after this much wall time; 0 = no limit.
  double minutes = 0;
  // Stop (ending the seeds in flight unreported) once this many seeds have
  // failed; 0 = run every seed. tools/bugcheck uses 1 to time the first failure.
  uint64_t stop_after_failures = 0;
  // Where the live progress line goes (stderr); nullptr = none.
  std::FILE* progress = nullptr;
};

struct CampaignSummary {
  uint64_t seeds_run = 0;
  uint64_t operations = 0;
  uint64_t crashes = 0;
  uint64_t steps = 0;
  uint64_t simulated_ns = 0;
  double wall_seconds = 0;
  bool stopped_by_time = false;
  bool stopped_by_failures = false;
  // The first failure to arrive (not the lowest seed): its seed, the seeds
  // finished by then (it included) and the wall seconds since the start.
  // Meaningful only when failures is non-empty.
  uint64_t first_failure_seed = 0;
  uint64_t seeds_to_first_failure = 0;
  double seconds_to_first_failure = 0;
  std::map<std::string, uint64_t> faults_by_kind;
  std::set<std::string> probes_declared;
  std::set<std::string> probes_hit;
  // Failed seeds, ordered by seed.
  std::vector<SeedResult> failures;
};

CampaignSummary RunCampaign(const CampaignOptions& options);

// The closing summary as printed by `dst run`.
void PrintSummary(const CampaignOptions& options, const CampaignSummary& summary, std::FILE* out);

// The one command that replays a seed exactly.
std::string ReplayCommand(std::string_view workload, uint64_t seed);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_CAMPAIGN_H_
