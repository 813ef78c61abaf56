// The results: a table per workload (medians over the repeats, each engine's
// ratio to the best of its peers), the DESIGN.md targets for Kiln, and JSON.
#ifndef KILN_TOOLS_KVBENCH_REPORT_H_
#define KILN_TOOLS_KVBENCH_REPORT_H_

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/kvbench/measurement.h"
#include "tools/kvbench/workload.h"

namespace kiln::kvbench {

struct ReportInput {
  WorkloadConfig config;
  int repeat = 1;
  std::vector<std::string> workloads;  // in run order
  std::vector<std::string> engines;
  // (workload, engine) -> one Measurement per repeat.
  std::map<std::pair<std::string, std::string>, std::vector<Measurement>> runs;
  // Free-form lines for the header (machine, settings).
  std::vector<std::string> notes;
  // A JSON array (SimSpeedJson) for the "simulation" field; empty: none.
  std::string simulation_json;
};

// The median Measurement of (workload, engine); nullopt if it never ran.
std::optional<Measurement> MedianFor(const ReportInput& input, const std::string& workload,
                                     const std::string& engine);
// ops/s of engine over the best ops/s of the other engines in the run, both
// medians; nullopt without a peer or a result.
std::optional<double> RatioToBestPeer(const ReportInput& input, const std::string& workload,
                                      const std::string& engine);

void PrintTables(const ReportInput& input, std::FILE* out);
// Each DESIGN.md performance target and where Kiln stands (needs kiln and a peer).
void PrintTargets(const ReportInput& input, std::FILE* out);
std::string ToJson(const ReportInput& input);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_REPORT_H_
