// The seeded scheduler: fibers interleave, the order is a function of the
// seed, and Spawn/Yield work from fibers and from the driver.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

struct Schedule {
  std::vector<int> order;  // fiber index at each of its steps
  uint64_t trace_hash = 0;
};

// kFibers fibers each record their index kRounds times, yielding in between.
Schedule Interleave(uint64_t seed) {
  constexpr int kFibers = 8;
  constexpr int kRounds = 20;
  Runtime runtime({.seed = seed});
  Schedule schedule;
  for (int i = 0; i < kFibers; ++i) {
    runtime.SpawnDetached("worker " + std::to_string(i), [&runtime, &schedule, i] {
      for (int round = 0; round < kRounds; ++round) {
        schedule.order.push_back(i);
        runtime.Yield();
      }
    });
  }
  const RunResult result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_EQ(schedule.order.size(), static_cast<size_t>(kFibers * kRounds));
  schedule.trace_hash = runtime.trace_hash();
  return schedule;
}

TEST(SchedulingTest, FibersInterleave) {
  const Schedule schedule = Interleave(1);
  // Not one fiber after the other: some fiber's steps are split by others'.
  int switches = 0;
  for (size_t i = 1; i < schedule.order.size(); ++i) {
    if (schedule.order[i] != schedule.order[i - 1]) ++switches;
  }
  EXPECT_GT(switches, 40);
  std::vector<int> per_fiber(8, 0);
  for (int fiber : schedule.order) ++per_fiber[static_cast<size_t>(fiber)];
  for (int count : per_fiber) EXPECT_EQ(count, 20);
}

TEST(SchedulingTest, SameSeedSameOrderAndHash) {
  for (uint64_t seed : {0ull, 7ull, 123456789ull}) {
    const Schedule first = Interleave(seed);
    const Schedule second = Interleave(seed);
    EXPECT_EQ(first.order, second.order) << "seed " << seed;
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
  }
}

TEST(SchedulingTest, DifferentSeedsDifferentOrders) {
  std::set<std::vector<int>> orders;
  std::set<uint64_t> hashes;
  constexpr int kSeeds = 20;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const Schedule schedule = Interleave(seed);
    orders.insert(schedule.order);
    hashes.insert(schedule.trace_hash);
  }
  EXPECT_EQ(orders.size(), static_cast<size_t>(kSeeds));
  EXPECT_EQ(hashes.size(), static_cast<size_t>(kSeeds));
}

TEST(SchedulingTest, SpawnFromAFiberAndFromTheDriver) {
  Runtime runtime({.seed = 3});
  std::vector<std::string> ran;
  std::unique_ptr<FiberTask> child;
  std::unique_ptr<FiberTask> parent = runtime.Spawn("parent", [&] {
    EXPECT_TRUE(runtime.InFiber());
    EXPECT_EQ(runtime.current_fiber_name(), "parent");
    child = runtime.Spawn("child", [&] {
      EXPECT_EQ(runtime.current_fiber_name(), "child");
      ran.push_back("child");
    });
    ran.push_back("parent");
    child->Join();
    ran.push_back("parent after join");
  });
  EXPECT_FALSE(runtime.InFiber());
  EXPECT_EQ(runtime.current_fiber_name(), "driver");
  EXPECT_EQ(runtime.live_fibers(), 1u);
  EXPECT_EQ(runtime.Run().reason, RunReason::kQuiescent);
  EXPECT_EQ(ran, (std::vector<std::string>{"parent", "child", "parent after join"}));
  EXPECT_TRUE(parent->finished());
  EXPECT_TRUE(child->finished());
  EXPECT_EQ(parent->fiber_id(), 1u);
  EXPECT_EQ(child->fiber_id(), 2u);
}

