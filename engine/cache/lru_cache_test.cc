#include "cache/lru_cache.h"

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

// A cached value that remembers which key and charge it was inserted with.
struct TestValue final : CacheValue {
  TestValue(int id, size_t charge_bytes) : id(id), charge_bytes(charge_bytes) {}
  int id;
  size_t charge_bytes;
};

std::shared_ptr<const CacheValue> MakeValue(int id, size_t charge_bytes = 1) {
  return std::make_shared<const TestValue>(id, charge_bytes);
}

// -1 for a miss.
int IdOf(const std::shared_ptr<const CacheValue>& value) {
  return value == nullptr ? -1 : static_cast<const TestValue&>(*value).id;
}

std::string Key(int i) { return "key" + std::to_string(i); }

class LruCacheTest : public testing::EnvTest {
 protected:
  std::unique_ptr<Cache> NewCache(size_t capacity_bytes, int shard_bits) {
    return NewShardedLruCache(*env().scheduler, capacity_bytes, shard_bits);
  }
};

TEST_P(LruCacheTest, InsertLookupErase) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(1000, 2);
    EXPECT_EQ(cache->Lookup("a"), nullptr);
    std::shared_ptr<const CacheValue> a = MakeValue(1);
    cache->Insert("a", a, 10);
    cache->Insert("b", MakeValue(2), 20);
    EXPECT_EQ(cache->Lookup("a"), a);  // the same object, not a copy
    EXPECT_EQ(IdOf(cache->Lookup("b")), 2);
    cache->Erase("a");
    EXPECT_EQ(cache->Lookup("a"), nullptr);
    cache->Erase("a");        // erasing an absent key is a no-op
    cache->Erase("missing");  // likewise
    EXPECT_EQ(IdOf(cache->Lookup("b")), 2);
    const CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.entries, 1u);
    EXPECT_EQ(stats.usage_bytes, 20u);
  });
}

TEST_P(LruCacheTest, EvictsLeastRecentlyUsedFirst) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(10, 0);
    cache->Insert("a", MakeValue(1), 3);
    cache->Insert("b", MakeValue(2), 3);
    cache->Insert("c", MakeValue(3), 3);
    ASSERT_NE(cache->Lookup("a"), nullptr);  // a is now the most recently used
    cache->Insert("d", MakeValue(4), 3);     // 12 > 10: evicts b, the LRU
    EXPECT_EQ(cache->Lookup("b"), nullptr);
    EXPECT_EQ(IdOf(cache->Lookup("c")), 3);
    EXPECT_EQ(IdOf(cache->Lookup("a")), 1);
    EXPECT_EQ(IdOf(cache->Lookup("d")), 4);
    // Recency is now c, a, d (oldest first): a charge of 7 must evict c and a.
    cache->Insert("e", MakeValue(5), 7);
    EXPECT_EQ(cache->Lookup("c"), nullptr);
    EXPECT_EQ(cache->Lookup("a"), nullptr);
    EXPECT_EQ(IdOf(cache->Lookup("d")), 4);
    EXPECT_EQ(IdOf(cache->Lookup("e")), 5);
    const CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.usage_bytes, 10u);
    EXPECT_EQ(stats.entries, 2u);
    EXPECT_EQ(stats.evictions, 3u);
  });
}

TEST_P(LruCacheTest, OversizedEntryIsNotRetained) {
  RunInEnv([&] {
    // 4 shards of 10 bytes: 11 bytes fits the total budget but no shard.
    std::unique_ptr<Cache> cache = NewCache(40, 2);
    cache->Insert("small", MakeValue(1), 10);
    cache->Insert("big", MakeValue(2), 11);
    EXPECT_EQ(cache->Lookup("big"), nullptr);
    EXPECT_EQ(IdOf(cache->Lookup("small")), 1);  // nothing was evicted for it
    CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.usage_bytes, 10u);
    EXPECT_EQ(stats.entries, 1u);
    EXPECT_EQ(stats.evictions, 0u);

    // An oversized replacement still removes the stale value under its key.
    cache->Insert("small", MakeValue(3), 11);
    EXPECT_EQ(cache->Lookup("small"), nullptr);
    stats = cache->Stats();
    EXPECT_EQ(stats.usage_bytes, 0u);
    EXPECT_EQ(stats.entries, 0u);
  });
}

TEST_P(LruCacheTest, ZeroCapacityRetainsNothing) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(0, 0);
    cache->Insert("a", MakeValue(1), 1);
    EXPECT_EQ(cache->Lookup("a"), nullptr);
    EXPECT_EQ(cache->Stats().entries, 0u);
  });
}

