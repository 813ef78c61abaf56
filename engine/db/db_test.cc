// The Db contract under the real Env and the simulator.
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/file_names.h"
#include "faultfs/fault_rule.h"
#include "gtest/gtest.h"
#include "kiln/db.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

class DbTest : public testing::EnvTest {
 protected:
  Options BaseOptions() {
    Options options;
    options.env = &env();
    options.create_if_missing = true;
    return options;
  }
  std::string DbPath() { return Path("db"); }
  std::unique_ptr<Db> OpenDb(const Options& options) {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, DbPath());
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }
};

std::optional<std::string> MustGet(Db& db, std::string_view key, const ReadOptions& options = {}) {
  absl::StatusOr<std::optional<std::string>> value = db.Get(key, options);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : std::nullopt;
}

std::map<std::string, std::string> Scan(Iterator& it) {
  std::map<std::string, std::string> out;
  for (it.SeekToFirst(); it.Valid(); it.Next()) out[std::string(it.key())] = std::string(it.value());
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

std::map<std::string, std::string> ScanDb(Db& db, const ReadOptions& options = {}) {
  std::unique_ptr<Iterator> it = db.NewIterator(options);
  return Scan(*it);
}

TEST_P(DbTest, PutGetDeleteDeleteRange) {
  RunInEnv([&] {
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    absl::StatusOr<CommitInfo> first = db->Put("a", "1");
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(db->Put("b", "2").ok());
    ASSERT_TRUE(db->Put("c", "3").ok());
    ASSERT_TRUE(db->Put("d", "4").ok());
    EXPECT_EQ(MustGet(*db, "a"), "1");
    EXPECT_EQ(MustGet(*db, "zz"), std::nullopt);
    absl::StatusOr<CommitInfo> deleted = db->Delete("a");
    ASSERT_TRUE(deleted.ok());
    EXPECT_GT(deleted->sequence, first->sequence);
    EXPECT_EQ(MustGet(*db, "a"), std::nullopt);
    ASSERT_TRUE(db->DeleteRange("b", "d").ok());
    EXPECT_EQ(MustGet(*db, "b"), std::nullopt);
    EXPECT_EQ(MustGet(*db, "c"), std::nullopt);
    EXPECT_EQ(MustGet(*db, "d"), "4");
    ASSERT_TRUE(db->Put("c", "again").ok());
    EXPECT_EQ(MustGet(*db, "c"), "again");
    // The same answers from tables.
    ASSERT_TRUE(db->Flush().ok());
    EXPECT_EQ(MustGet(*db, "a"), std::nullopt);
    EXPECT_EQ(MustGet(*db, "b"), std::nullopt);
    EXPECT_EQ(MustGet(*db, "c"), "again");
    EXPECT_EQ(MustGet(*db, "d"), "4");
    EXPECT_EQ(ScanDb(*db), (std::map<std::string, std::string>{{"c", "again"}, {"d", "4"}}));
    EXPECT_TRUE(db->CheckInvariants().ok());
    EXPECT_GE(db->GetStats().flushes, 1u);
    ASSERT_TRUE(db->Close().ok());
    EXPECT_EQ(db->Put("x", "y").status().code(), absl::StatusCode::kFailedPrecondition);
  });
}

TEST_P(DbTest, BatchesAcrossBucketsAreAtomicAndSurviveReopen) {
  RunInEnv([&] {
    {
      std::unique_ptr<Db> db = OpenDb(BaseOptions());
      ASSERT_NE(db, nullptr);
      absl::StatusOr<Bucket*> users = db->GetOrCreateBucket("users");
      ASSERT_TRUE(users.ok()) << users.status();
      EXPECT_EQ(*db->GetOrCreateBucket("users"), *users);
      WriteBatch batch;
      ASSERT_TRUE(batch.Put("k", "default-value").ok());
      ASSERT_TRUE(batch.Put("k", "users-value", *users).ok());
      ASSERT_TRUE(batch.Put("k2", "x", *users).ok());
      ASSERT_TRUE(batch.Delete("k2", *users).ok());  // later entries win
      ASSERT_TRUE(db->Write(batch).ok());
      EXPECT_EQ(MustGet(*db, "k"), "default-value");
      auto value = (*users)->Get("k");
      ASSERT_TRUE(value.ok());
      EXPECT_EQ(*value, "users-value");
      EXPECT_EQ(*(*users)->Get("k2"), std::nullopt);
      ASSERT_TRUE(db->Close().ok());
    }
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    absl::StatusOr<Bucket*> users = db->GetOrCreateBucket("users");
    ASSERT_TRUE(users.ok());
    EXPECT_EQ(MustGet(*db, "k"), "default-value");
    EXPECT_EQ(*(*users)->Get("k"), "users-value");
    EXPECT_EQ(*(*users)->Get("k2"), std::nullopt);
    std::unique_ptr<Iterator> it = (*users)->NewIterator();
    EXPECT_EQ(Scan(*it), (std::map<std::string, std::string>{{"k", "users-value"}}));
  });
}

TEST_P(DbTest, IteratorsBothDirectionsWithBoundsAndPrefix) {
  RunInEnv([&] {
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    for (const char* key : {"a1", "a2", "b1", "b2", "b3", "c1"}) {
      ASSERT_TRUE(db->Put(key, std::string("v") + key).ok());
    }
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put("b4", "vb4").ok());  // one in the memtable
    ASSERT_TRUE(db->Delete("b2").ok());
    std::unique_ptr<Iterator> it = db->NewIterator();
    std::vector<std::string> backward;
    for (it->SeekToLast(); it->Valid(); it->Prev()) backward.emplace_back(it->key());
    EXPECT_EQ(backward, (std::vector<std::string>{"c1", "b4", "b3", "b1", "a2", "a1"}));
    it->Seek("b2");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "b3");
    it->SeekForPrev("b2");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "b1");
    EXPECT_EQ(it->value(), "vb1");

    ReadOptions bounded;
    bounded.lower_bound = "a2";
    bounded.upper_bound = "b4";
    std::unique_ptr<Iterator> bounded_it = db->NewIterator(bounded);
    EXPECT_EQ(Scan(*bounded_it), (std::map<std::string, std::string>{
                                     {"a2", "va2"}, {"b1", "vb1"}, {"b3", "vb3"}}));
    ReadOptions prefixed;
    prefixed.prefix = "b";
    std::unique_ptr<Iterator> prefix_it = db->NewIterator(prefixed);
    std::vector<std::string> keys;
    for (prefix_it->SeekToLast(); prefix_it->Valid(); prefix_it->Prev()) {
      keys.emplace_back(prefix_it->key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"b4", "b3", "b1"}));
  });
}