TEST(SchedulingTest, YieldFromTheDriverRunsOneStep) {
  Runtime runtime({.seed = 5});
  int progress = 0;
  runtime.SpawnDetached("counter", [&] {
    for (int i = 0; i < 3; ++i) {
      ++progress;
      runtime.Yield();
    }
  });
  runtime.Yield();
  EXPECT_EQ(progress, 1);
  EXPECT_EQ(runtime.steps(), 1u);
  runtime.Yield();
  EXPECT_EQ(progress, 2);
  runtime.scheduler().Yield();  // the Scheduler interface does the same
  EXPECT_EQ(progress, 3);
  runtime.Yield();  // the body returns
  EXPECT_EQ(runtime.live_fibers(), 0u);
  runtime.Yield();  // nothing left: a no-op
  EXPECT_EQ(runtime.steps(), 4u);
}

TEST(SchedulingTest, YieldFromTheDriverJumpsToTheNextTimer) {
  Runtime runtime({.seed = 5});
  bool woke = false;
  runtime.SpawnDetached("sleeper", [&] {
    runtime.SleepNs(1000);
    woke = true;
  });
  runtime.Yield();  // the sleeper starts and blocks
  EXPECT_FALSE(woke);
  runtime.Yield();  // nothing runnable: time jumps, the sleeper finishes
  EXPECT_TRUE(woke);
  EXPECT_EQ(runtime.now_ns(), 1000u);
}

TEST(SchedulingTest, StepLimitStopsTheRunAndRunResumes) {
  Runtime runtime({.seed = 9});
  int iterations = 0;
  runtime.SpawnDetached("loop", [&] {
    for (int i = 0; i < 100; ++i) {
      ++iterations;
      runtime.Yield();
    }
  });
  RunResult result = runtime.Run({.max_steps = 10});
  EXPECT_EQ(result.reason, RunReason::kStepLimit);
  EXPECT_EQ(result.steps, 10u);
  EXPECT_EQ(iterations, 10);
  result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_EQ(result.steps, 91u);
  EXPECT_EQ(runtime.steps(), 101u);
  EXPECT_EQ(iterations, 100);
}

TEST(SchedulingTest, RequestStopEndsTheRunWithTheReason) {
  Runtime runtime({.seed = 2});
  bool resumed = false;
  runtime.SpawnDetached("checker", [&] {
    runtime.RequestStop("invariant broken: x != y");
    runtime.Yield();
    resumed = true;
  });
  RunResult result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kStopRequested);
  EXPECT_EQ(result.report, "invariant broken: x != y");
  EXPECT_FALSE(resumed);
  result = runtime.Run();  // the request was consumed
  EXPECT_EQ(result.reason, RunReason::kQuiescent);
  EXPECT_TRUE(resumed);
}

TEST(SchedulingTest, TasksThroughTheSchedulerInterface) {
  Runtime runtime({.seed = 4});
  Scheduler& scheduler = runtime.scheduler();
  int sum = 0;
  runtime.RunInFiber("main", [&] {
    std::vector<std::unique_ptr<Task>> tasks;
    for (int i = 1; i <= 5; ++i) {
      tasks.push_back(scheduler.Spawn("adder", [&sum, &scheduler, i] {
        scheduler.Yield();
        sum += i;
      }));
    }
    for (auto& task : tasks) task->Join();
    EXPECT_EQ(sum, 15);
    tasks.clear();  // destroying finished tasks does not block
  });
  EXPECT_EQ(sum, 15);
  EXPECT_EQ(runtime.live_fibers(), 0u);
}

TEST(SchedulingTest, RandomStreamsDeriveFromTheSeedAsEnvDoes) {
  Runtime runtime({.seed = 77});
  Env env{.random_seed = runtime.seed()};
  Random a = runtime.NewRandom("skiplist");
  Random b = env.NewRandom("skiplist");
  Random c = runtime.NewRandom("other");
  const uint64_t a_first = a.Next();
  EXPECT_EQ(a_first, b.Next());
  EXPECT_NE(a_first, c.Next());
}

TEST(SchedulingDeathTest, RunFromInsideAFiberAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        runtime.RunInFiber("nested", [&] { static_cast<void>(runtime.Run()); });
      },
      "called from inside a fiber");
}

}  // namespace
}  // namespace kiln::sim