TEST_P(LruCacheTest, ReplacementAdjustsUsage) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(100, 0);
    cache->Insert("a", MakeValue(1), 40);
    cache->Insert("b", MakeValue(2), 30);
    cache->Insert("a", MakeValue(3), 60);  // 30 + 60 fits: replacing is not evicting
    CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.usage_bytes, 90u);
    EXPECT_EQ(stats.entries, 2u);
    EXPECT_EQ(stats.evictions, 0u);
    EXPECT_EQ(IdOf(cache->Lookup("a")), 3);
    cache->Insert("a", MakeValue(4), 5);
    stats = cache->Stats();
    EXPECT_EQ(stats.usage_bytes, 35u);
    EXPECT_EQ(stats.entries, 2u);
    EXPECT_EQ(IdOf(cache->Lookup("a")), 4);
    EXPECT_EQ(IdOf(cache->Lookup("b")), 2);
  });
}

TEST_P(LruCacheTest, HeldValueSurvivesEviction) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(10, 0);
    cache->Insert("a", MakeValue(7, 10), 10);
    std::shared_ptr<const CacheValue> held = cache->Lookup("a");
    ASSERT_NE(held, nullptr);
    const std::weak_ptr<const CacheValue> watch = held;
    cache->Insert("b", MakeValue(8), 10);  // evicts a
    EXPECT_EQ(cache->Lookup("a"), nullptr);
    EXPECT_EQ(IdOf(held), 7);  // still alive and intact
    held.reset();
    EXPECT_TRUE(watch.expired());  // the cache kept no reference of its own
  });
}

TEST_P(LruCacheTest, DestroyingTheCacheReleasesValues) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(100, 3);
    std::vector<std::weak_ptr<const CacheValue>> watches;
    for (int i = 0; i < 20; ++i) {
      std::shared_ptr<const CacheValue> value = MakeValue(i);
      watches.push_back(value);
      cache->Insert(Key(i), std::move(value), 1);
    }
    cache.reset();
    for (const auto& watch : watches) EXPECT_TRUE(watch.expired());
  });
}

TEST_P(LruCacheTest, StatsCountsAreExact) {
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(100, 2);
    const CacheStats empty = cache->Stats();
    EXPECT_EQ(empty.capacity_bytes, 100u);
    EXPECT_EQ(empty.hits + empty.misses + empty.inserts + empty.evictions, 0u);

    // 25 bytes per shard. Three keys of the same shard, 10 bytes each.
    std::vector<std::string> keys;
    const size_t shard = CacheShardOf(Key(0), 2);
    for (int i = 0; keys.size() < 3; ++i) {
      ASSERT_LT(i, 1000);
      if (CacheShardOf(Key(i), 2) == shard) keys.push_back(Key(i));
    }
    cache->Insert(keys[0], MakeValue(0), 10);
    cache->Insert(keys[1], MakeValue(1), 10);
    cache->Insert(keys[2], MakeValue(2), 10);  // evicts keys[0]
    EXPECT_EQ(cache->Lookup(keys[0]), nullptr);
    EXPECT_NE(cache->Lookup(keys[1]), nullptr);
    EXPECT_NE(cache->Lookup(keys[2]), nullptr);
    EXPECT_NE(cache->Lookup(keys[2]), nullptr);
    cache->Insert(keys[1], MakeValue(3), 30);  // oversized: counted, not retained
    cache->Erase(keys[2]);
    const CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.hits, 3u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.inserts, 4u);
    EXPECT_EQ(stats.evictions, 1u);
    EXPECT_EQ(stats.usage_bytes, 0u);
    EXPECT_EQ(stats.entries, 0u);
    EXPECT_EQ(stats.capacity_bytes, 100u);
  });
}

TEST_P(LruCacheTest, CapacityIsTheSumOfShardCapacities) {
  RunInEnv([&] {
    EXPECT_EQ(NewCache(100, 3)->Stats().capacity_bytes, 96u);  // 8 shards of 12
    EXPECT_EQ(NewCache(100, 0)->Stats().capacity_bytes, 100u);
  });
}

// A straightforward LRU per shard, to compare the cache against.
class ModelCache {
 public:
  ModelCache(size_t capacity_bytes, int shard_bits)
      : shard_bits_(shard_bits),
        shard_capacity_bytes_(capacity_bytes >> shard_bits),
        shards_(size_t{1} << shard_bits) {}

