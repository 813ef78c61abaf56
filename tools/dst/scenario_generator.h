// Draws a scenario from a seed: the engine workload's swarm of options, fault
// mixes and client operations, written out as explicit steps so a failing
// seed can be shrunk and saved as a scenario file.
//
// Per seed: engine options (memtable budget, block size, bloom bits,
// compression, prefix length, L0 triggers, file sizes, background tasks or
// manual maintenance, durability floor), a crash policy, and a fault mix in
// which each fault kind is on or off entirely (swarm testing), some rules
// starting switched off and toggled by fault windows. Then two or three
// incarnations: phases of 1-4 concurrent clients doing random operations on
// two buckets over a small key space, a check after each phase, a crash at
// the end (sometimes mid-phase, sometimes followed by a crash during the
// next open).
#ifndef KILN_TOOLS_DST_SCENARIO_GENERATOR_H_
#define KILN_TOOLS_DST_SCENARIO_GENERATOR_H_

#include <cstdint>

#include "tools/dst/scenario.h"

namespace kiln::dst {

Scenario GenerateScenario(uint64_t seed);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCENARIO_GENERATOR_H_
