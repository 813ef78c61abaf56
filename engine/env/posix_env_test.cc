#include "env/posix_env.h"

#include <cstddef>
#include <cstdint>
#include <new>

#include "gtest/gtest.h"
#include "kiln/env.h"

namespace kiln {
namespace {

TEST(SystemClockTest, MonotonicNeverDecreases) {
  constexpr int kReads = 100000;
  SystemClock clock;
  uint64_t previous_ns = clock.MonotonicNs();
  for (int i = 0; i < kReads; ++i) {
    const uint64_t now_ns = clock.MonotonicNs();
    ASSERT_GE(now_ns, previous_ns);
    previous_ns = now_ns;
  }
}

TEST(SystemClockTest, SleepLastsAtLeastItsDuration) {
  constexpr uint64_t kSleepNs = 1000 * 1000;  // 1 ms: the shortest sleep that means anything
  SystemClock clock;
  const uint64_t start_ns = clock.MonotonicNs();
  clock.SleepNs(kSleepNs);
  EXPECT_GE(clock.MonotonicNs() - start_ns, kSleepNs);
  clock.SleepNs(0);
}

TEST(SystemClockTest, WallIsUnixEpochNanoseconds) {
  constexpr uint64_t k2020Ns = uint64_t{1577836800} * 1000 * 1000 * 1000;
  constexpr uint64_t k2200Ns = uint64_t{7258118400} * 1000 * 1000 * 1000;
  const uint64_t wall_ns = SystemClock().WallNs();
  EXPECT_GT(wall_ns, k2020Ns);
  EXPECT_LT(wall_ns, k2200Ns);
}

TEST(RealEnvTest, PartsAreRealAndStable) {
  const Env& env = RealEnv();
  ASSERT_NE(env.file_system, nullptr);
  ASSERT_NE(env.clock, nullptr);
  ASSERT_NE(env.scheduler, nullptr);
  EXPECT_NE(dynamic_cast<PosixFileSystem*>(env.file_system), nullptr);
  EXPECT_NE(dynamic_cast<SystemClock*>(env.clock), nullptr);
  EXPECT_NE(dynamic_cast<ThreadScheduler*>(env.scheduler), nullptr);
  EXPECT_NE(dynamic_cast<const PosixMemoryHints*>(env.memory_hints), nullptr);
  const Env& again = RealEnv();
  EXPECT_EQ(&env, &again);
  EXPECT_EQ(env.file_system, again.file_system);
  EXPECT_EQ(env.random_seed, again.random_seed);
  // The seed is fixed, never drawn from the OS: the same stream every time.
  EXPECT_EQ(env.NewRandom("stream").Next(), again.NewRandom("stream").Next());
}

// A hint changes no bytes, aligned or not (an unaligned range makes madvise
// fail, which the hint ignores).
TEST(PosixMemoryHintsTest, HintedMemoryKeepsItsContents) {
  constexpr size_t kBytes = size_t{4} << 20;
  constexpr size_t kAlignment = size_t{2} << 20;
  char* block = static_cast<char*>(::operator new[](kBytes, std::align_val_t(kAlignment)));
  for (size_t i = 0; i < kBytes; i += 4096) block[i] = static_cast<char>(i >> 12);
  const PosixMemoryHints hints;
  hints.PreferHugePages(block, kBytes);
  hints.PreferHugePages(block + 1, 100);
  for (size_t i = 0; i < kBytes; i += 4096) ASSERT_EQ(block[i], static_cast<char>(i >> 12));
  ::operator delete[](block, std::align_val_t(kAlignment));
}

}  // namespace
}  // namespace kiln
