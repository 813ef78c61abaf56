// Converts an `operations` fuzz input (a corpus entry or a crash file) into
// the scenario text it decodes to, so a fuzzer finding becomes a .scn file
// that `dst scenario` replays and `props/scenarios/` keeps:
//
//   fuzz_to_scenario INPUT [OUTPUT.scn]
//
// Runs the scenario once to pin its crash choices (so the file replays that
// exact run), prints whether it passed, and writes the text to OUTPUT (or
// stdout). Exit 0 if written, 1 if the scenario fails (still written), 2 on
// usage or I/O errors.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/scenario_decoder.h"
#include "tools/dst/scenario.h"
#include "tools/dst/scenario_runner.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s INPUT [OUTPUT.scn]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_to_scenario: cannot read %s\n", argv[1]);
    return 2;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const kiln::dst::Scenario scenario = kiln::fuzz::DecodeScenario(bytes);
  const kiln::dst::ScenarioResult result = kiln::dst::RunScenario(scenario);
  const std::string text =
      "# From fuzz input " + std::string(argv[1]) + " (fuzz_to_scenario)\n" +
      kiln::dst::ScenarioToText(kiln::dst::WithRecordedCrashChoices(scenario, result.crash_choices));
  if (argc == 3) {
    std::ofstream out(argv[2], std::ios::binary);
    out << text;
    if (!out) {
      std::fprintf(stderr, "fuzz_to_scenario: cannot write %s\n", argv[2]);
      return 2;
    }
  } else {
    std::fputs(text.c_str(), stdout);
  }
  if (result.result.passed) {
    std::fprintf(stderr, "fuzz_to_scenario: the scenario passes (%zu steps)\n",
                 scenario.steps.size());
    return 0;
  }
  std::fprintf(stderr, "fuzz_to_scenario: the scenario fails at step %zu: %s\n",
               result.failed_step, result.result.failure.c_str());
  return 1;
}
