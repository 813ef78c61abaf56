// Reads through the Db: ReadOptions (checksums, cache filling), prefix scans
// that skip tables by their prefix filter, and iterators over trees with far
// more tables than a merge may have children.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/file_names.h"
#include "gtest/gtest.h"
#include "kiln/db.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

using Model = std::map<std::string, std::string>;

class DbReadTest : public testing::EnvTest {
 protected:
  Options BaseOptions() {
    Options options;
    options.env = &env();
    options.create_if_missing = true;
    options.durability = Durability::kBuffered;
    // Flushes and compactions happen only when the test asks.
    options.background_tasks = 0;
    options.l0_compaction_trigger = 1000;
    options.l0_slowdown_trigger = 1000;
    options.l0_stop_trigger = 1000;
    return options;
  }
  std::string DbPath() { return Path("db"); }
  std::unique_ptr<Db> OpenDb(const Options& options) {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, DbPath());
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }
  // The one table in the database.
  std::string OnlyTablePath() {
    absl::StatusOr<std::vector<std::string>> names = env().file_system->ListDir(DbPath());
    EXPECT_TRUE(names.ok()) << names.status();
    std::vector<std::string> tables;
    for (const std::string& name : *names) {
      if (ClassifyFileName(name) == FileKind::kTable) tables.push_back(name);
    }
    EXPECT_EQ(tables.size(), 1u);
    return tables.empty() ? "" : DbPath() + "/" + tables[0];
  }
};

Model ScanForward(Db& db, const ReadOptions& options = {}) {
  Model out;
  std::unique_ptr<Iterator> it = db.NewIterator(options);
  for (it->SeekToFirst(); it->Valid(); it->Next()) out[std::string(it->key())] = std::string(it->value());
  EXPECT_TRUE(it->status().ok()) << it->status();
  return out;
}

Model ScanBackward(Db& db, const ReadOptions& options = {}) {
  Model out;
  std::unique_ptr<Iterator> it = db.NewIterator(options);
  std::string previous;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    EXPECT_TRUE(previous.empty() || it->key() < previous) << it->key();
    previous = std::string(it->key());
    out[previous] = std::string(it->value());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  return out;
}

Model PrefixOf(const Model& model, const std::string& prefix) {
  Model out;
  for (auto it = model.lower_bound(prefix); it != model.end() && it->first.starts_with(prefix); ++it) {
    out.insert(*it);
  }
  return out;
}

TEST_P(DbReadTest, VerifyChecksumsFalseReadsADamagedBlockUncheckedAndNeverCachesIt) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.default_bucket.compression = Compression::kNone;  // find the value's bytes
    const std::string value(200, 'V');
    {
      std::unique_ptr<Db> db = OpenDb(options);
      ASSERT_NE(db, nullptr);
      ASSERT_TRUE(db->Put("key", value).ok());
      ASSERT_TRUE(db->Flush().ok());
      ASSERT_TRUE(db->Close().ok());
    }
    // Damage one byte of the value inside the data block.
    const std::string table_path = OnlyTablePath();
    {
      absl::StatusOr<std::unique_ptr<File>> file =
          env().file_system->OpenFile(table_path, OpenMode::kReadWrite);
      ASSERT_TRUE(file.ok()) << file.status();
      absl::StatusOr<uint64_t> size = (*file)->Size();
      ASSERT_TRUE(size.ok());
      std::string bytes(*size, '\0');
      ASSERT_TRUE((*file)->Read(0, std::span<char>(bytes.data(), bytes.size())).ok());
      const size_t at = bytes.find(value);
      ASSERT_NE(at, std::string::npos);
      ASSERT_TRUE((*file)->Write(at + 7, "W").ok());
      ASSERT_TRUE((*file)->Sync().ok());
      ASSERT_TRUE((*file)->Close().ok());
    }
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    // Unchecked, the damaged bytes come back (the caller asked for speed).
    absl::StatusOr<std::optional<std::string>> unchecked =
        db->Get("key", ReadOptions{.verify_checksums = false});
    ASSERT_TRUE(unchecked.ok()) << unchecked.status();
    ASSERT_TRUE(unchecked->has_value());
    EXPECT_NE(**unchecked, value);
    EXPECT_EQ((*unchecked)->size(), value.size());
    // Checked (the default), the damage is caught even right after the
    // unchecked read: it did not put the block in the cache.
    absl::StatusOr<std::optional<std::string>> checked = db->Get("key");
    EXPECT_TRUE(IsCorruption(checked.status())) << checked.status();
    std::unique_ptr<Iterator> it = db->NewIterator();
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    EXPECT_TRUE(IsCorruption(it->status())) << it->status();
    std::unique_ptr<Iterator> unchecked_it = db->NewIterator(ReadOptions{.verify_checksums = false});
    unchecked_it->SeekToFirst();
    ASSERT_TRUE(unchecked_it->Valid()) << unchecked_it->status();
    EXPECT_EQ(unchecked_it->key(), "key");
    ASSERT_TRUE(db->Close().ok());
  });
}

