// Decodes fuzz bytes into a valid scenario (tools/dst/scenario.h) for the
// `operations` target and `fuzz_to_scenario`: engine options, a crash
// policy, a few fault rules, then up to kMaxFuzzScenarioSteps steps by up to
// three clients on two buckets over 36 keys — writes, batches, gets, scans,
// snapshots, flush, compaction, persist, maintenance, sleeps, fault windows,
// checks, crashes (mid-segment, or right after a directory operation) and
// crashes during the next open.
// Interleavings, buggify and fault rolls come from the decoded seed.
//
// Every byte string decodes to a scenario ValidateScenario accepts; the
// layout is positional (fuzz/fuzz_input.h), so libFuzzer's mutations map to
// small changes of the scenario.
#ifndef KILN_FUZZ_SCENARIO_DECODER_H_
#define KILN_FUZZ_SCENARIO_DECODER_H_

#include <cstddef>
#include <string_view>

#include "tools/dst/scenario.h"

namespace kiln::fuzz {

inline constexpr size_t kMaxFuzzScenarioSteps = 48;

dst::Scenario DecodeScenario(std::string_view bytes);

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_SCENARIO_DECODER_H_
