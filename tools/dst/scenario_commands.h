// The scenario commands of the dst tool (main.cc parses their flags):
//   dst generate --seed=S [--out=FILE.scn]   the engine workload's scenario for a seed
//   dst scenario FILE.scn [--trace]          replays a scenario file
//   dst shrink --seed=S --out=FILE.scn       shrinks a failing seed to a scenario file
// Each returns the process exit code: 0 pass (or written), 1 failure, 2 usage.
#ifndef KILN_TOOLS_DST_SCENARIO_COMMANDS_H_
#define KILN_TOOLS_DST_SCENARIO_COMMANDS_H_

#include <cstdint>
#include <string>

namespace kiln::dst {

int GenerateCommand(uint64_t seed, const std::string& out_path);
int ScenarioCommand(const std::string& path, bool trace);
int ShrinkCommand(uint64_t seed, const std::string& out_path, uint64_t max_runs);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCENARIO_COMMANDS_H_
