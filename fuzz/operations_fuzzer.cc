// Target `operations`: the input drives the real engine in the simulator —
// operations by concurrent clients, fault windows, crashes and crashes during
// recovery, scheduling from a decoded seed — checked against the reference
// model (tools/dst/scenario_runner.h). The bytes decode into a scenario
// (fuzz/scenario_decoder.h); any oracle failure prints that scenario as text
// and aborts, so every crash file converts into a replayable .scn file
// (`fuzz_to_scenario`, fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/scenario_decoder.h"
#include "tools/dst/scenario.h"
#include "tools/dst/scenario_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kiln;
  const dst::Scenario scenario =
      fuzz::DecodeScenario(std::string_view(reinterpret_cast<const char*>(data), size));
  const dst::ScenarioResult result = dst::RunScenario(scenario);
  if (result.result.passed) return 0;
  // With the crash choices this run applied, so the file replays it exactly.
  const std::string text =
      dst::ScenarioToText(dst::WithRecordedCrashChoices(scenario, result.crash_choices));
  std::fprintf(stderr, "---- failing scenario (save as FILE.scn; `dst scenario FILE.scn`) ----\n%s",
               text.c_str());
  std::fprintf(stderr, "---- end of scenario ----\n");
  fuzz::FuzzFail("step " + std::to_string(result.failed_step) + ": " + result.result.failure);
}
