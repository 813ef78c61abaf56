// How recovery reads a chain of WALs when a retired WAL is synced only before
// a newer one is (db_impl.h, Invariant 2): a crash may cut any of them short,
// and then nothing after the cut may come back.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/file_names.h"
#include "faultfs/crash_policy.h"
#include "gtest/gtest.h"
#include "kiln/db.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "testing/test_env.h"
#include "wal/log_reader.h"

namespace kiln {
namespace {

// Enough writes at this budget for several switches, and two WALs live at
// the end (background_tasks = 0: a flush runs only when the budget is full).
constexpr int kKeys = 3000;
constexpr size_t kMemTableBudgetBytes = 256 << 10;

std::string KeyOf(int i) {
  std::string key = std::to_string(i);
  return "k" + std::string(6 - key.size(), '0') + key;
}
std::string ValueOf(int i) { return "value-" + std::to_string(i) + std::string(80, 'v'); }

class DbWalRecoveryTest : public testing::EnvTest {
 protected:
  Options BaseOptions() {
    Options options;
    options.env = &env();
    options.create_if_missing = true;
    options.durability = Durability::kFlush;
    options.memtable_budget_bytes = kMemTableBudgetBytes;
    options.background_tasks = 0;
    return options;
  }
  std::string DbPath() { return Path("db"); }

  // The WALs in the database directory, oldest first.
  std::vector<std::string> WalPaths() {
    absl::StatusOr<std::vector<std::string>> names = env().file_system->ListDir(DbPath());
    EXPECT_TRUE(names.ok()) << names.status();
    std::vector<std::string> paths;
    for (const std::string& name : *names) {
      if (ClassifyFileName(name) == FileKind::kWal) paths.push_back(DbPath() + "/" + name);
    }
    std::sort(paths.begin(), paths.end());  // fixed-width numbers
    return paths;
  }

  // Writes keys 0..kKeys-1, one record each; with sync_at set, that write is
  // synced (and the writes after it carry the proof). Closes unsynced.
  void WriteKeys(std::optional<int> sync_at) {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(BaseOptions(), DbPath());
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < kKeys; ++i) {
      WriteOptions write_options;
      if (sync_at == i) write_options.durability = Durability::kSyncData;
      ASSERT_TRUE((*db)->Put(KeyOf(i), ValueOf(i), write_options).ok());
    }
    ASSERT_TRUE((*db)->Close().ok());
  }

  // Records in the WAL at path, and the offset after the first keep of them.
  struct WalRecords {
    uint64_t records = 0;
    uint64_t end_of_kept = 0;
  };
  WalRecords ReadWal(const std::string& path, uint64_t keep) {
    absl::StatusOr<std::unique_ptr<File>> file = env().file_system->OpenFile(path, OpenMode::kRead);
    EXPECT_TRUE(file.ok()) << file.status();
    const std::string name = path.substr(path.find_last_of('/') + 1);
    LogReader reader(**file, path, std::stoull(name), {.tail_is_tolerated = true});
    WalRecords result;
    for (;;) {
      absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
      EXPECT_TRUE(record.ok()) << record.status();
      if (!record.ok() || !record->has_value()) break;
      if (++result.records == keep) result.end_of_kept = reader.valid_end_offset();
    }
    EXPECT_TRUE((*file)->Close().ok());
    return result;
  }

