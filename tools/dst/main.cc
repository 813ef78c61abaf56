// dst: the deterministic simulation campaign runner.
//
//   dst run --seeds=N [--from=S] [--jobs=J] [--workload=NAME] [--minutes=M]
//           [--stop_after_failures=K]
//   dst replay --seed=S [--workload=NAME] [--trace]
//   dst check-determinism --seeds=N [--from=S] [--jobs=J] [--workload=NAME]
//   dst generate --seed=S [--out=FILE.scn]
//   dst scenario FILE.scn [--trace]
//   dst shrink --seed=S --out=FILE.scn [--max_runs=N]
//   dst list
//
// Exit codes: 0 every seed passed, 1 some seed failed, 2 usage error.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <initializer_list>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tools/dst/campaign.h"
#include "tools/dst/determinism_check.h"
#include "tools/dst/scenario_commands.h"
#include "tools/dst/workload.h"
#include "util/planted_bugs.h"

namespace kiln::dst {
namespace {

constexpr std::string_view kDefaultWorkload = "engine";
constexpr uint64_t kMaxSeeds = uint64_t{1} << 40;

int Usage(std::string_view problem) {
  if (!problem.empty()) std::fprintf(stderr, "dst: %.*s\n", int(problem.size()), problem.data());
  std::string names;
  for (const std::string& name : WorkloadNames()) names += " " + name;
  std::fprintf(stderr,
               "usage:\n"
               "  dst run --seeds=N [--from=S] [--jobs=J] [--workload=NAME] [--minutes=M]\n"
               "          [--stop_after_failures=K]   (stop once K seeds failed)\n"
               "  dst replay --seed=S [--workload=NAME] [--trace]\n"
               "  dst check-determinism --seeds=N [--from=S] [--jobs=J] [--workload=NAME]\n"
               "  dst generate --seed=S [--out=FILE.scn]\n"
               "  dst scenario FILE.scn [--trace]\n"
               "  dst shrink --seed=S --out=FILE.scn [--max_runs=N]   (engine workload)\n"
               "  dst list\n"
               "workloads:%s (default %.*s)\n",
               names.c_str(), int(kDefaultWorkload.size()), kDefaultWorkload.data());
  return 2;
}

struct Flags {
  std::map<std::string, std::string, std::less<>> values;
  std::string error;

  bool Has(std::string_view name) const { return values.contains(name); }

  // Parses a decimal flag; records an error if malformed or out of range.
  uint64_t Number(std::string_view name, uint64_t fallback, uint64_t max) {
    auto it = values.find(name);
    if (it == values.end()) return fallback;
    const std::string& text = it->second;
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || text[0] == '-' || value > max) {
      error = "--" + std::string(name) + " wants a whole number up to " + std::to_string(max) +
              ", got '" + text + "'";
      return fallback;
    }
    return value;
  }
};

bool ParseFlags(int argc, char** argv, std::initializer_list<std::string_view> allowed,
                Flags& flags) {
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      flags.error = "unexpected argument '" + std::string(arg) + "'";
      return false;
    }
    arg.remove_prefix(2);
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    const std::string value = equals == std::string_view::npos ? "" : std::string(arg.substr(equals + 1));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      flags.error = "unknown flag --" + name;
      return false;
    }
    flags.values[name] = value;
  }
  return true;
}

int RunOrCheck(int argc, char** argv, bool check_determinism) {
  Flags flags;
  if (!ParseFlags(argc, argv,
                  {"seeds", "from", "jobs", "workload", "minutes", "stop_after_failures"}, flags)) {
    return Usage(flags.error);
  }
  if (!flags.Has("seeds")) return Usage("--seeds=N is required");
  CampaignOptions options;
  options.seed_count = flags.Number("seeds", 0, kMaxSeeds);
  options.first_seed = flags.Number("from", 0, kMaxSeeds);
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  options.jobs = static_cast<int>(flags.Number("jobs", cores > 0 ? uint64_t(cores) : 1, kMaxJobs));
  options.minutes = static_cast<double>(flags.Number("minutes", 0, 100000));
  options.stop_after_failures = flags.Number("stop_after_failures", 0, kMaxSeeds);
  options.workload = flags.Has("workload") ? flags.values["workload"] : std::string(kDefaultWorkload);
  if (!flags.error.empty()) return Usage(flags.error);
  if (options.seed_count == 0) return Usage("--seeds must be at least 1");
  if (options.jobs == 0) return Usage("--jobs must be at least 1");
  if (MakeWorkload(options.workload) == nullptr) {
    return Usage("unknown workload '" + options.workload + "'");
  }
  if (check_determinism) {
    const std::string inner = options.workload;
    RegisterWorkload("determinism:" + inner, [inner] {
      return std::make_unique<DeterminismCheck>(MakeWorkload(inner));
    });
    options.workload = "determinism:" + inner;
  }
  options.progress = stderr;
  CampaignSummary summary = RunCampaign(options);
  if (check_determinism) options.workload = options.workload.substr(sizeof("determinism:") - 1);
  PrintSummary(options, summary, stdout);
  return summary.failures.empty() ? 0 : 1;
}

