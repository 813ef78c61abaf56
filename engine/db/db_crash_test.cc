// The crash property under the simulator: writers commit batches under
// kSyncAll while background work runs; the machine crashes at a random step
// with each crash preset; after recovery every acknowledged batch is present,
// every batch is all-or-nothing, and each writer's batches form a prefix.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faultfs/crash_policy.h"
#include "gtest/gtest.h"
#include "kiln/db.h"
#include "sim/simulator.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

constexpr int kWriters = 3;
constexpr int kBatchesPerWriter = 60;
constexpr int kKeysPerBatch = 3;
constexpr int kRoundsPerPreset = 2;

class DbCrashTest : public testing::EnvTest {};

std::string KeyOf(int writer, int round, int batch, int part) {
  return "w" + std::to_string(writer) + "-r" + std::to_string(round) + "-b" +
         std::to_string(batch) + "-" + std::to_string(part);
}

TEST_P(DbCrashTest, RecoveryKeepsAcknowledgedBatchesWhole) {
  if (!simulated()) GTEST_SKIP() << "crashes need the simulator";
  Random random = env().NewRandom("db crash test");
  Options options;
  options.env = &env();
  options.create_if_missing = true;
  options.durability = Durability::kSyncAll;
  options.memtable_budget_bytes = 4 << 10;
  options.target_file_size_bytes = 4 << 10;
  options.l0_compaction_trigger = 2;
  options.background_tasks = 1;
  const std::string path = Path("db");
  RunInEnv([&] { ASSERT_TRUE(env().file_system->SyncDir("/").ok()); });
  int round = 0;
  int crashes_mid_workload = 0;
  for (const faultfs::NamedCrashPolicy& preset : faultfs::CrashPolicyPresets()) {
    for (int r = 0; r < kRoundsPerPreset; ++r, ++round) {
      const std::string context = std::string(preset.name) + " round " + std::to_string(round);
      std::shared_ptr<Db> db;
      // Not RunInEnv: the Db's background task stays alive after the open.
      simulator()->RunInFiber("open", [&] {
        absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(options, path);
        ASSERT_TRUE(opened.ok()) << context << ": " << opened.status();
        db = std::move(*opened);
      });
      ASSERT_NE(db, nullptr);
      // acked[w] = how many of writer w's batches were acknowledged.
      std::vector<int> acked(kWriters, 0);
      for (int w = 0; w < kWriters; ++w) {
        simulator()->runtime().SpawnDetached("writer", [db, w, round, &acked] {
          for (int b = 0; b < kBatchesPerWriter; ++b) {
            WriteBatch batch;
            for (int part = 0; part < kKeysPerBatch; ++part) {
              if (!batch.Put(KeyOf(w, round, b, part), std::to_string(b)).ok()) return;
            }
            if (!batch.Put("last-w" + std::to_string(w) + "-r" + std::to_string(round),
                           std::to_string(b))
                     .ok()) {
              return;
            }
            if (!db->Write(batch).ok()) return;
            acked[w] = b + 1;
          }
        });
      }
      static_cast<void>(simulator()->Run({.max_steps = 200 + random.Uniform(4000)}));
      std::vector<int> acked_at_crash = acked;
      for (int count : acked_at_crash) {
        if (count > 0 && count < kBatchesPerWriter) ++crashes_mid_workload;
      }
      simulator()->Crash(preset.policy, [&db] { db.reset(); });
      RunInEnv([&] {
        Options reopen = options;
        reopen.create_if_missing = false;
        absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(reopen, path);
        ASSERT_TRUE(opened.ok()) << context << ": " << opened.status();
        Db& recovered = **opened;
        ASSERT_TRUE(recovered.CheckInvariants().ok()) << context;
        for (int w = 0; w < kWriters; ++w) {
          int present = 0;
          for (int b = 0; b < kBatchesPerWriter; ++b) {
            int parts = 0;
            for (int part = 0; part < kKeysPerBatch; ++part) {
              absl::StatusOr<std::optional<std::string>> value =
                  recovered.Get(KeyOf(w, round, b, part));
              ASSERT_TRUE(value.ok()) << context << ": " << value.status();
              if (value->has_value()) {
                ASSERT_EQ(**value, std::to_string(b)) << context;
                ++parts;
              }
            }
            ASSERT_TRUE(parts == 0 || parts == kKeysPerBatch)
                << context << ": batch " << b << " of writer " << w << " is partial";
            if (parts == kKeysPerBatch) {
              ASSERT_EQ(present, b) << context << ": writer " << w << " has a hole";
              ++present;
            }
          }
          ASSERT_GE(present, acked_at_crash[w]) << context << ": lost an acknowledged batch";
          absl::StatusOr<std::optional<std::string>> last =
              recovered.Get("last-w" + std::to_string(w) + "-r" + std::to_string(round));
          ASSERT_TRUE(last.ok());
          if (present > 0) {
            ASSERT_EQ(*last, std::to_string(present - 1)) << context;
          } else {
            ASSERT_EQ(*last, std::nullopt) << context;
          }
        }
        ASSERT_TRUE(recovered.Close().ok());
      });
    }
  }
  EXPECT_GT(crashes_mid_workload, 0) << "no crash hit a writer mid-workload";
}

KILN_INSTANTIATE_ENV_TEST(DbCrashTest);

}  // namespace
}  // namespace kiln