  int Lookup(const std::string& key) {
    Shard& shard = shards_[CacheShardOf(key, shard_bits_)];
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
      ++stats_.misses;
      return -1;
    }
    ++stats_.hits;
    shard.recency.remove(key);
    shard.recency.push_back(key);
    return it->second.id;
  }

  void Insert(const std::string& key, int id, size_t charge_bytes) {
    Shard& shard = shards_[CacheShardOf(key, shard_bits_)];
    ++stats_.inserts;
    Remove(shard, key);
    if (charge_bytes > shard_capacity_bytes_) return;
    while (shard.usage_bytes + charge_bytes > shard_capacity_bytes_) {
      Remove(shard, shard.recency.front());
      ++stats_.evictions;
    }
    shard.entries[key] = {id, charge_bytes};
    shard.recency.push_back(key);
    shard.usage_bytes += charge_bytes;
  }

  void Erase(const std::string& key) { Remove(shards_[CacheShardOf(key, shard_bits_)], key); }

  CacheStats Stats() const {
    CacheStats stats = stats_;
    for (const Shard& shard : shards_) {
      stats.usage_bytes += shard.usage_bytes;
      stats.entries += shard.entries.size();
      stats.capacity_bytes += shard_capacity_bytes_;
    }
    return stats;
  }

 private:
  struct Entry {
    int id;
    size_t charge_bytes;
  };
  struct Shard {
    std::map<std::string, Entry> entries;
    std::list<std::string> recency;  // least recently used first
    size_t usage_bytes = 0;
  };

  static void Remove(Shard& shard, const std::string& key) {
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) return;
    shard.usage_bytes -= it->second.charge_bytes;
    shard.recency.remove(key);
    shard.entries.erase(it);
  }

  const int shard_bits_;
  const size_t shard_capacity_bytes_;
  std::vector<Shard> shards_;
  CacheStats stats_;  // hits, misses, inserts, evictions
};

void ExpectSameStats(const CacheStats& actual, const CacheStats& expected, int step) {
  EXPECT_EQ(actual.hits, expected.hits) << "step " << step;
  EXPECT_EQ(actual.misses, expected.misses) << "step " << step;
  EXPECT_EQ(actual.inserts, expected.inserts) << "step " << step;
  EXPECT_EQ(actual.evictions, expected.evictions) << "step " << step;
  EXPECT_EQ(actual.usage_bytes, expected.usage_bytes) << "step " << step;
  EXPECT_EQ(actual.entries, expected.entries) << "step " << step;
  EXPECT_EQ(actual.capacity_bytes, expected.capacity_bytes) << "step " << step;
}

TEST_P(LruCacheTest, RandomOperationsMatchAModelLru) {
  constexpr int kSteps = 3000;
  constexpr int kKeys = 48;
  constexpr size_t kCapacityBytes = 256;
  RunInEnv([&] {
    for (int shard_bits : {0, 2}) {
      SCOPED_TRACE("shard_bits " + std::to_string(shard_bits));
      Random random(MixSeed(GetParam().seed, static_cast<uint64_t>(shard_bits)));
      std::unique_ptr<Cache> cache = NewCache(kCapacityBytes, shard_bits);
      ModelCache model(kCapacityBytes, shard_bits);
      for (int step = 0; step < kSteps; ++step) {
        const std::string key = Key(static_cast<int>(random.Uniform(kKeys)));
        const uint64_t op = random.Uniform(10);
        if (op < 5) {
          ASSERT_EQ(IdOf(cache->Lookup(key)), model.Lookup(key)) << "step " << step;
        } else if (op < 9) {
          // Mostly small charges; now and then one above a 4-way shard's 64 bytes.
          const size_t charge_bytes = random.OneIn(20) ? random.Range(60, 300) : random.Range(1, 40);
          cache->Insert(key, MakeValue(step, charge_bytes), charge_bytes);
          model.Insert(key, step, charge_bytes);
          const CacheStats stats = cache->Stats();
          ASSERT_LE(stats.usage_bytes, stats.capacity_bytes) << "step " << step;
        } else {
          cache->Erase(key);
          model.Erase(key);
        }
        ExpectSameStats(cache->Stats(), model.Stats(), step);
        if (HasFailure()) return;
      }
    }
  });
}

