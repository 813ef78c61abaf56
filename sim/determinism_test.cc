// Determinism: a busy workload replays bit for bit from its seed, different
// seeds explore different schedules, and a fiber that reads something from
// outside the simulation is caught by the trace, at a concrete step.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

constexpr int kSeeds = 200;

// Returns 0 for a deterministic workload; otherwise the value is mixed into a
// sleep, as a bug that reads the outside world would.
using Leak = uint64_t (*)();

// Several fibers share a bounded queue (mutex + two condvars), sleep for
// seeded durations, time out of waits, yield, and spawn and join helpers.
void BusyWorkload(Runtime& runtime, Leak leak) {
  std::unique_ptr<Mutex> mutex = runtime.NewMutex();
  std::unique_ptr<CondVar> not_empty = runtime.NewCondVar(*mutex);
  std::unique_ptr<CondVar> not_full = runtime.NewCondVar(*mutex);
  std::vector<int> queue;
  int producers_left = 3;
  int consumed = 0;
  for (int p = 0; p < 3; ++p) {
    runtime.SpawnDetached("producer", [&, p] {
      Random random = runtime.NewRandom("producer " + std::to_string(p));
      for (int i = 0; i < 12; ++i) {
        runtime.SleepNs(random.Range(1, 1000) + (leak != nullptr && p == 1 && i == 4 ? leak() : 0));
        MutexLock lock(*mutex);
        while (queue.size() >= 2) not_full->Wait();
        queue.push_back(i);
        not_empty->Signal();
      }
      MutexLock lock(*mutex);
      --producers_left;
      not_empty->SignalAll();
    });
  }
  for (int c = 0; c < 2; ++c) {
    runtime.SpawnDetached("consumer", [&, c] {
      Random random = runtime.NewRandom("consumer " + std::to_string(c));
      MutexLock lock(*mutex);
      for (;;) {
        if (queue.empty()) {
          if (producers_left == 0) return;
          static_cast<void>(not_empty->WaitForNs(random.Range(100, 3000)));
          continue;
        }
        queue.pop_back();
        ++consumed;
        not_full->Signal();
        if (random.OneIn(3)) runtime.Yield();
      }
    });
  }
  runtime.SpawnDetached("forker", [&] {
    for (int round = 0; round < 4; ++round) {
      std::vector<std::unique_ptr<FiberTask>> helpers;
      for (int h = 0; h < 3; ++h) {
        helpers.push_back(runtime.Spawn("helper", [&] {
          runtime.Yield();
          runtime.SleepNs(50);
        }));
      }
      for (auto& helper : helpers) helper->Join();
    }
  });
  const RunResult result = runtime.Run();
  EXPECT_EQ(result.reason, RunReason::kQuiescent) << result.report;
  EXPECT_EQ(consumed, 36);
}

uint64_t RunOnce(uint64_t seed, Leak leak = nullptr, bool record_trace = false,
                 std::optional<Trace>* trace = nullptr) {
  Runtime runtime({.seed = seed, .record_trace = record_trace});
  BusyWorkload(runtime, leak);
  if (trace != nullptr) *trace = runtime.trace();
  return runtime.trace_hash();
}

TEST(DeterminismTest, EverySeedReplaysToTheSameTraceHash) {
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const uint64_t first = RunOnce(seed);
    const uint64_t second = RunOnce(seed);
    ASSERT_EQ(HashHex(first), HashHex(second)) << "seed " << seed;
  }
}

TEST(DeterminismTest, DifferentSeedsGiveDifferentTraces) {
  std::set<uint64_t> hashes;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) hashes.insert(RunOnce(seed));
  EXPECT_GE(hashes.size(), static_cast<size_t>(kSeeds - 2));
}

TEST(DeterminismTest, KeepingStepsDoesNotChangeTheHash) {
  std::optional<Trace> recorded;
  const uint64_t with_steps = RunOnce(42, nullptr, /*record_trace=*/true, &recorded);
  EXPECT_EQ(with_steps, RunOnce(42));
  ASSERT_TRUE(recorded.has_value());
  EXPECT_FALSE(recorded->steps().empty());
  EXPECT_EQ(recorded->steps().back().hash_after, with_steps);
  std::optional<Trace> again;
  RunOnce(42, nullptr, /*record_trace=*/true, &again);
  EXPECT_EQ(FirstDivergence(*recorded, *again), std::nullopt);
}

// A bug: one sleep depends on where the heap put an allocation. Earlier
// allocations stay alive, so each run sees a different address.
std::vector<std::unique_ptr<char[]>> leaked_blocks;
uint64_t AddressLeak() {
  leaked_blocks.push_back(std::make_unique<char[]>(64));
  return reinterpret_cast<uintptr_t>(leaked_blocks.back().get()) % 1'000'000 + 1;
}

TEST(DeterminismTest, AFiberReadingTheOutsideWorldIsCaughtAtAConcreteStep) {
  std::optional<Trace> first;
  std::optional<Trace> second;
  const uint64_t first_hash = RunOnce(9, AddressLeak, /*record_trace=*/true, &first);
  const uint64_t second_hash = RunOnce(9, AddressLeak, /*record_trace=*/true, &second);
  EXPECT_NE(first_hash, second_hash);
  const std::optional<Divergence> divergence = FirstDivergence(*first, *second);
  ASSERT_TRUE(divergence.has_value());
  EXPECT_GT(divergence->index, 0u) << "the leak happens well into the run";
  // The first difference is the tainted sleep itself, on both sides.
  EXPECT_NE(divergence->left.find("sleep duration_ns="), std::string::npos) << divergence->left;
  EXPECT_NE(divergence->right.find("sleep duration_ns="), std::string::npos) << divergence->right;
  EXPECT_NE(divergence->left, divergence->right);
  // Everything before it agreed, step for step.
  for (uint64_t i = 0; i < divergence->index; ++i) {
    EXPECT_EQ(first->steps()[i].hash_after, second->steps()[i].hash_after);
  }
}

}  // namespace
}  // namespace kiln::sim