TEST_P(DbTest, SnapshotsAreStableAcrossFlushCompactionAndRangeDeletion) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.background_tasks = 0;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(db->Put("key" + std::to_string(i), "old" + std::to_string(i)).ok());
    }
    std::unique_ptr<Snapshot> snapshot = db->GetSnapshot();
    const std::map<std::string, std::string> before = ScanDb(*db);
    ASSERT_EQ(before.size(), 50u);
    ASSERT_TRUE(db->DeleteRange("key1", "key3").ok());
    for (int i = 0; i < 50; i += 2) ASSERT_TRUE(db->Put("key" + std::to_string(i), "new").ok());
    ASSERT_TRUE(db->Delete("key49").ok());
    const std::map<std::string, std::string> after = ScanDb(*db);
    ReadOptions at_snapshot;
    at_snapshot.snapshot = snapshot.get();
    for (int round = 0; round < 3; ++round) {
      EXPECT_EQ(ScanDb(*db, at_snapshot), before) << round;
      EXPECT_EQ(MustGet(*db, "key10", at_snapshot), "old10");
      EXPECT_EQ(MustGet(*db, "key49", at_snapshot), "old49");
      EXPECT_EQ(ScanDb(*db), after) << round;
      EXPECT_EQ(MustGet(*db, "key10"), "new");
      EXPECT_EQ(MustGet(*db, "key11"), std::nullopt);
      if (round == 0) {
        ASSERT_TRUE(db->Flush().ok());
      }
      if (round == 1) {
        ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
      }
      ASSERT_TRUE(db->CheckInvariants().ok());
    }
    snapshot.reset();
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    EXPECT_EQ(ScanDb(*db), after);
  });
}