TEST_P(DbReadTest, FillCacheFalseInsertsNoBlocks) {
  RunInEnv([&] {
    Options options = BaseOptions();
    {
      std::unique_ptr<Db> db = OpenDb(options);
      ASSERT_NE(db, nullptr);
      for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(db->Put("key" + std::to_string(i), std::string(50, 'v')).ok());
      }
      ASSERT_TRUE(db->Flush().ok());
      ASSERT_TRUE(db->Close().ok());
    }
    std::unique_ptr<Db> db = OpenDb(options);  // an empty block cache
    ASSERT_NE(db, nullptr);
    const ReadOptions no_fill{.fill_cache = false};
    Stats before = db->GetStats();
    for (int round = 0; round < 3; ++round) {
      ASSERT_TRUE(db->Get("key7", no_fill).ok());
      EXPECT_EQ(ScanForward(*db, no_fill).size(), 100u);
    }
    Stats after = db->GetStats();
    EXPECT_EQ(after.cache_hits, before.cache_hits) << "a fill_cache=false read cached a block";
    EXPECT_GT(after.cache_misses, before.cache_misses);

    // The default fills the cache: the second read of a block hits.
    ASSERT_TRUE(db->Get("key7").ok());
    before = db->GetStats();
    ASSERT_TRUE(db->Get("key7").ok());
    after = db->GetStats();
    EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
    // And cached blocks serve fill_cache=false reads too.
    ASSERT_TRUE(db->Get("key7", no_fill).ok());
    EXPECT_EQ(db->GetStats().cache_hits, after.cache_hits + 1);
    ASSERT_TRUE(db->Close().ok());
  });
}

TEST_P(DbReadTest, PrefixScanSkipsTablesButStillAppliesTheirRangeTombstones) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.default_bucket.prefix_length = 4;
    options.target_file_size_bytes = 256;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    Model model;
    auto put = [&](const std::string& key) {
      const std::string value = "value-of-" + key;
      ASSERT_TRUE(db->Put(key, value).ok());
      model[key] = value;
    };
    // Every L0 table spans the whole keyspace but holds one prefix in the
    // middle, so only its filter can rule it out of a scan.
    const std::vector<std::string> prefixes = {"bbbb", "cccc", "dddd", "eeee"};
    for (const std::string& prefix : prefixes) {
      put("aaaa-" + prefix);
      for (int i = 0; i < 5; ++i) put(prefix + std::to_string(i));
      put("zzzz-" + prefix);
      ASSERT_TRUE(db->Flush().ok());
    }
    // A table whose only "cccc" content is a tombstone: its filter excludes
    // "cccc", yet the tombstone must hide cccc1..cccc2.
    put("aaaa-tombstone");
    put("zzzz-tombstone");
    ASSERT_TRUE(db->DeleteRange("cccc1", "cccc3").ok());
    model.erase("cccc1");
    model.erase("cccc2");
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_EQ(db->GetStats().tables_per_level[0], prefixes.size() + 1);

    auto check_prefixes = [&] {
      for (std::string prefix : {"bbbb", "cccc", "dddd", "eeee", "ffff", "cccc2"}) {
        const ReadOptions read{.prefix = prefix};
        EXPECT_EQ(ScanForward(*db, read), PrefixOf(model, prefix)) << prefix;
        EXPECT_EQ(ScanBackward(*db, read), PrefixOf(model, prefix)) << prefix;
      }
      EXPECT_EQ(ScanForward(*db), model);
    };
    const uint64_t skipped_before = db->GetStats().tables_skipped_by_prefix;
    check_prefixes();
    const uint64_t skipped_l0 = db->GetStats().tables_skipped_by_prefix;
    EXPECT_GT(skipped_l0, skipped_before) << "no L0 table was skipped";

    // The same through level iterators: tiny files, so a level has many.
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    ASSERT_EQ(db->GetStats().tables_per_level[0], 0u);
    check_prefixes();
    EXPECT_GT(db->GetStats().tables_skipped_by_prefix, skipped_l0) << "no level table was skipped";
    ASSERT_TRUE(db->Close().ok());
  });
}

