// Crash wind-down: after BeginCrash, every fiber runs to the end of its body
// (blocked ones included), so everything on its stack or owned by it is
// destroyed naturally; nothing leaks (checked under ASAN too).
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

constexpr uint64_t kHourNs = 3600ull * 1'000'000'000ull;

int live_objects = 0;

struct LiveObject {
  LiveObject() { ++live_objects; }
  ~LiveObject() { --live_objects; }
  LiveObject(const LiveObject&) = delete;
  LiveObject& operator=(const LiveObject&) = delete;
};

// Each kind of blocked fiber, each owning objects on its stack, on the heap,
// and in its captures.
TEST(CrashTest, WindDownFinishesEveryBlockedFiberAndFreesWhatTheyOwn) {
  live_objects = 0;
  Runtime runtime({.seed = 21});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  bool never = false;
  std::vector<std::string> finished;

  runtime.SpawnDetached("holder", [&, captured = std::make_shared<LiveObject>()] {
    LiveObject on_stack;
    MutexLock lock(*mutex);
    runtime.SleepNs(kHourNs);  // holds the mutex all the while
    finished.push_back("holder");
  });
  runtime.SpawnDetached("locker", [&] {
    auto on_heap = std::make_unique<LiveObject>();
    runtime.SleepNs(10);
    MutexLock lock(*mutex);  // blocks: holder has it
    finished.push_back("locker");
  });
  std::unique_ptr<FiberTask> waiter = runtime.Spawn("waiter", [&] {
    LiveObject on_stack;
    runtime.SleepNs(20);
    MutexLock lock(*mutex);
    condvar->Wait();  // nobody will signal
    finished.push_back("waiter");
  });
  runtime.SpawnDetached("joiner", [&] {
    LiveObject on_stack;
    waiter->Join();  // still waits for the waiter, which now finishes
    finished.push_back("joiner");
  });
  runtime.SpawnDetached("spinner", [&] {
    LiveObject on_stack;
    MutexLock lock(*mutex);
    // Code written to tolerate spurious wake-ups: while crashing every Wait
    // returns at once, and the loop must still end, here by its own deadline.
    while (!never && runtime.now_ns() < kHourNs) {
      if (!condvar->WaitForNs(kHourNs)) break;
    }
    finished.push_back("spinner");
  });

  const RunResult result = runtime.Run({.until_ns = 1'000'000});
  ASSERT_EQ(result.reason, RunReason::kTimeReached);
  EXPECT_TRUE(finished.empty());
  EXPECT_EQ(runtime.live_fibers(), 5u);
  EXPECT_EQ(live_objects, 6);  // the holder owns two

  runtime.BeginCrash();
  EXPECT_TRUE(runtime.crashing());
  runtime.WindDown();
  EXPECT_EQ(runtime.live_fibers(), 0u);
  EXPECT_EQ(live_objects, 0) << "every object the fibers owned was destroyed";
  EXPECT_EQ(finished.size(), 5u);
  EXPECT_LT(runtime.now_ns(), kHourNs) << "a crash does not let sleeps run out";
  runtime.EndCrash();
  EXPECT_FALSE(runtime.crashing());
  EXPECT_TRUE(waiter->finished());
}

TEST(CrashTest, WhileCrashingNothingBlocks) {
  Runtime runtime({.seed = 22});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> condvar = runtime.NewCondVar(*mutex);
  mutex->Lock();  // held by the driver throughout
  runtime.BeginCrash();
  bool done = false;
  runtime.SpawnDetached("after the crash", [&] {
    mutex->Lock();  // held by the driver, yet returns at once
    mutex->AssertHeld();
    condvar->Wait();
    EXPECT_FALSE(condvar->WaitForNs(1000));
    runtime.SleepNs(kHourNs);
    mutex->Unlock();
    done = true;
  });
  runtime.WindDown();
  EXPECT_TRUE(done);
  EXPECT_EQ(runtime.now_ns(), 0u);
  runtime.clock().SleepNs(10);  // even the driver may "sleep" while crashing
  mutex->Unlock();
  runtime.EndCrash();
}

TEST(CrashTest, ADriverJoinWhileCrashingDrivesTheTask) {
  Runtime runtime({.seed = 23});
  bool done = false;
  std::unique_ptr<FiberTask> task = runtime.Spawn("background", [&] {
    runtime.SleepNs(kHourNs);
    done = true;
  });
  static_cast<void>(runtime.Run({.until_ns = 5}));
  runtime.BeginCrash();
  task->Join();
  EXPECT_TRUE(done);
  task.reset();
  runtime.WindDown();
  runtime.EndCrash();
}

TEST(CrashTest, AFiberMayBeginTheCrashAndTheRuntimeIsReusableAfterwards) {
  live_objects = 0;
  Runtime runtime({.seed = 24});
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  runtime.SpawnDetached("victim", [&] {
    LiveObject on_stack;
    MutexLock lock(*mutex);
    runtime.SleepNs(kHourNs);
  });
  runtime.SpawnDetached("crasher", [&] {
    runtime.SleepNs(100);
    runtime.BeginCrash();
    runtime.RequestStop("crash point");  // ignored while crashing
  });
  const RunResult result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent) << "crashing fibers run to their end";
  EXPECT_EQ(live_objects, 0);
  runtime.WindDown();  // nothing left to do
  runtime.EndCrash();

  // A restarted "process" on the same runtime runs normally again.
  bool recovered = false;
  runtime.RunInFiber("recovery", [&] {
    MutexLock lock(*mutex);
    runtime.SleepNs(10);
    recovered = true;
  });
  EXPECT_TRUE(recovered);
  EXPECT_EQ(runtime.now_ns(), 110u);
}

TEST(CrashTest, TheCrashIsInTheTrace) {
  auto run = [](bool crash) {
    Runtime runtime({.seed = 25});
    runtime.SpawnDetached("sleeper", [&] { runtime.SleepNs(kHourNs); });
    static_cast<void>(runtime.Run({.until_ns = 10}));
    if (crash) {
      runtime.BeginCrash();
      runtime.WindDown();
      runtime.EndCrash();
    } else {
      static_cast<void>(runtime.Run());
    }
    return runtime.trace_hash();
  };
  EXPECT_NE(run(true), run(false));
  EXPECT_EQ(run(true), run(true));
}

TEST(CrashDeathTest, WindDownNamesFibersThatCannotFinish) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 26});
        std::unique_ptr<FiberTask> first;
        std::unique_ptr<FiberTask> second;
        first = runtime.Spawn("first", [&] {
          runtime.SleepNs(10);
          second->Join();
        });
        second = runtime.Spawn("second", [&] {
          runtime.SleepNs(10);
          first->Join();
        });
        static_cast<void>(runtime.Run());
        runtime.BeginCrash();
        runtime.WindDown();
      },
      "WindDown: fibers did not finish \\(deadlock.*\n.*'first' \\(#1\\) waits to join 'second' "
      "\\(#2\\)\n.*'second' \\(#2\\) waits to join 'first' \\(#1\\)");
}

TEST(CrashDeathTest, DestroyingTheRuntimeWithLiveFibersAborts) {
  EXPECT_DEATH(
      {
        Runtime runtime({.seed = 27});
        runtime.SpawnDetached("orphan", [&] { runtime.SleepNs(kHourNs); });
        static_cast<void>(runtime.Run({.until_ns = 1}));
      },
      "Runtime destroyed with unfinished fibers.*\n.*'orphan' \\(#1\\) sleeps until");
}

}  // namespace
}  // namespace kiln::sim