TEST_P(LruCacheTest, ConcurrentTasksKeepInvariants) {
  constexpr int kTasks = 4;
  constexpr int kOpsPerTask = 600;
  constexpr int kKeys = 64;
  constexpr size_t kCapacityBytes = 1024;
  struct TaskCounts {
    uint64_t lookups = 0;
    uint64_t inserts = 0;
    int wrong_values = 0;   // a Lookup returned a value inserted under another key
    int over_budget = 0;    // Stats() showed usage above capacity
  };
  RunInEnv([&] {
    std::unique_ptr<Cache> cache = NewCache(kCapacityBytes, 2);
    std::vector<TaskCounts> counts(kTasks);
    std::vector<std::unique_ptr<Task>> tasks;
    for (int t = 0; t < kTasks; ++t) {
      tasks.push_back(env().scheduler->Spawn("cache_worker", [&, t] {
        Random random(MixSeed(GetParam().seed, static_cast<uint64_t>(t)));
        TaskCounts& mine = counts[t];
        for (int i = 0; i < kOpsPerTask; ++i) {
          const int key = static_cast<int>(random.Uniform(kKeys));
          const uint64_t op = random.Uniform(10);
          if (op < 5) {
            ++mine.lookups;
            const int id = IdOf(cache->Lookup(Key(key)));
            if (id != -1 && id != key) ++mine.wrong_values;
          } else if (op < 9) {
            ++mine.inserts;
            const size_t charge_bytes = random.Range(1, 100);
            cache->Insert(Key(key), MakeValue(key, charge_bytes), charge_bytes);
          } else {
            cache->Erase(Key(key));
          }
          if (i % 16 == 0) {
            const CacheStats stats = cache->Stats();
            if (stats.usage_bytes > stats.capacity_bytes) ++mine.over_budget;
          }
        }
      }));
    }
    for (auto& task : tasks) task->Join();

    TaskCounts total;
    for (const TaskCounts& c : counts) {
      total.lookups += c.lookups;
      total.inserts += c.inserts;
      total.wrong_values += c.wrong_values;
      total.over_budget += c.over_budget;
    }
    EXPECT_EQ(total.wrong_values, 0);
    EXPECT_EQ(total.over_budget, 0);
    const CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.hits + stats.misses, total.lookups);
    EXPECT_EQ(stats.inserts, total.inserts);
    EXPECT_LE(stats.usage_bytes, stats.capacity_bytes);
    // What is left is consistent: usage and entries are exactly the present values.
    size_t present = 0;
    size_t usage_bytes = 0;
    for (int key = 0; key < kKeys; ++key) {
      std::shared_ptr<const CacheValue> value = cache->Lookup(Key(key));
      if (value == nullptr) continue;
      EXPECT_EQ(IdOf(value), key);
      ++present;
      usage_bytes += static_cast<const TestValue&>(*value).charge_bytes;
    }
    EXPECT_EQ(present, stats.entries);
    EXPECT_EQ(usage_bytes, stats.usage_bytes);
  });
}

KILN_INSTANTIATE_ENV_TEST(LruCacheTest);

// The argument checks are programmer-error assertions, on in every build.
class LruCacheDeathTest : public ::testing::Test {
 protected:
  LruCacheDeathTest() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  std::unique_ptr<Cache> cache_ = NewShardedLruCache(*RealEnv().scheduler, 100, 1);
};

TEST_F(LruCacheDeathTest, KeyLongerThanTheBoundAsserts) {
  const std::string at_bound(kMaxCacheKeyBytes, 'k');
  cache_->Insert(at_bound, MakeValue(1), 1);
  EXPECT_EQ(IdOf(cache_->Lookup(at_bound)), 1);
  const std::string too_long(kMaxCacheKeyBytes + 1, 'k');
  EXPECT_DEATH(cache_->Lookup(too_long), "kMaxCacheKeyBytes");
  EXPECT_DEATH(cache_->Insert(too_long, MakeValue(1), 1), "kMaxCacheKeyBytes");
  EXPECT_DEATH(cache_->Erase(too_long), "kMaxCacheKeyBytes");
}

TEST_F(LruCacheDeathTest, NullValueOrZeroChargeAsserts) {
  EXPECT_DEATH(cache_->Insert("a", nullptr, 1), "value != nullptr");
  EXPECT_DEATH(cache_->Insert("a", MakeValue(1), 0), "charge_bytes > 0");
}

TEST(LruCacheShardTest, ShardOfIsInRangeAndSpreadsKeys) {
  EXPECT_EQ(CacheShardOf("anything", 0), 0u);
  std::vector<int> keys_per_shard(8, 0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_LT(CacheShardOf(Key(i), kMaxCacheShardBits), size_t{1} << kMaxCacheShardBits);
    ++keys_per_shard[CacheShardOf(Key(i), 3)];
  }
  for (int count : keys_per_shard) EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace kiln