  void TruncateFile(const std::string& path, uint64_t size_bytes) {
    absl::StatusOr<std::unique_ptr<File>> file =
        env().file_system->OpenFile(path, OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Truncate(size_bytes).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }

  // How the older of the two live WALs is cut short.
  enum class Cut { kTornMidway, kAtRecordBoundary, kEmpty };

  // Cuts the older WAL: after half its records, inside the next record or
  // at its start, or to nothing. Returns how many keys a recovery may keep:
  // the flushed ones and what is left of the older WAL.
  int CutOlderWal(Cut cut) {
    const std::vector<std::string> wals = WalPaths();
    EXPECT_EQ(wals.size(), 2u) << "the workload should leave two WALs live";
    if (wals.size() != 2) return -1;
    const WalRecords older = ReadWal(wals[0], 0);
    const WalRecords newer = ReadWal(wals[1], 0);
    EXPECT_GT(older.records, 1u);
    EXPECT_GT(newer.records, 0u);
    const uint64_t kept = cut == Cut::kEmpty ? 0 : older.records / 2;
    const uint64_t cut_at = cut == Cut::kEmpty ? 0
                                               : ReadWal(wals[0], kept).end_of_kept +
                                                     (cut == Cut::kTornMidway ? 20 : 0);
    TruncateFile(wals[0], cut_at);
    EXPECT_EQ(ReadWal(wals[0], 0).records, kept);
    return static_cast<int>(kKeys - older.records - newer.records + kept);
  }

  // After a recovery: exactly keys [0, present) are there.
  void ExpectPrefix(Db& db, int present) {
    for (int i = 0; i < kKeys; ++i) {
      absl::StatusOr<std::optional<std::string>> value = db.Get(KeyOf(i));
      ASSERT_TRUE(value.ok()) << value.status();
      if (i < present) {
        ASSERT_EQ(*value, std::optional<std::string>(ValueOf(i))) << KeyOf(i);
      } else {
        ASSERT_EQ(*value, std::nullopt) << KeyOf(i) << " survived past the cut";
      }
    }
  }

  void ExpectRecoveryDropsTheNewerWal(Cut cut) {
    RunInEnv([&] {
      WriteKeys(std::nullopt);
      const int present = CutOlderWal(cut);
      ASSERT_GT(present, 0);
      absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(BaseOptions(), DbPath());
      ASSERT_TRUE(db.ok()) << db.status();
      ExpectPrefix(**db, present);
      ASSERT_TRUE((*db)->Close().ok());
      // The dropped WAL is gone for good: new writes do not revive it.
      db = Db::Open(BaseOptions(), DbPath());
      ASSERT_TRUE(db.ok()) << db.status();
      ExpectPrefix(**db, present);
      ASSERT_TRUE((*db)->Close().ok());
    });
  }
};

TEST_P(DbWalRecoveryTest, AnOlderWalWithATornTailDropsEveryNewerOne) {
  ExpectRecoveryDropsTheNewerWal(Cut::kTornMidway);
}

TEST_P(DbWalRecoveryTest, AnOlderWalCutAtARecordBoundaryDropsEveryNewerOne) {
  // No damage to see: the newer WAL's first sequence shows the gap.
  ExpectRecoveryDropsTheNewerWal(Cut::kAtRecordBoundary);
}

TEST_P(DbWalRecoveryTest, AnOlderWalLostWholeDropsEveryNewerOne) {
  // No sequence to follow: a WAL without records before a newer one was cut.
  ExpectRecoveryDropsTheNewerWal(Cut::kEmpty);
}

TEST_P(DbWalRecoveryTest, ACutBeforeASyncedWalIsCorruption) {
  RunInEnv([&] {
    // The synced write synced the older WAL first; the writes after it
    // carry the newer WAL's durable offset, the proof of that sync.
    WriteKeys(kKeys - 10);
    ASSERT_GT(CutOlderWal(Cut::kTornMidway), 0);
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(BaseOptions(), DbPath());
    ASSERT_FALSE(db.ok());
    EXPECT_TRUE(IsCorruption(db.status())) << db.status();
    EXPECT_NE(db.status().message().find("was synced"), std::string_view::npos) << db.status();
  });
}

TEST_P(DbWalRecoveryTest, ASyncedWriteMakesTheRetiredWalsDurable) {
  if (!simulated()) GTEST_SKIP() << "crashes need the simulator";
  const Options options = BaseOptions();
  const std::string path = DbPath();
  RunInEnv([&] { ASSERT_TRUE(env().file_system->SyncDir("/").ok()); });
  std::shared_ptr<Db> db;
  RunInEnv([&] {
    absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(options, path);
    ASSERT_TRUE(opened.ok()) << opened.status();
    db = std::move(*opened);
    // Buffered writes over several switches, then one synced write.
    for (int i = 0; i < kKeys; ++i) {
      WriteOptions write_options;
      if (i == kKeys - 1) write_options.durability = Durability::kSyncData;
      ASSERT_TRUE(db->Put(KeyOf(i), ValueOf(i), write_options).ok());
    }
    // A retired WAL was still live (not flushed) when the write synced.
    ASSERT_EQ(WalPaths().size(), 2u);
  });
  ASSERT_NE(db, nullptr);
  // Everything not synced is lost: what survives is what the sync covered.
  simulator()->Crash(*faultfs::FindCrashPolicyPreset("strict"), [&db] { db.reset(); });
  RunInEnv([&] {
    Options reopen = options;
    reopen.create_if_missing = false;
    absl::StatusOr<std::unique_ptr<Db>> recovered = Db::Open(reopen, path);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    ExpectPrefix(**recovered, kKeys);
    ASSERT_TRUE((*recovered)->Close().ok());
  });
}

KILN_INSTANTIATE_ENV_TEST(DbWalRecoveryTest);

}  // namespace
}  // namespace kiln
