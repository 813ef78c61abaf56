#include "tools/dst/scenario_commands.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "tools/dst/scenario.h"
#include "tools/dst/scenario_generator.h"
#include "tools/dst/scenario_runner.h"
#include "tools/dst/shrink.h"

namespace kiln::dst {
namespace {

constexpr size_t kMaxScenarioFileBytes = size_t{256} << 20;

bool WriteFile(const std::string& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  return std::fclose(file) == 0 && ok;
}

bool ReadFile(const std::string& path, std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
    if (text.size() > kMaxScenarioFileBytes) break;
  }
  const bool ok = !std::ferror(file) && text.size() <= kMaxScenarioFileBytes;
  std::fclose(file);
  return ok;
}

}  // namespace

int GenerateCommand(uint64_t seed, const std::string& out_path) {
  const std::string text = "# dst generate --seed=" + std::to_string(seed) + "\n" +
                           ScenarioToText(GenerateScenario(seed));
  if (out_path.empty()) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (!WriteFile(out_path, text)) {
    std::fprintf(stderr, "dst: cannot write %s\n", out_path.c_str());
    return 2;
  }
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}

int ScenarioCommand(const std::string& path, bool trace) {
  std::string text;
  if (!ReadFile(path, text)) {
    std::fprintf(stderr, "dst: cannot read %s\n", path.c_str());
    return 2;
  }
  absl::StatusOr<Scenario> scenario = ParseScenario(text);
  if (!scenario.ok()) {
    std::fprintf(stderr, "dst: %s: %s\n", path.c_str(),
                 std::string(scenario.status().message().data(), scenario.status().message().size())
                     .c_str());
    return 2;
  }
  const ScenarioResult outcome = RunScenario(*scenario, {.record_trace = trace});
  for (const std::string& line : outcome.result.trace) std::printf("%s\n", line.c_str());
  std::printf("steps=%zu operations=%" PRIu64 " crashes=%" PRIu64 " reads_checked=%" PRIu64
              " recoveries_checked=%" PRIu64 "\n",
              scenario->steps.size(), outcome.result.operations, outcome.result.crashes,
              outcome.counters.reads_checked, outcome.counters.recoveries_checked);
  if (!outcome.note.empty()) std::printf("note: %s\n", outcome.note.c_str());
  if (!outcome.result.passed) std::printf("failure: %s\n", outcome.result.failure.c_str());
  std::printf("scenario=%s trace_hash=%016" PRIx64 " result=%s\n", path.c_str(),
              outcome.result.trace_hash, outcome.result.passed ? "pass" : "fail");
  return outcome.result.passed ? 0 : 1;
}

int ShrinkCommand(uint64_t seed, const std::string& out_path, uint64_t max_runs) {
  const Scenario generated = GenerateScenario(seed);
  ShrinkResult shrunk = ShrinkScenario(generated, {.max_runs = max_runs, .progress = stderr});
  if (!shrunk.original_failed) {
    std::printf("seed %" PRIu64 " passes: nothing to shrink\n", seed);
    return 1;
  }
  // Pin the crash choices the minimal run made, if they reproduce it.
  Scenario pinned = WithRecordedCrashChoices(shrunk.scenario, shrunk.outcome.crash_choices);
  const IsolatedOutcome pinned_outcome = RunScenarioIsolated(pinned);
  const bool pin = !pinned_outcome.passed && !pinned_outcome.inconclusive;
  const Scenario& written = pin ? pinned : shrunk.scenario;
  const IsolatedOutcome& outcome = pin ? pinned_outcome : shrunk.outcome;
  std::string text = "# Shrunk from `dst shrink --seed=" + std::to_string(seed) + "` (" +
                     std::to_string(shrunk.original_steps) + " steps, " +
                     std::to_string(shrunk.runs) + " runs).\n# Failure: " + outcome.failure +
                     "\n" + ScenarioToText(written);
  if (!WriteFile(out_path, text)) {
    std::fprintf(stderr, "dst: cannot write %s\n", out_path.c_str());
    return 2;
  }
  std::printf("failure: %s\n", outcome.failure.c_str());
  std::printf("replay: ./bazelw run //tools:dst -- scenario %s\n", out_path.c_str());
  std::printf("shrunk seed=%" PRIu64 " steps=%zu file=%s\n", seed, ScenarioSize(written),
              out_path.c_str());
  return 0;
}

}  // namespace kiln::dst
