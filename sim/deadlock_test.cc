// Deadlock detection: no runnable fiber and no pending timer while some fiber
// is unfinished. The report names each blocked fiber and what it waits on.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

// Deadlocked fibers must still be wound down before the runtime goes away.
void WindDownAll(Runtime& runtime) {
  runtime.BeginCrash();
  runtime.WindDown();
  runtime.EndCrash();
}

TEST(DeadlockTest, LockOrderInversionIsReportedWithBothFibers) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    Runtime runtime({.seed = seed});
    std::unique_ptr<Mutex> first = runtime.NewMutex();   // mutex #1
    std::unique_ptr<Mutex> second = runtime.NewMutex();  // mutex #2
    // The sleeps make sure each holds its first mutex before wanting the
    // other, whatever the schedule.
    runtime.SpawnDetached("alpha", [&] {
      MutexLock a(*first);
      runtime.SleepNs(10);
      MutexLock b(*second);
    });
    runtime.SpawnDetached("beta", [&] {
      MutexLock b(*second);
      runtime.SleepNs(10);
      MutexLock a(*first);
    });
    const RunResult result = runtime.Run();
    ASSERT_EQ(result.reason, RunReason::kDeadlock) << "seed " << seed;
    EXPECT_EQ(result.report,
              "deadlock: no fiber can run and no timer is pending\n"
              "  fiber 'alpha' (#1) waits on mutex #2 held by 'beta' (#2); holds mutex #1\n"
              "  fiber 'beta' (#2) waits on mutex #1 held by 'alpha' (#1); holds mutex #2\n");
    EXPECT_EQ(runtime.now_ns(), 10u);
    WindDownAll(runtime);
  }
}

TEST(DeadlockTest, WaitingOnACondVarNobodySignalsIsADeadlock) {
  Runtime runtime({.seed = 3});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  bool ready = false;
  runtime.SpawnDetached("waiter", [&] {
    MutexLock lock(*mutex);
    while (!ready) condvar->Wait();
  });
  const RunResult result = runtime.Run();
  ASSERT_EQ(result.reason, RunReason::kDeadlock);
  EXPECT_EQ(result.report,
            "deadlock: no fiber can run and no timer is pending\n"
            "  fiber 'waiter' (#1) waits on condvar #1; mutex #1 is free\n");
  // Wind-down cannot make a predicate nobody will ever set true; a real
  // deadlock is a failure to report, here the test lets the waiter go.
  ready = true;
  WindDownAll(runtime);
}

TEST(DeadlockTest, ReportNamesTheHolderOfACondVarsMutexAndJoiners) {
  Runtime runtime({.seed = 4});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<Mutex> other = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  std::unique_ptr<FiberTask> compaction = runtime.Spawn("compaction", [&] {
    MutexLock lock(*mutex);
    condvar->Wait();  // releases #1 while waiting
  });
  runtime.SpawnDetached("writer", [&] {
    runtime.SleepNs(5);  // compaction is waiting by now
    MutexLock lock(*other);
    mutex->Lock();
    compaction->Join();  // holds #1, so compaction can never return
    mutex->Unlock();
  });
  const RunResult result = runtime.Run();
  ASSERT_EQ(result.reason, RunReason::kDeadlock);
  EXPECT_EQ(result.report,
            "deadlock: no fiber can run and no timer is pending\n"
            "  fiber 'compaction' (#1) waits on condvar #1; mutex #1 held by 'writer' (#2)\n"
            "  fiber 'writer' (#2) waits to join 'compaction' (#1); holds mutex #1, mutex #2\n");
  WindDownAll(runtime);
}

TEST(DeadlockTest, AMutexHeldByTheDriverIsNamed) {
  Runtime runtime({.seed = 5});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  mutex->Lock();
  runtime.SpawnDetached("blocked", [&] { MutexLock lock(*mutex); });
  const RunResult result = runtime.Run();
  ASSERT_EQ(result.reason, RunReason::kDeadlock);
  EXPECT_NE(result.report.find("fiber 'blocked' (#1) waits on mutex #1 held by the driver"),
            std::string::npos)
      << result.report;
  mutex->Unlock();  // hands it to the waiter, which can now finish
  EXPECT_EQ(runtime.Run().reason, RunReason::kQuiescent);
}

TEST(DeadlockTest, APendingTimerIsNotADeadlock) {
  Runtime runtime({.seed = 6});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  runtime.SpawnDetached("patient", [&] {
    MutexLock lock(*mutex);
    EXPECT_FALSE(condvar->WaitForNs(1'000'000));
  });
  EXPECT_EQ(runtime.Run().reason, RunReason::kQuiescent);
  EXPECT_EQ(runtime.now_ns(), 1'000'000u);
}

TEST(DeadlockDeathTest, RunInFiberAbortsWithTheReport) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
        runtime.RunInFiber("stuck", [&] {
          MutexLock lock(*mutex);
          condvar->Wait();
        });
      },
      "RunInFiber\\('stuck'\\) ended before the fiber finished: deadlock");
}

}  // namespace
}  // namespace kiln::sim