// More tables than a merge may have children (kMaxMergingChildren = 1024),
// in L1+ under L0 tables and memtable writes, against a model.
// Two overlapping L0 tables of keys "key0000".."key0399" (even, then odd).
Model FillTwoLevel0Tables(Db& db) {
  Model model;
  for (int parity = 0; parity < 2; ++parity) {
    for (int i = parity; i < 400; i += 2) {
      std::string key = std::to_string(i);
      key = "key" + std::string(4 - key.size(), '0') + key;
      EXPECT_TRUE(db.Put(key, "value" + key).ok());
      model[key] = "value" + key;
    }
    EXPECT_TRUE(db.Flush().ok());
  }
  return model;
}

TEST_P(DbReadTest, SeeksThatReadL0TablesPayForTheirCompaction) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.l0_seek_compaction_bytes = 1024;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    const Model model = FillTwoLevel0Tables(*db);
    const Stats before = db->GetStats();
    ASSERT_EQ(before.tables_per_level[0], 2u);
    // Compacting rewrites both tables (L1 is empty): one seek per KiB.
    const uint64_t seeks_due = (before.bytes_per_level[0] + 1023) / 1024;
    ASSERT_GT(seeks_due, 2u);
    EXPECT_EQ(db->DoMaintenanceStep().value_or(true), false);

    Random random = env().NewRandom("seeks");
    std::unique_ptr<Iterator> it = db->NewIterator();
    auto seek = [&] {
      const std::string target = "key" + std::to_string(10000 + random.Uniform(400)).substr(1);
      it->Seek(target);
      ASSERT_TRUE(it->Valid()) << target << ": " << it->status();
      EXPECT_EQ(it->key(), model.lower_bound(target)->first);
    };
    for (uint64_t i = 0; i + 1 < seeks_due; ++i) seek();
    EXPECT_EQ(db->DoMaintenanceStep().value_or(true), false) << "compacted before the seeks paid";
    seek();
    EXPECT_EQ(db->DoMaintenanceStep().value_or(false), true);
    const Stats after = db->GetStats();
    EXPECT_EQ(after.tables_per_level[0], 0u);
    EXPECT_EQ(after.compactions, before.compactions + 1);
    // The old iterator still reads its own tables; a new one the compacted.
    seek();
    EXPECT_EQ(ScanForward(*db), model);
    EXPECT_TRUE(db->CheckInvariants().ok());
    // One table in L1: seeks read no extra table, so nothing more is due.
    for (uint64_t i = 0; i < 10 * seeks_due; ++i) seek();
    EXPECT_EQ(db->DoMaintenanceStep().value_or(true), false);
    it.reset();
    ASSERT_TRUE(db->Close().ok());
  });
}

TEST_P(DbReadTest, SeekCompactionOffOrOutOfBoundsLeavesL0Alone) {
  RunInEnv([&] {
    for (const bool off : {true, false}) {
      Options options = BaseOptions();
      options.l0_seek_compaction_bytes = off ? 0 : 1024;
      absl::StatusOr<std::unique_ptr<Db>> opened =
          Db::Open(options, Path(off ? "db-off" : "db-bounded"));
      ASSERT_TRUE(opened.ok()) << opened.status();
      std::unique_ptr<Db>& db = *opened;
      const Model model = FillTwoLevel0Tables(*db);
      // Off: no seek counts. On: bounds that leave the iterator one table
      // (the [a, b) range holds neither table's keys) count none either.
      ReadOptions read;
      if (!off) {
        read.lower_bound = "a";
        read.upper_bound = "b";
      }
      std::unique_ptr<Iterator> it = db->NewIterator(read);
      for (int i = 0; i < 10000; ++i) it->Seek(off ? "key0100" : "a");
      EXPECT_EQ(db->DoMaintenanceStep().value_or(true), false) << (off ? "off" : "bounded");
      EXPECT_EQ(db->GetStats().tables_per_level[0], 2u);
      it.reset();
      ASSERT_TRUE(db->Close().ok());
    }
  });
}

TEST_P(DbReadTest, BackgroundTasksCompactL0ForSeeks) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.l0_seek_compaction_bytes = 1024;
    options.background_tasks = 1;
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    const Model model = FillTwoLevel0Tables(*db);
    // Bounded: the compaction is woken at the 64th seek and runs while the
    // seeks go on (each yields to it under the simulator).
    int seeks = 0;
    for (; seeks < 100000 && db->GetStats().tables_per_level[0] > 0; ++seeks) {
      std::unique_ptr<Iterator> it = db->NewIterator();
      it->Seek("key0200");
      ASSERT_TRUE(it->Valid()) << it->status();
    }
    EXPECT_EQ(db->GetStats().tables_per_level[0], 0u) << "after " << seeks << " seeks";
    EXPECT_EQ(ScanForward(*db), model);
    ASSERT_TRUE(db->Close().ok());
  });
}

