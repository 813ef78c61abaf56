#include "props/property_support.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "kiln/random.h"
#include "rapidcheck/detail/Configuration.h"
#include "rapidcheck/detail/TestListener.h"

namespace kiln::props {
namespace {

constexpr size_t kMinExampleSteps = 8;
constexpr size_t kMaxRank = SIZE_MAX;

struct CaseRecord {
  dst::Scenario scenario;
  dst::ScenarioResult outcome;
};

// What the running property has seen so far.
struct PropertyState {
  uint64_t cases = 0;
  uint64_t exercised = 0;
  std::optional<CaseRecord> current;  // the case running now
  // The last failing case: RapidCheck moves to every failing shrink it
  // finds, so when it stops this is the minimal one.
  std::optional<CaseRecord> last_failure;
  std::string last_failure_message;   // what the failing case's assertion said
  std::optional<CaseRecord> example;  // for KILN_PROPS_EXAMPLE_DIR
};

PropertyState& State() {
  static PropertyState* const state = new PropertyState();
  return *state;
}

// RapidCheck reports through its result; progress printing is not wanted.
class QuietListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string CommentLines(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) out += "# " + line + "\n";
  return out;
}

std::string DescribeFailure(const dst::Scenario& scenario, const dst::ScenarioResult& outcome) {
  std::string where;
  if (outcome.failed_step < scenario.steps.size()) {
    where = "step " + std::to_string(outcome.failed_step) + " (" +
            StepText(scenario.steps[outcome.failed_step]) + ")";
  } else if (outcome.failed_step == scenario.steps.size()) {
    where = "the final reopen";
  } else {
    where = "an unnamed step";
  }
  return "scenario failed at " + where + ": " + outcome.result.failure;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// Replays the written text from scratch: parse, run. "" if it fails again
// the same way, else what differed.
std::string ConfirmReplay(const std::string& text, const dst::ScenarioResult& expected) {
  absl::StatusOr<dst::Scenario> parsed = dst::ParseScenario(text);
  if (!parsed.ok()) {
    return "the written scenario does not parse: " +
           std::string(parsed.status().message().data(), parsed.status().message().size());
  }
  const dst::ScenarioResult again = dst::RunScenario(*parsed);
  if (again.result.passed) return "the written scenario PASSES on replay (not reproducible)";
  if (again.failed_step != expected.failed_step) {
    return "on replay it fails at step " + std::to_string(again.failed_step) +
           " instead: " + again.result.failure;
  }
  return "";
}

// Under `bazel test` the outputs directory is a sandbox that Bazel zips into
// bazel-testlogs/<package>/<target>/test.outputs/outputs.zip afterwards.
std::string ReplayCommand(const std::string& directory, const std::string& test) {
  const std::string file = test + ".scn";
  const size_t testlogs = directory.find("/testlogs/");
  if (testlogs == std::string::npos) {
    return "./bazelw run //tools:dst -- scenario " + directory + "/" + file;
  }
  const std::string zip =
      "bazel-testlogs/" + directory.substr(testlogs + std::strlen("/testlogs/")) + "/outputs.zip";
  return "unzip -o -d /tmp " + zip + " " + file + " && ./bazelw run //tools:dst -- scenario /tmp/" +
         file;
}

void ReportFailure(const std::string& test, uint64_t seed, const std::string& rapidcheck_message) {
  const PropertyState& state = State();
  std::ostringstream message;
  message << test << " failed (RapidCheck seed " << seed << ")\n";
  if (!state.last_failure.has_value()) {
    message << rapidcheck_message;
    ADD_FAILURE() << message.str();
    return;
  }
  const CaseRecord& record = *state.last_failure;
  const dst::Scenario minimal =
      dst::WithRecordedCrashChoices(record.scenario, record.outcome.crash_choices);
  std::string directory = Env("TEST_UNDECLARED_OUTPUTS_DIR");
  if (directory.empty()) directory = "/tmp";
  const std::string path = directory + "/" + test + ".scn";
  const std::string failure =
      record.outcome.result.passed
          ? "the run passed, then the property failed: " + state.last_failure_message
          : DescribeFailure(record.scenario, record.outcome);
  const std::string body = dst::ScenarioToText(minimal);
  const std::string text = "# Shrunk by RapidCheck from property " + test + " (seed " +
                           std::to_string(seed) + ").\n" + CommentLines(failure) +
                           "# Replay: " + ReplayCommand(directory, test) + "\n" + body;
  const bool written = WriteFile(path, text);
  const std::string replay =
      record.outcome.result.passed ? std::string() : ConfirmReplay(text, record.outcome);

  message << failure << "\n";
  message << "Minimal scenario (" << minimal.steps.size() << " steps)"
          << (written ? " written to " + path : " NOT written (cannot write " + path + ")") << "\n";
  message << (replay.empty() ? "Replayed from its text: fails again the same way.\n"
                             : "WARNING: " + replay + "\n");
  message << "Replay it:  " << ReplayCommand(directory, test) << "\n";
  message << "Rerun the property:  --test_filter=" << test
          << " --test_env=RC_PARAMS=\"seed=" << seed << "\"\n";
  // RapidCheck's own message repeats the counterexample; its first line says
  // how many cases and shrinks it took.
  message << "----\n"
          << text
          << "----\nRapidCheck: " << rapidcheck_message.substr(0, rapidcheck_message.find('\n'));
  ADD_FAILURE() << message.str();
}

void WriteExample(const std::string& test) {
  const std::string directory = Env("KILN_PROPS_EXAMPLE_DIR");
  const PropertyState& state = State();
  if (directory.empty() || !state.example.has_value()) return;
  const CaseRecord& record = *state.example;
  const dst::Scenario example =
      dst::WithRecordedCrashChoices(record.scenario, record.outcome.crash_choices);
  const std::string path = directory + "/" + test + ".scn";
  if (WriteFile(path, "# Generated by property " + test + ".\n" + dst::ScenarioToText(example))) {
    std::cout << "example written to " << path << "\n";
  }
}

}  // namespace

std::string StepText(const dst::Step& step) {
  dst::Scenario one;
  one.steps.push_back(step);
  const std::string text = dst::ScenarioToText(one);
  // The step's lines follow the "check_every_step" line; keep the first.
  const size_t marker = text.find("\ncheck_every_step ");
  const size_t start = text.find('\n', marker + 1) + 1;
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

dst::ScenarioResult RunScenarioCase(const dst::Scenario& scenario) {
  PropertyState& state = State();
  ++state.cases;
  dst::ScenarioResult outcome = dst::RunScenario(scenario);
  state.current = CaseRecord{scenario, outcome};
  if (!outcome.result.passed) RC_FAIL(DescribeFailure(scenario, outcome));
  if (outcome.inconclusive) RC_TAG("inconclusive");
  return outcome;
}

void RequireExercised(bool exercised, const std::string& tag) {
  PropertyState& state = State();
  if (!exercised) RC_DISCARD("the case exercised nothing this property checks");
  ++state.exercised;
  RC_TAG(tag);
  // The example kept: the smallest exercised case with some substance that
  // ran to its end.
  auto rank = [](const CaseRecord& record) {
    const size_t steps = record.scenario.steps.size();
    const size_t by_size = steps >= kMinExampleSteps ? steps : kMaxRank / 2 - steps;
    return record.outcome.inconclusive ? kMaxRank / 2 + by_size / 2 : by_size / 2;
  };
  if (state.current.has_value() &&
      (!state.example.has_value() || rank(*state.current) < rank(*state.example))) {
    state.example = state.current;
  }
}

void CheckScenarioProperty(const PropertyConfig& config, const std::function<void()>& property) {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  const std::string test = std::string(info->test_suite_name()) + "." + info->name();
  State() = PropertyState();

  rc::detail::TestParams params = rc::detail::configuration().testParams;
  const std::string rc_params = Env("RC_PARAMS");
  // Deterministic unless asked otherwise: the same cases on every run.
  if (rc_params.find("seed=") == std::string::npos) params.seed = StableHash64(test);
  if (rc_params.find("max_success=") == std::string::npos) params.maxSuccess = config.max_success;

  // RapidCheck ends a case by throwing its CaseResult; the wrapper only
  // notes which scenario a failing case ran, then lets it continue.
  const std::function<void()> wrapped = [&property] {
    State().current.reset();
    try {
      property();
    } catch (const rc::detail::CaseResult& result) {
      if (result.type == rc::detail::CaseResult::Type::Failure) {
        State().last_failure = State().current;
        State().last_failure_message = result.description;
      }
      throw;
    }
  };
  QuietListener listener;
  const rc::detail::TestResult result = rc::detail::checkProperty(
      rc::detail::toProperty(wrapped), rc::detail::TestMetadata{test, info->name()}, params,
      listener, rc::detail::configuration().reproduce);

  std::ostringstream summary;
  rc::detail::printResultMessage(result, summary);
  const PropertyState& state = State();
  if (result.is<rc::detail::SuccessResult>()) {
    std::cout << test << " (seed " << params.seed << "): " << summary.str() << "\n";
    if (state.cases > 0) {
      std::cout << state.exercised << " of " << state.cases
                << " scenarios run exercised the property\n";
    }
    std::cout << std::flush;
    EXPECT_GE(static_cast<double>(state.exercised),
              config.min_exercised_fraction * static_cast<double>(state.cases))
        << "only " << state.exercised << " of " << state.cases << " generated scenarios exercised "
        << test << "; its generator has drifted";
    WriteExample(test);
  } else if (result.is<rc::detail::FailureResult>()) {
    ReportFailure(test, params.seed, summary.str());
  } else {
    ADD_FAILURE() << test << ": " << summary.str() << " (" << state.exercised << " of "
                  << state.cases << " cases exercised it)";
  }
}

}  // namespace kiln::props