TEST_P(DbTest, ReadOnlyOpenSeesDataAndCannotWrite) {
  RunInEnv([&] {
    {
      Options options = BaseOptions();
      options.durability = Durability::kSyncData;
      std::unique_ptr<Db> db = OpenDb(options);
      ASSERT_NE(db, nullptr);
      ASSERT_TRUE(db->Put("flushed", "1").ok());
      ASSERT_TRUE(db->Flush().ok());
      ASSERT_TRUE(db->Put("in-wal", "2").ok());
      ASSERT_TRUE(db->Close().ok());
    }
    Options options = BaseOptions();
    options.read_only = true;
    options.create_if_missing = false;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(MustGet(*db, "flushed"), "1");
    EXPECT_EQ(MustGet(*db, "in-wal"), "2");
    EXPECT_FALSE(db->Put("x", "y").ok());
    EXPECT_FALSE(db->Flush().ok());
    // A read-only open takes no lock: a writer may open beside it.
    std::unique_ptr<Db> writer = OpenDb(BaseOptions());
    EXPECT_NE(writer, nullptr);
  });
}

TEST_P(DbTest, SecondOpenIsBusyAndMissingDatabaseIsNotFound) {
  RunInEnv([&] {
    Options missing = BaseOptions();
    missing.create_if_missing = false;
    EXPECT_FALSE(Db::Open(missing, DbPath()).ok());
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    absl::StatusOr<std::unique_ptr<Db>> second = Db::Open(BaseOptions(), DbPath());
    EXPECT_TRUE(IsBusy(second.status())) << second.status();
    ASSERT_TRUE(db->Close().ok());
    db.reset();
    Options exclusive = BaseOptions();
    exclusive.error_if_exists = true;
    EXPECT_FALSE(Db::Open(exclusive, DbPath()).ok());
    EXPECT_TRUE(Db::Open(BaseOptions(), DbPath()).ok());
  });
}

