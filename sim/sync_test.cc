// Fiber-aware Mutex and CondVar: exclusion across scheduling points,
// producer/consumer hand-off, ownership checks, and the driver's limits.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

TEST(SyncTest, MutexExcludesAcrossSchedulingPoints) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Runtime runtime({.seed = seed});
    std::unique_ptr<Mutex> mutex = runtime.NewMutex();
    constexpr int kFibers = 6;
    constexpr int kIncrements = 25;
    int counter = 0;
    int inside = 0;
    int max_inside = 0;
    for (int i = 0; i < kFibers; ++i) {
      runtime.SpawnDetached("incrementer", [&] {
        for (int n = 0; n < kIncrements; ++n) {
          MutexLock lock(*mutex);
          mutex->AssertHeld();
          ++inside;
          max_inside = std::max(max_inside, inside);
          const int before = counter;
          runtime.Yield();  // others run, but none may enter
          counter = before + 1;
          --inside;
        }
      });
    }
    ASSERT_EQ(runtime.Run().reason, RunReason::kQuiescent) << "seed " << seed;
    EXPECT_EQ(max_inside, 1) << "seed " << seed;
    EXPECT_EQ(counter, kFibers * kIncrements) << "seed " << seed;
  }
}

TEST(SyncTest, ContendedMutexReachesEveryWaiter) {
  Runtime runtime({.seed = 8});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::vector<int> acquired;
  runtime.SpawnDetached("holder", [&] {
    MutexLock lock(*mutex);
    runtime.SleepNs(1000);  // everyone else queues up meanwhile
  });
  for (int i = 0; i < 5; ++i) {
    runtime.SpawnDetached("waiter", [&, i] {
      MutexLock lock(*mutex);
      acquired.push_back(i);
    });
  }
  ASSERT_EQ(runtime.Run().reason, RunReason::kQuiescent);
  std::sort(acquired.begin(), acquired.end());
  EXPECT_EQ(acquired, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SyncTest, ProducersAndConsumersWithCondVars) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Runtime runtime({.seed = seed});
    std::unique_ptr<Mutex> mutex = runtime.NewMutex();
    std::unique_ptr<CondVar> not_empty = runtime.NewCondVar(*mutex);
    std::unique_ptr<CondVar> not_full = runtime.NewCondVar(*mutex);
    constexpr size_t kCapacity = 3;
    constexpr int kItemsPerProducer = 40;
    constexpr int kProducers = 2;
    constexpr int kConsumers = 3;
    std::deque<int> queue;
    size_t max_size = 0;
    int producers_left = kProducers;
    std::vector<int> consumed;
    for (int p = 0; p < kProducers; ++p) {
      runtime.SpawnDetached("producer", [&, p] {
        for (int i = 0; i < kItemsPerProducer; ++i) {
          MutexLock lock(*mutex);
          while (queue.size() == kCapacity) not_full->Wait();
          queue.push_back(p * 1000 + i);
          max_size = std::max(max_size, queue.size());
          not_empty->Signal();
        }
        MutexLock lock(*mutex);
        if (--producers_left == 0) not_empty->SignalAll();
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      runtime.SpawnDetached("consumer", [&] {
        MutexLock lock(*mutex);
        for (;;) {
          while (queue.empty() && producers_left > 0) not_empty->Wait();
          if (queue.empty()) return;
          consumed.push_back(queue.front());
          queue.pop_front();
          not_full->Signal();
        }
      });
    }
    ASSERT_EQ(runtime.Run().reason, RunReason::kQuiescent) << "seed " << seed;
    EXPECT_LE(max_size, kCapacity);
    ASSERT_EQ(consumed.size(), static_cast<size_t>(kProducers * kItemsPerProducer));
    std::sort(consumed.begin(), consumed.end());
    for (int p = 0; p < kProducers; ++p) {
      for (int i = 0; i < kItemsPerProducer; ++i) {
        EXPECT_EQ(consumed[static_cast<size_t>(p * kItemsPerProducer + i)], p * 1000 + i);
      }
    }
  }
}

TEST(SyncTest, JoinBlocksUntilTheTaskFinished) {
  Runtime runtime({.seed = 12});
  std::vector<std::string> events;
  runtime.RunInFiber("main", [&] {
    std::unique_ptr<Task> task = runtime.scheduler().Spawn("slow", [&] {
      runtime.SleepNs(500);
      events.push_back("slow done");
    });
    task->Join();
    events.push_back("joined");
    EXPECT_EQ(runtime.now_ns(), 500u);
  });
  EXPECT_EQ(events, (std::vector<std::string>{"slow done", "joined"}));
}

TEST(SyncTest, DriverMayTakeAFreeMutex) {
  Runtime runtime({.seed = 1});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  mutex->Lock();
  mutex->AssertHeld();
  mutex->Unlock();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  condvar->Signal();  // nobody waits: fine from the driver
  condvar->SignalAll();
}

TEST(SyncDeathTest, AssertHeldAbortsWhenTheFiberDoesNotHoldIt) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        runtime.RunInFiber("careless", [&] { mutex->AssertHeld(); });
      },
      "AssertHeld: mutex #1 is not held by the caller 'careless' \\(#1\\) \\(it is free\\)");
}

TEST(SyncDeathTest, AssertHeldAbortsWhenAnotherFiberHoldsIt) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        runtime.SpawnDetached("owner", [&] {
          MutexLock lock(*mutex);
          runtime.SleepNs(100);
        });
        runtime.SpawnDetached("other", [&] {
          runtime.SleepNs(50);
          mutex->AssertHeld();
        });
        static_cast<void>(runtime.Run());
      },
      "mutex #1 is not held by the caller 'other' \\(#2\\) \\(held by 'owner' \\(#1\\)\\)");
}

TEST(SyncDeathTest, UnlockByANonHolderAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        runtime.RunInFiber("sloppy", [&] { mutex->Unlock(); });
      },
      "Unlock of mutex #1 by 'sloppy' \\(#1\\), which does not hold it");
}

TEST(SyncDeathTest, FinishingWhileHoldingAMutexAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        runtime.RunInFiber("leaky", [&] { mutex->Lock(); });
      },
      "fiber 'leaky' \\(#1\\) finished holding 1 mutex");
}

TEST(SyncDeathTest, DriverLockOfAHeldMutexAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        runtime.SpawnDetached("holder", [&] {
          MutexLock lock(*mutex);
          runtime.SleepNs(100);
        });
        static_cast<void>(runtime.Run({.until_ns = 50}));
        mutex->Lock();
      },
      "Mutex::Lock of mutex #1 held by 'holder' \\(#1\\) would block, but it was called from the "
      "driver");
}

TEST(SyncDeathTest, DriverWaitAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<Mutex> mutex = runtime.NewMutex();
        std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
        MutexLock lock(*mutex);
        condvar->Wait();
      },
      "CondVar::Wait on condvar #1 would block.*run this code in a fiber");
}

TEST(SyncDeathTest, DriverJoinOfAnUnfinishedTaskAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 1});
        std::unique_ptr<FiberTask> task = runtime.Spawn("background", [] {});
        task->Join();
      },
      "Task::Join of unfinished fiber 'background' \\(#1\\) would block");
}

}  // namespace
}  // namespace kiln::sim
