#include "tools/dst/shrink.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tools/dst/scenario_runner.h"
#include "util/assert.h"

namespace kiln::dst {
namespace {

// Values longer than this are cut when simplifying.
constexpr size_t kShortValueBytes = 4;
// Passes over the whole scenario; each pass that changes nothing ends it.
constexpr int kMaxPasses = 8;
constexpr size_t kMaxFailureBytes = 4096;

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string ReadAll(int fd) {
  std::string data;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options, IsolatedOutcome original)
      : options_(options), original_(std::move(original)) {}

  // Whether candidate fails the way the original did; counts a run.
  bool StillFails(const Scenario& candidate) {
    if (runs_ >= options_.max_runs) return false;
    if (!ValidateScenario(candidate).ok()) return false;
    ++runs_;
    IsolatedOutcome outcome = options_.run ? options_.run(candidate) : RunScenarioIsolated(candidate);
    const bool fails = !outcome.passed && !outcome.inconclusive && outcome.aborted == original_.aborted;
    if (fails) best_outcome_ = std::move(outcome);
    return fails;
  }

  // Tries edit on a copy of *current; keeps it if it still fails.
  bool Try(Scenario& current, const std::function<bool(Scenario&)>& edit) {
    Scenario candidate = current;
    if (!edit(candidate)) return false;  // the edit changed nothing
    if (!StillFails(candidate)) return false;
    current = std::move(candidate);
    return true;
  }

  void Shrink(Scenario& scenario) {
    best_outcome_ = original_;
    // Nothing after the failing step can matter (the final reopen's
    // failure sits at steps.size(), which keeps everything).
    if (original_.failed_step + 1 < scenario.steps.size()) {
      Try(scenario, [&](Scenario& s) {
        s.steps.resize(original_.failed_step + 1);
        return true;
      });
    }
    for (int pass = 0; pass < kMaxPasses && runs_ < options_.max_runs; ++pass) {
      const size_t before = ScenarioSize(scenario) + scenario.faults.size();
      RemoveStepChunks(scenario);
      RemoveBatchEntries(scenario);
      RemoveFaults(scenario);
      Simplify(scenario);
      Progress(scenario, pass);
      if (ScenarioSize(scenario) + scenario.faults.size() == before) break;
    }
  }

  uint64_t runs() const { return runs_; }
  const IsolatedOutcome& best_outcome() const { return best_outcome_; }

 private:
  void Progress(const Scenario& scenario, int pass) {
    if (options_.progress == nullptr) return;
    std::fprintf(options_.progress, "[shrink] pass %d: %zu steps, %zu faults, %" PRIu64 " runs\n",
                 pass + 1, ScenarioSize(scenario), scenario.faults.size(), runs_);
  }

  // ddmin over the step list: chunks of halving size, last to first (later
  // steps depend on earlier ones less often than the other way round).
  void RemoveStepChunks(Scenario& scenario) {
    for (size_t chunk = std::max<size_t>(1, scenario.steps.size() / 2); chunk >= 1; chunk /= 2) {
      for (size_t end = scenario.steps.size(); end > 0 && runs_ < options_.max_runs;) {
        const size_t begin = end >= chunk ? end - chunk : 0;
        Try(scenario, [&](Scenario& s) {
          s.steps.erase(s.steps.begin() + static_cast<ptrdiff_t>(begin),
                        s.steps.begin() + static_cast<ptrdiff_t>(end));
          return true;
        });
        end = begin;
      }
      if (chunk == 1) break;
    }
  }

  void RemoveBatchEntries(Scenario& scenario) {
    for (size_t i = 0; i < scenario.steps.size(); ++i) {
      if (scenario.steps[i].kind != Step::Kind::kBatch) continue;
      for (size_t e = scenario.steps[i].entries.size(); e > 0 && runs_ < options_.max_runs; --e) {
        if (scenario.steps[i].entries.size() <= 1) break;
        Try(scenario, [&](Scenario& s) {
          auto& entries = s.steps[i].entries;
          entries.erase(entries.begin() + static_cast<ptrdiff_t>(e - 1));
          return true;
        });
      }
    }
  }

  void RemoveFaults(Scenario& scenario) {
    for (size_t f = scenario.faults.size(); f > 0 && runs_ < options_.max_runs; --f) {
      Try(scenario, [&](Scenario& s) {
        const std::string name = s.faults[f - 1].rule.name;
        s.faults.erase(s.faults.begin() + static_cast<ptrdiff_t>(f - 1));
        std::erase_if(s.steps, [&](const Step& step) {
          return (step.kind == Step::Kind::kFaultOn || step.kind == Step::Kind::kFaultOff) &&
                 step.fault == name;
        });
        return true;
      });
    }
  }

