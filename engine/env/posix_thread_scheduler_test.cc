#include <atomic>
#include <memory>
#include <vector>

#include "env/posix_env.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(ThreadSchedulerTest, SpawnRunsTheBodyAndJoinWaitsForIt) {
  ThreadScheduler scheduler;
  std::atomic<bool> ran{false};
  std::unique_ptr<Task> task = scheduler.Spawn("body", [&] { ran = true; });
  task->Join();
  EXPECT_TRUE(ran);
  task->Join();  // idempotent
}

TEST(ThreadSchedulerTest, DestroyingATaskJoinsIt) {
  ThreadScheduler scheduler;
  std::atomic<bool> ran{false};
  scheduler.Spawn("a name longer than fifteen bytes", [&] {
    scheduler.Yield();
    ran = true;
  });  // the returned Task dies at the end of this statement
  EXPECT_TRUE(ran);
}

TEST(ThreadSchedulerTest, MutexExcludes) {
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 10000;
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  int counter = 0;  // guarded by mutex; a race would lose increments (and trip TSAN)
  std::vector<std::unique_ptr<Task>> tasks;
  for (int t = 0; t < kThreads; ++t) {
    tasks.push_back(scheduler.Spawn("increment", [&] {
      for (int i = 0; i < kIncrementsPerThread; ++i) {
        MutexLock lock(*mutex);
        mutex->AssertHeld();
        ++counter;
      }
    }));
  }
  for (auto& task : tasks) task->Join();
  EXPECT_EQ(counter, kThreads * kIncrementsPerThread);
}

TEST(ThreadSchedulerTest, SignalWakesAWaiter) {
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  std::unique_ptr<CondVar> cond_var = scheduler.NewCondVar(*mutex);
  bool ready = false;  // guarded by mutex
  bool woke = false;   // guarded by mutex
  std::unique_ptr<Task> waiter = scheduler.Spawn("waiter", [&] {
    MutexLock lock(*mutex);
    while (!ready) cond_var->Wait();
    mutex->AssertHeld();  // Wait returns with the mutex held again
    woke = true;
  });
  {
    MutexLock lock(*mutex);
    ready = true;
    cond_var->Signal();
  }
  waiter->Join();
  MutexLock lock(*mutex);
  EXPECT_TRUE(woke);
}

TEST(ThreadSchedulerTest, SignalAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  std::unique_ptr<CondVar> cond_var = scheduler.NewCondVar(*mutex);
  bool ready = false;  // guarded by mutex
  int woke = 0;        // guarded by mutex
  std::vector<std::unique_ptr<Task>> waiters;
  for (int w = 0; w < kWaiters; ++w) {
    waiters.push_back(scheduler.Spawn("waiter", [&] {
      MutexLock lock(*mutex);
      // A generous timeout: a lost wake-up fails the test instead of hanging it.
      while (!ready) cond_var->WaitForNs(uint64_t{60} * 1000 * 1000 * 1000);
      ++woke;
    }));
  }
  {
    MutexLock lock(*mutex);
    ready = true;
    cond_var->SignalAll();
  }
  for (auto& waiter : waiters) waiter->Join();
  MutexLock lock(*mutex);
  EXPECT_EQ(woke, kWaiters);
}

TEST(ThreadSchedulerTest, WaitForNsReturnsFalseOnTimeout) {
  constexpr int kMaxAttempts = 100;  // tolerates spurious wake-ups, which return true
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  std::unique_ptr<CondVar> cond_var = scheduler.NewCondVar(*mutex);
  MutexLock lock(*mutex);
  bool timed_out = false;
  for (int attempt = 0; attempt < kMaxAttempts && !timed_out; ++attempt) {
    timed_out = !cond_var->WaitForNs(1000);
    mutex->AssertHeld();
  }
  EXPECT_TRUE(timed_out);
}

TEST(ThreadSchedulerDeathTest, AssertHeldAbortsWhenNotHeld) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  EXPECT_DEATH(mutex->AssertHeld(), "not held by the calling thread");
  mutex->Lock();
  mutex->Unlock();
  EXPECT_DEATH(mutex->AssertHeld(), "not held by the calling thread");
}

TEST(ThreadSchedulerDeathTest, AssertHeldAbortsWhenAnotherThreadHolds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ThreadScheduler scheduler;
  std::unique_ptr<Mutex> mutex = scheduler.NewMutex();
  EXPECT_DEATH(
      {
        mutex->Lock();
        scheduler.Spawn("other", [&] { mutex->AssertHeld(); })->Join();
      },
      "not held by the calling thread");
}

}  // namespace
}  // namespace kiln
