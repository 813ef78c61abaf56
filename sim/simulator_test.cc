#include "sim/simulator.h"

#include <string>

#include "gtest/gtest.h"
#include "kiln/status.h"

namespace kiln::sim {
namespace {

std::string ReadAll(FileSystem& fs, std::string_view path) {
  auto file = fs.OpenFile(path, OpenMode::kRead);
  if (!file.ok()) return "<" + std::string(file.status().message()) + ">";
  std::string bytes(4096, '\0');
  auto n = (*file)->Read(0, std::span<char>(bytes.data(), bytes.size()));
  EXPECT_TRUE(n.ok());
  bytes.resize(n.ok() ? *n : 0);
  return bytes;
}

// A writer that appends forever, syncing every other record; the crash
// interrupts it mid-loop.
void AppendForever(const Env& env, int* acknowledged) {
  auto file = env.file_system->OpenFile("/data/log", OpenMode::kCreate);
  if (!file.ok()) return;
  for (int i = 0; i < 1000; ++i) {
    if (!(*file)->Append(std::string(1, static_cast<char>('a' + i % 26))).ok()) return;
    if (i % 2 == 1) {
      if (!(*file)->Sync().ok()) return;
      *acknowledged = i + 1;
    }
    env.clock->SleepNs(1000);
  }
}

TEST(SimulatorTest, CrashKeepsEverythingSyncedAndWindsDownFibers) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Simulator sim(SimulatorOptions{.seed = seed});
    sim.RunInFiber("setup", [&] {
      ASSERT_TRUE(sim.env().file_system->CreateDir("/data").ok());
      ASSERT_TRUE(sim.env().file_system->SyncDir("/").ok());
      auto file = sim.env().file_system->OpenFile("/data/log", OpenMode::kCreate);
      ASSERT_TRUE(file.ok());
      ASSERT_TRUE(sim.env().file_system->SyncDir("/data").ok());
    });
    int acknowledged = 0;
    sim.runtime().SpawnDetached("writer", [&] { AppendForever(sim.env(), &acknowledged); });
    const RunResult run = sim.Run(RunLimits{.until_ns = 50'000 + seed * 1000});
    EXPECT_EQ(run.reason, RunReason::kTimeReached);
    EXPECT_EQ(sim.runtime().live_fibers(), 1u);

    sim.Crash(*faultfs::FindCrashPolicyPreset("torn"));
    EXPECT_EQ(sim.runtime().live_fibers(), 0u);
    EXPECT_EQ(sim.crashes(), 1u);
    ASSERT_GT(acknowledged, 0);

    const std::string recovered = ReadAll(*sim.env().file_system, "/data/log");
    ASSERT_GE(recovered.size(), static_cast<size_t>(acknowledged)) << "seed " << seed;
    for (int i = 0; i < acknowledged; ++i) {
      ASSERT_EQ(recovered[i], static_cast<char>('a' + i % 26)) << "seed " << seed << " at " << i;
    }
  }
}

TEST(SimulatorTest, IoFailsWhileCrashingAndTeardownRunsInAFiber) {
  Simulator sim(SimulatorOptions{.seed = 3});
  bool teardown_saw_error = false;
  sim.Crash(faultfs::CrashPolicy{}, [&] {
    auto file = sim.env().file_system->OpenFile("/x", OpenMode::kCreate);
    teardown_saw_error = IsIOError(file.status());
  });
  EXPECT_TRUE(teardown_saw_error);
  // After the crash the disk works again, and the file never existed.
  sim.RunInFiber("after", [&] {
    auto exists = sim.env().file_system->Exists("/x");
    ASSERT_TRUE(exists.ok());
    EXPECT_FALSE(*exists);
  });
}

TEST(SimulatorTest, SameSeedSameTraceHashDifferentSeedsDiffer) {
  auto run = [](uint64_t seed) {
    Simulator sim(SimulatorOptions{.seed = seed});
    int acknowledged = 0;
    sim.RunInFiber("setup", [&] { ASSERT_TRUE(sim.env().file_system->CreateDir("/data").ok()); });
    for (int w = 0; w < 3; ++w) {
      sim.runtime().SpawnDetached("writer", [&] { AppendForever(sim.env(), &acknowledged); });
    }
    sim.Run(RunLimits{.until_ns = 20'000});
    sim.Crash(*faultfs::FindCrashPolicyPreset("reorder"));
    return sim.trace_hash();
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(SimulatorTest, FaultsAreTraced) {
  auto run = [](bool with_fault) {
    Simulator sim(SimulatorOptions{.seed = 1});
    if (with_fault) {
      auto rule = sim.faults().AddRule(faultfs::FaultRule{
          .name = "eio-once",
          .when = {.ops = {faultfs::FileOp::kCreateDir}, .nth = 1},
          .kind = faultfs::FaultKind::kEio});
      EXPECT_TRUE(rule.ok());
    }
    absl::Status status;
    sim.RunInFiber("mkdir", [&] { status = sim.env().file_system->CreateDir("/d"); });
    EXPECT_EQ(IsIOError(status), with_fault);
    EXPECT_EQ(sim.faults().fault_count(), with_fault ? 1u : 0u);
    return sim.trace_hash();
  };
  EXPECT_NE(run(true), run(false));
}

}  // namespace
}  // namespace kiln::sim
