// Fills the simulator-derived parts of a SeedResult (trace hash, crashes,
// steps, simulated time, faults by kind, probes, the recorded trace), so
// every workload reports them the same way.
#ifndef KILN_TOOLS_DST_SIM_REPORT_H_
#define KILN_TOOLS_DST_SIM_REPORT_H_

#include "sim/simulator.h"
#include "tools/dst/workload.h"

namespace kiln::dst {

// Sets seed, trace_hash, crashes, steps, simulated_ns, faults_by_kind,
// probes_hit, probes_declared and (with options.record_trace) trace.
void FillFromSimulator(sim::Simulator& sim, const SeedOptions& options, SeedResult& result);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SIM_REPORT_H_
