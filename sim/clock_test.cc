// Simulated time: timers fire in order, time jumps when every fiber is
// blocked, timed waits time out at exactly the right simulated time.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kHourNs = 3600ull * 1'000'000'000ull;

TEST(ClockTest, StartsAtZeroAndTheConfiguredWallTime) {
  Runtime runtime({.seed = 1, .start_wall_ns = 5'000});
  EXPECT_EQ(runtime.clock().MonotonicNs(), 0u);
  EXPECT_EQ(runtime.clock().WallNs(), 5'000u);
  Runtime default_runtime({.seed = 1});
  EXPECT_EQ(default_runtime.clock().WallNs(), kDefaultStartWallNs);
}

TEST(ClockTest, SleepersWakeInTimerOrderAtTheirDeadlines) {
  Runtime runtime({.seed = 11});
  Clock& clock = runtime.clock();
  struct Wake {
    std::string name;
    uint64_t at_ns;
  };
  std::vector<Wake> wakes;
  const std::vector<std::pair<std::string, uint64_t>> sleepers = {
      {"thirty", 30 * kMs}, {"ten", 10 * kMs}, {"twenty", 20 * kMs}, {"ten again", 10 * kMs}};
  for (const auto& [name, duration_ns] : sleepers) {
    runtime.SpawnDetached(name, [&, name = name, duration_ns = duration_ns] {
      clock.SleepNs(duration_ns);
      wakes.push_back({name, clock.MonotonicNs()});
    });
  }
  EXPECT_EQ(runtime.Run().reason, RunReason::kQuiescent);
  ASSERT_EQ(wakes.size(), 4u);
  EXPECT_EQ(wakes[0].at_ns, 10 * kMs);
  EXPECT_EQ(wakes[1].at_ns, 10 * kMs);
  EXPECT_EQ(wakes[2].name, "twenty");
  EXPECT_EQ(wakes[2].at_ns, 20 * kMs);
  EXPECT_EQ(wakes[3].name, "thirty");
  EXPECT_EQ(wakes[3].at_ns, 30 * kMs);
  EXPECT_EQ(runtime.now_ns(), 30 * kMs);
}

TEST(ClockTest, AnHourOfSleepTakesAHandfulOfSteps) {
  Runtime runtime({.seed = 2});
  int naps = 0;
  runtime.SpawnDetached("napper", [&] {
    for (int i = 0; i < 60; ++i) {
      runtime.SleepNs(kHourNs / 60);
      ++naps;
    }
  });
  const RunResult result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_EQ(naps, 60);
  EXPECT_EQ(runtime.now_ns(), kHourNs);
  EXPECT_EQ(runtime.clock().WallNs(), kDefaultStartWallNs + kHourNs);
  EXPECT_EQ(result.steps, 61u) << "one step per wake-up, no busy waiting";
}

TEST(ClockTest, TimeStandsStillWhileFibersRun) {
  Runtime runtime({.seed = 3});
  runtime.RunInFiber("busy", [&] {
    for (int i = 0; i < 100; ++i) runtime.Yield();
    EXPECT_EQ(runtime.now_ns(), 0u);
  });
}

TEST(ClockTest, WaitForNsTimesOutAtTheSimulatedDeadline) {
  Runtime runtime({.seed = 4});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  runtime.RunInFiber("waiter", [&] {
    runtime.SleepNs(3 * kMs);
    MutexLock lock(*mutex);
    EXPECT_FALSE(condvar->WaitForNs(5 * kMs));
    EXPECT_EQ(runtime.now_ns(), 8 * kMs);
    mutex->AssertHeld();
  });
}

TEST(ClockTest, WaitForNsSignalledBeforeTheDeadlineReturnsTrueAtTheSignal) {
  Runtime runtime({.seed = 5});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  bool ready = false;
  bool signalled = false;
  uint64_t woke_at_ns = 0;
  runtime.SpawnDetached("waiter", [&] {
    MutexLock lock(*mutex);
    while (!ready) {
      signalled = condvar->WaitForNs(50 * kMs);
      if (!signalled) break;
    }
    woke_at_ns = runtime.now_ns();
  });
  runtime.SpawnDetached("signaller", [&] {
    runtime.SleepNs(7 * kMs);
    MutexLock lock(*mutex);
    ready = true;
    condvar->Signal();
  });
  EXPECT_EQ(runtime.Run().reason, RunReason::kQuiescent);
  EXPECT_TRUE(signalled);
  EXPECT_EQ(woke_at_ns, 7 * kMs);
  EXPECT_EQ(runtime.now_ns(), 7 * kMs) << "the cancelled timeout must not move time";
}

TEST(ClockTest, RunUntilStopsAtTheLimitAndResumes) {
  Runtime runtime({.seed = 6});
  std::vector<uint64_t> ticks;
  runtime.SpawnDetached("ticker", [&] {
    for (int i = 0; i < 5; ++i) {
      runtime.SleepNs(10 * kMs);
      ticks.push_back(runtime.now_ns());
    }
  });
  RunResult result = runtime.Run({.until_ns = 25 * kMs});
  EXPECT_EQ(result.reason, RunReason::kTimeReached);
  EXPECT_EQ(result.now_ns, 25 * kMs);
  EXPECT_EQ(ticks, (std::vector<uint64_t>{10 * kMs, 20 * kMs}));
  result = runtime.Run({.until_ns = 30 * kMs});  // a timer due exactly at the limit fires
  EXPECT_EQ(result.reason, RunReason::kTimeReached);
  EXPECT_EQ(ticks.size(), 3u);
  result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_EQ(ticks.back(), 50 * kMs);
}

TEST(ClockTest, StepCostLetsASpinningFiberSeeTimePass) {
  Runtime runtime({.seed = 7, .step_cost_ns = 1000});
  bool flag = false;
  runtime.SpawnDetached("sleeper", [&] {
    runtime.SleepNs(kMs);
    flag = true;
  });
  runtime.SpawnDetached("spinner", [&] {
    while (!flag) runtime.Yield();
  });
  const RunResult result = runtime.Run({.max_steps = 100'000});
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_GE(runtime.now_ns(), kMs);
}

TEST(ClockDeathTest, SleepFromTheDriverAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        runtime.clock().SleepNs(10);
      },
      "SleepNs.*called from the driver.*run this code in a fiber");
}

}  // namespace
}  // namespace kiln::sim
