#include "testing/test_env.h"

#include <cstdlib>

#include "sim/simulator.h"

namespace kiln::testing {
namespace {

// Creates every missing directory along path (real filesystem).
void CreateDirs(FileSystem& fs, const std::string& path) {
  for (size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    absl::Status status = fs.CreateDir(prefix);
    ASSERT_TRUE(status.ok() || absl::IsAlreadyExists(status)) << prefix << ": " << status;
    if (slash == std::string::npos) return;
  }
}

}  // namespace

std::vector<TestEnvParam> AllTestEnvs() {
  return {{.simulated = false}, {.simulated = true, .seed = 1}, {.simulated = true, .seed = 2},
          {.simulated = true, .seed = 3}};
}

std::string TestEnvName(const ::testing::TestParamInfo<TestEnvParam>& info) {
  return info.param.simulated ? "Sim" + std::to_string(info.param.seed) : "Posix";
}

EnvTest::EnvTest() {
  if (GetParam().simulated) {
    simulator_ = std::make_unique<sim::Simulator>(sim::SimulatorOptions{.seed = GetParam().seed});
    env_ = simulator_->env();
    dir_ = "/test";
    RunInEnv([&] { ASSERT_TRUE(env_.file_system->CreateDir(dir_).ok()); });
    return;
  }
  env_ = RealEnv();
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/kiln_env_test/" + name;
  CreateDirs(*env_.file_system, dir_);
  // Start empty even if an earlier run left files behind.
  absl::StatusOr<std::vector<std::string>> names = env_.file_system->ListDir(dir_);
  if (names.ok()) {
    for (const std::string& leftover : *names) (void)env_.file_system->RemoveFile(Path(leftover));
  }
}

EnvTest::~EnvTest() = default;

void EnvTest::RunInEnv(std::function<void()> body) {
  if (simulator_ == nullptr) {
    body();
    return;
  }
  simulator_->RunInFiber("test", std::move(body));
  // Background fibers the body started must be finished by now too.
  const sim::RunResult rest = simulator_->Run();
  ASSERT_EQ(rest.reason, sim::RunReason::kQuiescent) << rest.report;
}

}  // namespace kiln::testing
