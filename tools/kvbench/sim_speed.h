// kvbench --mode=sim: how fast the simulation runs.
//
//   fiber_switch      ns per raw fiber switch (one direction)
//   scheduling_point  ns per Yield through the Runtime, 2 runnable fibers
//   campaign-<w>      dst workload w run seed after seed on one core for a
//                     fixed wall time: seeds per minute per core, scheduling
//                     steps per second, simulated time / wall time
//   env-sim, env-real Kiln doing fillrandom then readrandom (one task) on the
//                     simulator's Env (MemFileSystem, fibers) and on the real
//                     one; the report gives the sim/real throughput ratio
//
// Each runs in a forked child (child.h), so a failing seed cannot take the
// report down with it.
#ifndef KILN_TOOLS_KVBENCH_SIM_SPEED_H_
#define KILN_TOOLS_KVBENCH_SIM_SPEED_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/kvbench/engine.h"
#include "tools/kvbench/measurement.h"

namespace kiln::kvbench {

struct SimSpeedOptions {
  // Wall time each campaign runs seeds for.
  double campaign_seconds = 20;
  std::vector<std::string> campaign_workloads = {"engine", "selftest"};
  uint64_t first_seed = 1;
  // Keys the env-sim / env-real runs write and then read.
  uint64_t env_num = 200'000;
  size_t value_bytes = 100;
  EngineSettings settings;
  // Where env-real puts its database (a fresh subdirectory is made).
  std::string db_dir;
};

// Runs every measurement; engine "sim" and workload as named above.
std::vector<Measurement> RunSimSpeed(const SimSpeedOptions& options);
void PrintSimSpeed(const std::vector<Measurement>& results, std::FILE* out);
// A JSON array of the measurements, for a report's "simulation" field.
std::string SimSpeedJson(const std::vector<Measurement>& results);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_SIM_SPEED_H_
