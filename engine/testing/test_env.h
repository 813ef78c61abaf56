// Runs an engine test under every Env: the real one (POSIX files on a fresh
// directory under $TEST_TMPDIR, OS threads) and the simulated one (fibers,
// an in-memory crash-simulating disk) with several seeds. Use it as a
// value-parameterised gtest fixture:
//
//   class WalTest : public kiln::testing::EnvTest {};
//   TEST_P(WalTest, RoundTrip) {
//     RunInEnv([&] {                      // in a fiber under simulation
//       auto file = env().file_system->OpenFile(Path("000001.log"), ...);
//       ...
//     });
//   }
//   KILN_INSTANTIATE_ENV_TEST(WalTest);
//
// Test bodies that block (locks, sleeps, file I/O under simulation) must run
// inside RunInEnv. gtest ASSERT_* inside the body return from the lambda only.
#ifndef KILN_TESTING_TEST_ENV_H_
#define KILN_TESTING_TEST_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/env.h"

namespace kiln::sim {
class Simulator;
}

namespace kiln::testing {

struct TestEnvParam {
  bool simulated = false;
  uint64_t seed = 0;
};

// The real Env, then the simulator with seeds 1, 2 and 3.
std::vector<TestEnvParam> AllTestEnvs();
std::string TestEnvName(const ::testing::TestParamInfo<TestEnvParam>& info);

class EnvTest : public ::testing::TestWithParam<TestEnvParam> {
 public:
  EnvTest();
  ~EnvTest() override;

  const Env& env() const { return env_; }
  bool simulated() const { return GetParam().simulated; }
  // Null under the real Env.
  sim::Simulator* simulator() { return simulator_.get(); }
  // A fresh, existing, empty directory for this test.
  const std::string& dir() const { return dir_; }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }
  // Runs body to completion: directly under the real Env, in a fiber under
  // simulation (failing the test if the simulation deadlocks).
  void RunInEnv(std::function<void()> body);

 private:
  std::unique_ptr<sim::Simulator> simulator_;
  Env env_;
  std::string dir_;
};

}  // namespace kiln::testing

#define KILN_INSTANTIATE_ENV_TEST(fixture)                                               \
  INSTANTIATE_TEST_SUITE_P(AllEnvs, fixture,                                             \
                           ::testing::ValuesIn(::kiln::testing::AllTestEnvs()),          \
                           ::kiln::testing::TestEnvName)

#endif  // KILN_TESTING_TEST_ENV_H_