  void Simplify(Scenario& scenario) {
    Try(scenario, [](Scenario& s) {
      if (!s.check_every_step) return false;
      s.check_every_step = false;
      return true;
    });
    Try(scenario, [](Scenario& s) {
      bool changed = false;
      for (Step& step : s.steps) {
        if (!step.is_barrier() && step.client != 0) {
          step.client = 0;
          changed = true;
        }
      }
      return changed;
    });
    Try(scenario, [](Scenario& s) {
      bool changed = false;
      for (Step& step : s.steps) {
        for (ScenarioEntry& e : step.entries) {
          if (e.entry.kind == ModelEntry::Kind::kPut && e.entry.value.size() > kShortValueBytes) {
            e.entry.value.resize(kShortValueBytes);
            changed = true;
          }
        }
      }
      return changed;
    });
    Try(scenario, [](Scenario& s) {
      bool changed = false;
      for (Step& step : s.steps) {
        if (step.kind == Step::Kind::kScan && !step.walk.empty()) {
          step.walk.clear();
          changed = true;
        }
        if ((step.kind == Step::Kind::kGet || step.kind == Step::Kind::kScan) && step.via_db) {
          step.via_db = false;
          changed = true;
        }
      }
      return changed;
    });
  }

  const ShrinkOptions& options_;
  const IsolatedOutcome original_;
  IsolatedOutcome best_outcome_;
  uint64_t runs_ = 0;
};

}  // namespace

IsolatedOutcome RunScenarioIsolated(const Scenario& scenario) {
  int fds[2];
  KILN_ASSERT_MSG(pipe(fds) == 0, "shrink: pipe failed");
  std::fflush(nullptr);
  const pid_t child = fork();
  KILN_ASSERT_MSG(child >= 0, "shrink: fork failed");
  if (child == 0) {
    close(fds[0]);
    const ScenarioResult result = RunScenario(scenario);
    std::string failure = result.result.failure.substr(0, kMaxFailureBytes);
    std::replace(failure.begin(), failure.end(), '\n', ' ');
    // Line 1: passed inconclusive failed_step; then one "step choice" line
    // per crash; then the failure text.
    std::string message =
        std::to_string(result.result.passed ? 1 : 0) + " " + std::to_string(result.inconclusive ? 1 : 0) +
        " " + std::to_string(result.failed_step == SIZE_MAX ? -1 : static_cast<int64_t>(result.failed_step)) +
        " " + std::to_string(result.crash_choices.size()) + "\n";
    for (const ScenarioResult::AppliedCrash& crash : result.crash_choices) {
      message += std::to_string(crash.step) + " " + crash.choice + "\n";
    }
    WriteAll(fds[1], message + failure);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  const std::string data = ReadAll(fds[0]);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  IsolatedOutcome outcome;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || data.empty()) {
    outcome.aborted = true;
    outcome.failure = WIFSIGNALED(status)
                          ? "the run died with signal " + std::to_string(WTERMSIG(status))
                          : "the run exited abnormally";
    return outcome;
  }
  int passed = 0;
  int inconclusive = 0;
  long long failed_step = -1;
  size_t crashes = 0;
  std::sscanf(data.c_str(), "%d %d %lld %zu", &passed, &inconclusive, &failed_step, &crashes);
  outcome.passed = passed == 1;
  outcome.inconclusive = inconclusive == 1;
  outcome.failed_step = failed_step < 0 ? SIZE_MAX : static_cast<size_t>(failed_step);
  size_t at = data.find('\n');
  for (size_t i = 0; i < crashes && at != std::string::npos; ++i) {
    const size_t next = data.find('\n', at + 1);
    const std::string line = data.substr(at + 1, next - at - 1);
    const size_t space = line.find(' ');
    if (space != std::string::npos) {
      outcome.crash_choices.push_back(
          {static_cast<size_t>(std::strtoull(line.c_str(), nullptr, 10)), line.substr(space + 1)});
    }
    at = next;
  }
  if (at != std::string::npos) outcome.failure = data.substr(at + 1);
  return outcome;
}

size_t ScenarioSize(const Scenario& scenario) {
  size_t size = 0;
  for (const Step& step : scenario.steps) size += std::max<size_t>(1, step.entries.size());
  return size;
}

ShrinkResult ShrinkScenario(const Scenario& scenario, const ShrinkOptions& options) {
  ShrinkResult result;
  result.original_steps = ScenarioSize(scenario);
  result.scenario = scenario;
  result.outcome = options.run ? options.run(scenario) : RunScenarioIsolated(scenario);
  result.runs = 1;
  result.original_failed = !result.outcome.passed && !result.outcome.inconclusive;
  if (!result.original_failed) return result;
  Shrinker shrinker(options, result.outcome);
  shrinker.Shrink(result.scenario);
  result.runs += shrinker.runs();
  result.outcome = shrinker.best_outcome();
  return result;
}

}  // namespace kiln::dst