int Replay(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, {"seed", "workload", "trace"}, flags)) return Usage(flags.error);
  if (!flags.Has("seed")) return Usage("--seed=S is required");
  const uint64_t seed = flags.Number("seed", 0, UINT64_MAX);
  if (!flags.error.empty()) return Usage(flags.error);
  const std::string name =
      flags.Has("workload") ? flags.values["workload"] : std::string(kDefaultWorkload);
  std::unique_ptr<Workload> workload = MakeWorkload(name);
  if (workload == nullptr) return Usage("unknown workload '" + name + "'");
  const bool trace = flags.Has("trace");
  const SeedResult result = workload->Run(SeedOptions{.seed = seed, .record_trace = trace});
  for (const std::string& line : result.trace) std::printf("%s\n", line.c_str());
  std::printf("operations=%" PRIu64 " crashes=%" PRIu64 " steps=%" PRIu64 " simulated=%.3fs\n",
              result.operations, result.crashes, result.steps,
              static_cast<double>(result.simulated_ns) / 1e9);
  if (!result.passed) std::printf("failure: %s\n", result.failure.c_str());
  std::printf("seed=%" PRIu64 " trace_hash=%016" PRIx64 " result=%s\n", seed, result.trace_hash,
              result.passed ? "pass" : "fail");
  return result.passed ? 0 : 1;
}

int Generate(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, {"seed", "out", "workload"}, flags)) return Usage(flags.error);
  if (!flags.Has("seed")) return Usage("--seed=S is required");
  const uint64_t seed = flags.Number("seed", 0, UINT64_MAX);
  if (!flags.error.empty()) return Usage(flags.error);
  if (flags.Has("workload") && flags.values["workload"] != "engine") {
    return Usage("scenarios exist for the engine workload only");
  }
  return GenerateCommand(seed, flags.Has("out") ? flags.values["out"] : "");
}

int Shrink(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, {"seed", "out", "workload", "max_runs"}, flags)) {
    return Usage(flags.error);
  }
  if (!flags.Has("seed") || !flags.Has("out")) return Usage("--seed=S and --out=FILE are required");
  const uint64_t seed = flags.Number("seed", 0, UINT64_MAX);
  const uint64_t max_runs = flags.Number("max_runs", 4000, 1'000'000);
  if (!flags.error.empty()) return Usage(flags.error);
  if (flags.Has("workload") && flags.values["workload"] != "engine") {
    return Usage("scenarios exist for the engine workload only");
  }
  return ShrinkCommand(seed, flags.values["out"], max_runs);
}

int Scenario(int argc, char** argv) {
  if (argc < 3 || std::string_view(argv[2]).starts_with("--")) {
    return Usage("dst scenario wants a file");
  }
  bool trace = false;
  for (int i = 3; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--trace") {
      return Usage("unexpected argument '" + std::string(argv[i]) + "'");
    }
    trace = true;
  }
  return ScenarioCommand(argv[2], trace);
}

int Main(int argc, char** argv) {
  // A binary built with --define=kiln_bug=NAME must never pass for a real one.
  if constexpr (ActivePlantedBug() != nullptr) {
    std::fprintf(stderr, "PLANTED BUG ACTIVE: %.*s\n  (%.*s)\n",
                 int(ActivePlantedBug()->name.size()), ActivePlantedBug()->name.data(),
                 int(ActivePlantedBug()->description.size()),
                 ActivePlantedBug()->description.data());
  }
  if (argc < 2) return Usage("");
  const std::string_view command = argv[1];
  if (command == "run") return RunOrCheck(argc, argv, /*check_determinism=*/false);
  if (command == "check-determinism") return RunOrCheck(argc, argv, /*check_determinism=*/true);
  if (command == "replay") return Replay(argc, argv);
  if (command == "generate") return Generate(argc, argv);
  if (command == "shrink") return Shrink(argc, argv);
  if (command == "scenario") return Scenario(argc, argv);
  if (command == "list") {
    for (const std::string& name : WorkloadNames()) {
      std::printf("%-12s %s\n", name.c_str(), std::string(MakeWorkload(name)->description()).c_str());
    }
    return 0;
  }
  if (command == "help" || command == "--help") {
    Usage("");
    return 0;
  }
  return Usage("unknown command '" + std::string(command) + "'");
}

}  // namespace
}  // namespace kiln::dst

int main(int argc, char** argv) { return kiln::dst::Main(argc, argv); }
