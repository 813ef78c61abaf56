// Replays every props/scenarios/*.scn: each must parse and pass against the
// real engine. Scenarios are examples of what each property covers and the
// minimal cases of bugs the suites found (a "# BUG:" header says which).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "props/property_support.h"
#include "tools/dst/scenario.h"
#include "tools/dst/scenario_runner.h"

namespace kiln::props {
namespace {

constexpr size_t kMaxScenarioFiles = 10'000;

std::filesystem::path ScenarioDirectory() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return "props/scenarios";
  return std::filesystem::path(srcdir) / workspace / "props" / "scenarios";
}

std::vector<std::filesystem::path> ScenarioFiles() {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(ScenarioDirectory(), error)) {
    if (entry.path().extension() == ".scn") files.push_back(entry.path());
    if (files.size() >= kMaxScenarioFiles) break;
  }
  std::sort(files.begin(), files.end());  // a stable order for the log
  return files;
}

TEST(ScenarioReplay, EveryCommittedScenarioPasses) {
  const std::vector<std::filesystem::path> files = ScenarioFiles();
  ASSERT_FALSE(files.empty()) << "no scenarios in " << ScenarioDirectory();
  for (const std::filesystem::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const absl::StatusOr<dst::Scenario> scenario = dst::ParseScenario(text.str());
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    const dst::ScenarioResult outcome = dst::RunScenario(*scenario);
    std::string where;
    if (outcome.failed_step < scenario->steps.size()) {
      where = " at step " + std::to_string(outcome.failed_step) + " (" +
              StepText(scenario->steps[outcome.failed_step]) + ")";
    }
    EXPECT_TRUE(outcome.result.passed) << outcome.result.failure << where;
    std::cout << file.filename().string() << ": " << scenario->steps.size() << " steps, "
              << (outcome.result.passed ? "pass" : "FAIL") << ", reads checked "
              << outcome.counters.reads_checked << ", recoveries "
              << outcome.counters.recoveries_checked
              << (outcome.note.empty() ? "" : ", note: " + outcome.note) << "\n";
  }
  std::cout << "replayed " << files.size() << " scenarios from " << ScenarioDirectory().string()
            << std::endl;
}

}  // namespace
}  // namespace kiln::props