TEST_P(DbReadTest, ManyTablesIterateLikeTheModelBothWays) {
  RunInEnv([&] {
    Options options = BaseOptions();
    options.target_file_size_bytes = 1;  // one user key per compaction output
    options.max_open_tables = 64;        // tables are opened and evicted as scans move
    std::unique_ptr<Db> db = OpenDb(options);
    ASSERT_NE(db, nullptr);
    Random random = env().NewRandom("db_read_test");
    Model model;
    constexpr int kKeys = 1200;
    auto key_of = [](uint64_t i) {
      std::string key = std::to_string(i);
      return "key" + std::string(6 - key.size(), '0') + key;
    };
    auto write_random = [&](int count, uint64_t round) {
      for (int n = 0; n < count; ++n) {
        const uint64_t i = random.Uniform(kKeys);
        const uint64_t action = random.Uniform(20);
        if (action == 0) {
          const uint64_t end = std::min<uint64_t>(kKeys, i + 1 + random.Uniform(20));
          ASSERT_TRUE(db->DeleteRange(key_of(i), key_of(end)).ok());
          model.erase(model.lower_bound(key_of(i)), model.lower_bound(key_of(end)));
        } else if (action < 4) {
          ASSERT_TRUE(db->Delete(key_of(i)).ok());
          model.erase(key_of(i));
        } else {
          const std::string value = "v" + std::to_string(round) + "-" + std::to_string(n);
          ASSERT_TRUE(db->Put(key_of(i), value).ok());
          model[key_of(i)] = value;
        }
      }
    };
    // Two overlapping L0 tables (even keys, odd keys), so the compaction
    // merges them rather than moving one table down whole.
    for (int parity = 0; parity < 2; ++parity) {
      for (int i = parity; i < kKeys; i += 2) {
        ASSERT_TRUE(db->Put(key_of(i), "base" + std::to_string(i)).ok());
        model[key_of(i)] = "base" + std::to_string(i);
      }
      ASSERT_TRUE(db->Flush().ok());
    }
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    write_random(300, 1);
    ASSERT_TRUE(db->Flush().ok());
    write_random(300, 2);
    ASSERT_TRUE(db->Flush().ok());
    write_random(100, 3);  // stays in the memtable

    const Stats stats = db->GetStats();
    uint64_t tables = 0;
    for (uint64_t count : stats.tables_per_level) tables += count;
    ASSERT_GT(tables, 1024u) << "the tree is too small to test the bound";
    ASSERT_TRUE(db->CheckInvariants().ok());

    EXPECT_EQ(ScanForward(*db), model);
    EXPECT_EQ(ScanBackward(*db), model);
    // Random seeks, each followed by a few steps in a random direction.
    std::unique_ptr<Iterator> it = db->NewIterator();
    constexpr int kSeeks = 200;
    constexpr int kSteps = 6;
    for (int s = 0; s < kSeeks; ++s) {
      const std::string target = key_of(random.Uniform(kKeys + 1));
      const bool backward = random.Uniform(2) == 0;
      auto expected = model.lower_bound(target);
      if (backward) {
        it->SeekForPrev(target);
        expected = model.upper_bound(target);
      } else {
        it->Seek(target);
      }
      for (int step = 0; step < kSteps; ++step) {
        if (backward) {
          if (expected == model.begin()) {
            ASSERT_FALSE(it->Valid()) << "past the front at " << target;
            break;
          }
          --expected;
        } else if (expected == model.end()) {
          ASSERT_FALSE(it->Valid()) << "past the end at " << target;
          break;
        }
        ASSERT_TRUE(it->Valid()) << target << ": " << it->status();
        ASSERT_EQ(it->key(), expected->first);
        ASSERT_EQ(it->value(), expected->second);
        if (backward) {
          it->Prev();
        } else {
          it->Next();
          ++expected;
        }
      }
      ASSERT_TRUE(it->status().ok()) << it->status();
    }
    ASSERT_TRUE(db->Close().ok());
  });
}

KILN_INSTANTIATE_ENV_TEST(DbReadTest);

}  // namespace
}  // namespace kiln
