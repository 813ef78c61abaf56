#include "tools/dst/sim_report.h"

#include <string>

#include "faultfs/fault_rule.h"

namespace kiln::dst {

void FillFromSimulator(sim::Simulator& sim, const SeedOptions& options, SeedResult& result) {
  result.seed = options.seed;
  result.trace_hash = sim.trace_hash();
  result.crashes = sim.crashes();
  result.steps = sim.runtime().steps();
  result.simulated_ns = sim.runtime().now_ns();
  for (size_t k = 0; k < faultfs::kFaultKindCount; ++k) {
    const auto kind = static_cast<faultfs::FaultKind>(k);
    const uint64_t count = sim.faults().fault_count(kind);
    if (count > 0) result.faults_by_kind[std::string(faultfs::FaultKindName(kind))] = count;
  }
  for (const sim::ProbeCount& probe : sim.runtime().probe_coverage().Report()) {
    std::string name =
        std::string(probe.file) + ":" + std::to_string(probe.line) + " " + std::string(probe.why);
    if (probe.hits > 0) result.probes_hit.push_back(name);
    result.probes_declared.push_back(std::move(name));
  }
  if (options.record_trace) {
    for (const sim::TraceStep& step : sim.runtime().trace().steps()) {
      result.trace.push_back(sim::DescribeStep(step) + " hash=" + sim::HashHex(step.hash_after));
    }
  }
}

}  // namespace kiln::dst