TEST_P(DbTest, LimitsAreInvalidArgument) {
  RunInEnv([&] {
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    const std::string big_key(kMaxKeyBytes + 1, 'k');
    EXPECT_EQ(db->Put(big_key, "v").status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(db->Get(big_key).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(db->DeleteRange("b", "a").status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(db->GetOrCreateBucket("").status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(db->GetOrCreateBucket(std::string(kMaxBucketNameBytes + 1, 'b')).status().code(),
              absl::StatusCode::kInvalidArgument);
    Options bad = BaseOptions();
    bad.l0_stop_trigger = 1;
    EXPECT_EQ(Db::Open(bad, Path("other")).status().code(), absl::StatusCode::kInvalidArgument);
  });
}

// Many writes with a tiny memtable and tiny tables force flushes and
// compactions; the Db must always agree with a std::map, also after reopen.
void RunModelTest(DbTest& test, Options options, int ops, uint64_t seed) {
  Random random(seed);
  std::map<std::string, std::string> model;
  auto key_of = [&](uint64_t i) {
    char buffer[16];
    snprintf(buffer, sizeof(buffer), "key%05llu", static_cast<unsigned long long>(i));
    return std::string(buffer);
  };
  std::unique_ptr<Db> db = *Db::Open(options, test.Path("db"));
  for (int op = 0; op < ops; ++op) {
    const uint64_t kind = random.Uniform(20);
    const std::string key = key_of(random.Uniform(400));
    if (kind < 14) {
      const std::string value = key + "-" + std::to_string(op) + std::string(random.Uniform(64), 'x');
      ASSERT_TRUE(db->Put(key, value).ok());
      model[key] = value;
    } else if (kind < 18) {
      ASSERT_TRUE(db->Delete(key).ok());
      model.erase(key);
    } else if (kind < 19) {
      const std::string end = key_of(random.Uniform(400) + 1);
      if (key < end) {
        ASSERT_TRUE(db->DeleteRange(key, end).ok());
        model.erase(model.lower_bound(key), model.lower_bound(end));
      }
    } else {
      const std::optional<std::string> expected =
          model.count(key) ? std::optional<std::string>(model[key]) : std::nullopt;
      ASSERT_EQ(MustGet(*db, key), expected) << key << " at op " << op;
    }
    if (options.background_tasks == 0 && random.OneIn(8)) {
      ASSERT_TRUE(db->DoMaintenanceStep().ok());
    }
    if (op % 500 == 499) {
      ASSERT_EQ(ScanDb(*db), model) << "op " << op;
      ASSERT_TRUE(db->CheckInvariants().ok());
    }
  }
  ASSERT_EQ(ScanDb(*db), model);
  const Stats stats = db->GetStats();
  EXPECT_GT(stats.flushes, 2u);
  EXPECT_GT(stats.compactions, 0u);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  options.create_if_missing = false;
  db = *Db::Open(options, test.Path("db"));
  ASSERT_EQ(ScanDb(*db), model);
  for (const auto& [key, value] : model) ASSERT_EQ(MustGet(*db, key), value);
  ASSERT_TRUE(db->CheckInvariants().ok());
}

Options SmallTreeOptions(Options options) {
  options.memtable_budget_bytes = 16 << 10;  // generations of ~8 KiB
  options.target_file_size_bytes = 8 << 10;
  options.level1_target_bytes = 32 << 10;
  options.l0_compaction_trigger = 2;
  options.l0_slowdown_trigger = 4;
  options.l0_stop_trigger = 8;
  options.durability = Durability::kBuffered;
  options.default_bucket.block_size_bytes = 512;
  return options;
}

TEST_P(DbTest, ManualMaintenanceAgreesWithAModel) {
  RunInEnv([&] {
    Options options = SmallTreeOptions(BaseOptions());
    options.background_tasks = 0;
    RunModelTest(*this, options, 4000, 7 + GetParam().seed);
  });
}

TEST_P(DbTest, BackgroundMaintenanceAgreesWithAModel) {
  RunInEnv([&] {
    Options options = SmallTreeOptions(BaseOptions());
    options.background_tasks = 2;
    RunModelTest(*this, options, 4000, 11 + GetParam().seed);
  });
}

TEST_P(DbTest, WaitingForAFlushCountsAsAStall) {
  if (!simulated()) GTEST_SKIP() << "whether a writer waits depends on OS thread timing";
  RunInEnv([&] {
    Options options = SmallTreeOptions(BaseOptions());
    options.background_tasks = 1;
    // No L0 slowdown or stop: only the memtable budget can hold writers up.
    options.l0_slowdown_trigger = 1 << 20;
    options.l0_stop_trigger = 1 << 20;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    const std::string value(100, 'v');
    // Writes never yield until they must wait, so they outrun the flushes.
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(db->Put("key" + std::to_string(i), value).ok());
    }
    const Stats stats = db->GetStats();
    EXPECT_GT(stats.flushes, 2u);
    EXPECT_GT(stats.stalls, 0u);
    ASSERT_TRUE(db->Close().ok());
  });
}

TEST_P(DbTest, MappedTableReadsAgreeWithAModel) {
  RunInEnv([&] {
    Options options = SmallTreeOptions(BaseOptions());
    options.background_tasks = 2;
    options.map_table_files = true;
    RunModelTest(*this, options, 4000, 13 + GetParam().seed);
  });
}

// Runs write(task, i) for i in [0, writes_per_task) on each of tasks tasks
// at once, and joins them.
void RunWriterTasks(const Env& env, int tasks, int writes_per_task,
                    const std::function<void(int, int)>& write) {
  std::vector<std::unique_ptr<Task>> running;
  for (int t = 0; t < tasks; ++t) {
    running.push_back(env.scheduler->Spawn("writer", [&, t] {
      for (int i = 0; i < writes_per_task; ++i) write(t, i);
    }));
  }
  for (auto& task : running) task->Join();
}

// Each task's commit sequences, in the order its writes returned: checks
// that every task made all its writes and saw its sequences increase, and
// returns them all.
std::set<uint64_t> CheckedTaskSequences(const std::vector<std::vector<uint64_t>>& sequences,
                                        int writes_per_task) {
  std::set<uint64_t> all;
  for (const auto& per_task : sequences) {
    EXPECT_EQ(per_task.size(), static_cast<size_t>(writes_per_task));
    for (size_t i = 1; i < per_task.size(); ++i) EXPECT_LT(per_task[i - 1], per_task[i]);
    all.insert(per_task.begin(), per_task.end());
  }
  return all;
}

TEST_P(DbTest, GroupCommitFromSeveralTasks) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.durability = Durability::kSyncData;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    constexpr int kTasks = 6;
    constexpr int kWritesPerTask = 40;
    std::vector<std::vector<uint64_t>> sequences(kTasks);
    RunWriterTasks(env(), kTasks, kWritesPerTask, [&](int t, int i) {
      absl::StatusOr<CommitInfo> commit =
          db->Put("t" + std::to_string(t) + "-" + std::to_string(i), std::to_string(i));
      ASSERT_TRUE(commit.ok()) << commit.status();
      sequences[t].push_back(commit->sequence);
    });
    const std::set<uint64_t> all = CheckedTaskSequences(sequences, kWritesPerTask);
    EXPECT_EQ(all.size(), size_t{kTasks * kWritesPerTask});  // distinct sequences
    EXPECT_EQ(ScanDb(*db).size(), size_t{kTasks * kWritesPerTask});
    const Stats stats = db->GetStats();
    EXPECT_LE(stats.wal_syncs, uint64_t{kTasks * kWritesPerTask} + 1);
    ASSERT_TRUE(db->Persist(Durability::kSyncAll).ok());
  });
}

