#include "sim/fiber.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/assert.h"

namespace kiln::sim {
namespace {

TEST(FiberTest, ResumeRunsUntilSuspendAndBackInOrder) {
  StackPool pool(kDefaultFiberStackBytes);
  std::vector<std::string> events;
  Fiber* fiber_ptr = nullptr;
  Fiber fiber(pool, [&] {
    events.push_back("fiber 1");
    fiber_ptr->Suspend();
    events.push_back("fiber 2");
    fiber_ptr->Suspend();
    events.push_back("fiber 3");
  });
  fiber_ptr = &fiber;
  EXPECT_FALSE(fiber.started());
  EXPECT_EQ(pool.outstanding(), 0u);

  fiber.Resume();
  events.push_back("driver 1");
  EXPECT_EQ(pool.outstanding(), 1u);
  fiber.Resume();
  events.push_back("driver 2");
  EXPECT_FALSE(fiber.finished());
  fiber.Resume();
  events.push_back("driver 3");

  EXPECT_TRUE(fiber.finished());
  EXPECT_EQ(pool.outstanding(), 0u) << "the stack goes back to the pool when the body returns";
  EXPECT_EQ(events, (std::vector<std::string>{"fiber 1", "driver 1", "fiber 2", "driver 2",
                                               "fiber 3", "driver 3"}));
}

TEST(FiberTest, CurrentIsTheRunningFiberAndNullInTheDriver) {
  StackPool pool(kDefaultFiberStackBytes);
  Fiber* seen = reinterpret_cast<Fiber*>(1);
  Fiber fiber(pool, [&] { seen = Fiber::Current(); });
  EXPECT_EQ(Fiber::Current(), nullptr);
  fiber.Resume();
  EXPECT_EQ(seen, &fiber);
  EXPECT_EQ(Fiber::Current(), nullptr);
}

struct Tracked {
  explicit Tracked(int* live) : live(live) { ++*live; }
  ~Tracked() { --*live; }
  int* live;
};

TEST(FiberTest, BodyCapturesAreDestroyedWhenTheBodyReturns) {
  StackPool pool(kDefaultFiberStackBytes);
  int live = 0;
  auto owned = std::make_shared<Tracked>(&live);
  Fiber fiber(pool, [owned = std::move(owned)] { EXPECT_NE(owned, nullptr); });
  EXPECT_EQ(live, 1);
  fiber.Resume();
  EXPECT_TRUE(fiber.finished());
  EXPECT_EQ(live, 0);
}

TEST(FiberTest, AFiberThatNeverStartedHoldsNoStack) {
  StackPool pool(kDefaultFiberStackBytes);
  { Fiber fiber(pool, [] {}); }
  EXPECT_EQ(pool.outstanding(), 0u);
}

// Fills most of the stack, so a reused stack with stale state (or ASAN
// poison left by an earlier fiber) would be noticed.
void UseStack(size_t bytes, char fill) {
  std::vector<char> reference(bytes, fill);
  char* buffer = static_cast<char*>(__builtin_alloca(bytes));
  std::memset(buffer, fill, bytes);
  EXPECT_EQ(std::memcmp(buffer, reference.data(), bytes), 0);
}

TEST(FiberTest, StacksAreReusedAcrossManyFibers) {
  StackPool pool(kDefaultFiberStackBytes);
  constexpr int kFibers = 500;
  int finished = 0;
  for (int i = 0; i < kFibers; ++i) {
    Fiber fiber(pool, [&, i] {
      UseStack(kDefaultFiberStackBytes / 2, static_cast<char>(i));
      ++finished;
    });
    fiber.Resume();
    EXPECT_TRUE(fiber.finished());
  }
  EXPECT_EQ(finished, kFibers);
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(FiberTest, ManyFibersSuspendedAtOnceEachKeepTheirOwnStack) {
  StackPool pool(kDefaultFiberStackBytes);
  constexpr int kFibers = 64;
  std::vector<std::unique_ptr<Fiber>> fibers;
  std::vector<int> sums(kFibers, 0);
  for (int i = 0; i < kFibers; ++i) {
    Fiber** self = new Fiber*(nullptr);
    fibers.push_back(std::make_unique<Fiber>(pool, [&sums, i, self] {
      int local = i * 1000;  // lives on this fiber's stack across suspensions
      for (int round = 0; round < 3; ++round) {
        local += round;
        (*self)->Suspend();
      }
      sums[static_cast<size_t>(i)] = local;
      delete self;
    }));
    *self = fibers.back().get();
  }
  for (int round = 0; round < 4; ++round) {
    for (auto& fiber : fibers) {
      if (!fiber->finished()) fiber->Resume();
    }
  }
  EXPECT_EQ(pool.outstanding(), 0u);
  for (int i = 0; i < kFibers; ++i) EXPECT_EQ(sums[static_cast<size_t>(i)], i * 1000 + 3);
}

TEST(FiberDeathTest, DestroyingASuspendedFiberAborts) {
  EXPECT_DEATH(
      {
        StackPool pool(kDefaultFiberStackBytes);
        auto fiber = std::make_unique<Fiber>(pool, [] { Fiber::Current()->Suspend(); });
        fiber->Resume();
        fiber.reset();
      },
      "suspended fiber was destroyed");
}

// Under ASAN, aborting runs __asan_handle_no_return, which warns of "false
// positive error reports" unless every switch onto this stack was announced.
TEST(FiberDeathTest, FailingAnAssertionInsideAFiberIsCleanUnderAsan) {
  EXPECT_DEATH(
      {
        StackPool pool(kDefaultFiberStackBytes);
        Fiber fiber(pool, [] { KILN_ASSERT_MSG(false, "boom inside a fiber"); });
        fiber.Resume();
      },
      ::testing::AllOf(::testing::HasSubstr("boom inside a fiber"),
                       ::testing::Not(::testing::HasSubstr("ASan is ignoring"))));
}

}  // namespace
}  // namespace kiln::sim