// Many writers at once, buffered and synced: each is finished by whichever
// leader's group took it and returns while that leader may still be waking
// the rest (a follower's parking outlives it). Under the OS threads this is
// the test to run with --config=tsan and --config=asan.
TEST_P(DbTest, ManyWritersEachGetTheirOwnCommit) {
  RunInEnv([&] {
    std::unique_ptr<Db> db = OpenDb(BaseOptions());
    ASSERT_NE(db, nullptr);
    constexpr int kTasks = 16;
    constexpr int kWritesPerTask = 300;
    std::vector<std::vector<uint64_t>> sequences(kTasks);
    RunWriterTasks(env(), kTasks, kWritesPerTask, [&](int t, int i) {
      WriteOptions write_options;
      // Every fifth write syncs: its group waits on the WAL while more queue.
      if (i % 5 == 0) write_options.durability = Durability::kSyncData;
      absl::StatusOr<CommitInfo> commit = db->Put("t" + std::to_string(t) + "-" + std::to_string(i),
                                                  std::to_string(t * i), write_options);
      ASSERT_TRUE(commit.ok()) << commit.status();
      sequences[t].push_back(commit->sequence);
    });
    const std::set<uint64_t> all = CheckedTaskSequences(sequences, kWritesPerTask);
    EXPECT_EQ(all.size(), size_t{kTasks * kWritesPerTask});
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(*all.rbegin() - *all.begin() + 1, all.size()) << "sequences have gaps";
    for (int t = 0; t < kTasks; ++t) {
      for (int i = 0; i < kWritesPerTask; i += 37) {
        EXPECT_EQ(MustGet(*db, "t" + std::to_string(t) + "-" + std::to_string(i)),
                  std::to_string(t * i));
      }
    }
  });
}

// Writers released by one sync come straight back; the next leader gathers
// them (GatherSyncGroup) instead of syncing alone ahead of them, so eight
// writers share each sync. Without the gathering, groups alternate 1 and 7:
// a quarter as many syncs as writes.
TEST_P(DbTest, SyncWritersShareEachSync) {
  if (!simulated()) GTEST_SKIP() << "group sizes depend on OS thread timing";
  RunInEnv([&] {
    Options options = BaseOptions();
    options.durability = Durability::kSyncData;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    constexpr int kTasks = 8;
    constexpr int kWritesPerTask = 40;
    const uint64_t syncs_before = db->GetStats().wal_syncs;
    RunWriterTasks(env(), kTasks, kWritesPerTask, [&](int t, int i) {
      ASSERT_TRUE(db->Put("t" + std::to_string(t) + "-" + std::to_string(i), "v").ok());
    });
    const uint64_t syncs = db->GetStats().wal_syncs - syncs_before;
    EXPECT_LE(syncs, uint64_t{kTasks * kWritesPerTask / 6}) << "writes per sync too few";
    EXPECT_GE(syncs, uint64_t{kWritesPerTask});  // no group holds one task twice
  });
}

TEST_P(DbTest, AFailedWalSyncMakesTheDatabaseReadOnly) {
  if (!simulated()) GTEST_SKIP() << "fault injection needs the simulator";
  RunInEnv([&] {
    Options options = BaseOptions();
    options.durability = Durability::kSyncAll;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put("before", "1").ok());
    faultfs::FaultRule rule;
    rule.name = "wal sync fails";
    rule.when.ops = {faultfs::FileOp::kSync};
    rule.when.file_kinds = {FileKind::kWal};
    ASSERT_TRUE(simulator()->faults().AddRule(rule).ok());
    absl::StatusOr<CommitInfo> failed = db->Put("during", "2");
    EXPECT_FALSE(failed.ok());
    absl::StatusOr<CommitInfo> later = db->Put("after", "3");
    EXPECT_FALSE(later.ok());
    EXPECT_EQ(later.status(), failed.status());
    EXPECT_FALSE(db->Persist(Durability::kSyncAll).ok());
    EXPECT_EQ(MustGet(*db, "before"), "1");
  });
}

KILN_INSTANTIATE_ENV_TEST(DbTest);

}  // namespace
}  // namespace kiln
