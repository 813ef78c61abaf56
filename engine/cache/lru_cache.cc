#include "cache/lru_cache.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "util/assert.h"
#include "util/checksum.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

using ValuePtr = std::shared_ptr<const CacheValue>;

absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// One cached value, linked into its shard's recency list. It lives in a
// node_hash_map node, so its address and its key's are stable while cached.
struct LruEntry {
  ValuePtr value;
  size_t charge_bytes = 0;
  const std::string* key = nullptr;  // the map node's key
  LruEntry* older = nullptr;
  LruEntry* newer = nullptr;
};

// One shard: a map from key to entry and a recency list.
//
// Invariants, under mutex_ and after every public call:
//  1. The list holds exactly the map's entries, least recently used first.
//  2. usage_bytes_ is the sum of the entries' charges, and
//     usage_bytes_ <= capacity_bytes_.
//  3. Every entry has a non-null value and 0 < charge_bytes <= capacity_bytes_.
//
// The map is only ever searched, never iterated: its order depends on
// absl's per-process hash seed, while everything observable (which entry is
// evicted, the order values are released) follows the list.
//
// Thread-safety: public methods are safe to call concurrently; each may yield
// while taking mutex_ and, after releasing it, while dropping values.
class LruShard {
 public:
  LruShard(Scheduler& scheduler, size_t capacity_bytes)
      : capacity_bytes_(capacity_bytes), mutex_(scheduler.NewMutex()) {
    head_.older = &head_;
    head_.newer = &head_;
  }
  // REQUIRES: no concurrent call. May yield (releasing the values).
  ~LruShard();

  LruShard(const LruShard&) = delete;
  LruShard& operator=(const LruShard&) = delete;

  ValuePtr Lookup(std::string_view key);
  void Insert(std::string_view key, ValuePtr value, size_t charge_bytes);
  void Erase(std::string_view key);
  // Adds this shard's counters to stats.
  void AddStatsTo(CacheStats& stats);

 private:
  using Map = absl::node_hash_map<std::string, LruEntry>;

  void Unlink(LruEntry& entry);
  void LinkNewest(LruEntry& entry);
  // Unlinks and erases the entry at it, moving its value into dropped so the
  // caller releases it after unlocking. REQUIRES: mutex_ held.
  void Remove(Map::iterator it, std::vector<ValuePtr>& dropped);

  const size_t capacity_bytes_;
  const std::unique_ptr<Mutex> mutex_;
  // Guarded by mutex_:
  Map map_;
  // The list's sentinel: head_.newer is the least recently used entry,
  // head_.older the most recently used; both are &head_ when empty.
  LruEntry head_;
  size_t usage_bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t inserts_ = 0;
  uint64_t evictions_ = 0;
};

LruShard::~LruShard() {
  // Release oldest first so values' destructors run in an order that does not
  // depend on hashing; walking the list also re-checks invariants 1 and 2.
  size_t entries = 0;
  size_t usage_bytes = 0;
  for (LruEntry* entry = head_.newer; entry != &head_; entry = entry->newer) {
    ++entries;
    KILN_ASSERT(entries <= map_.size());
    usage_bytes += entry->charge_bytes;
    entry->value.reset();
  }
  KILN_ASSERT(entries == map_.size());
  KILN_ASSERT(usage_bytes == usage_bytes_);
}

void LruShard::Unlink(LruEntry& entry) {
  entry.older->newer = entry.newer;
  entry.newer->older = entry.older;
  entry.older = nullptr;
  entry.newer = nullptr;
}

void LruShard::LinkNewest(LruEntry& entry) {
  entry.older = head_.older;
  entry.newer = &head_;
  head_.older->newer = &entry;
  head_.older = &entry;
}

void LruShard::Remove(Map::iterator it, std::vector<ValuePtr>& dropped) {
  mutex_->AssertHeld();
  LruEntry& entry = it->second;
  KILN_ASSERT(entry.charge_bytes <= usage_bytes_);
  Unlink(entry);
  usage_bytes_ -= entry.charge_bytes;
  dropped.push_back(std::move(entry.value));
  map_.erase(it);
}

ValuePtr LruShard::Lookup(std::string_view key) {
  MutexLock lock(*mutex_);
  const Map::iterator it = map_.find(ToAbsl(key));
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  LruEntry& entry = it->second;
  Unlink(entry);
  LinkNewest(entry);
  return entry.value;
}

void LruShard::Insert(std::string_view key, ValuePtr value, size_t charge_bytes) {
  // Declared before the lock so the values are released after unlocking.
  std::vector<ValuePtr> dropped;
  MutexLock lock(*mutex_);
  ++inserts_;
  const Map::iterator old = map_.find(ToAbsl(key));
  KILN_PROBE(old != map_.end(), "Insert replaces a cached value");
  if (old != map_.end()) Remove(old, dropped);
  if (charge_bytes > capacity_bytes_) {
    KILN_PROBE(true, "a value larger than its shard's capacity is not retained");
    dropped.push_back(std::move(value));
    return;
  }
  // Written as a subtraction (charge_bytes <= capacity_bytes_ here) so a
  // capacity near SIZE_MAX cannot overflow. Each pass removes one entry, so
  // the loop ends within map_.size() passes.
  size_t evicted = 0;
  while (usage_bytes_ > capacity_bytes_ - charge_bytes) {
    LruEntry* const oldest = head_.newer;
    KILN_ASSERT(oldest != &head_);  // usage_bytes_ > 0 implies an entry
    const Map::iterator it = map_.find(ToAbsl(*oldest->key));
    KILN_ASSERT(it != map_.end());
    Remove(it, dropped);
    ++evictions_;
    ++evicted;
  }
  KILN_PROBE(evicted > 1, "one Insert evicts several entries");
  const auto [it, inserted] = map_.try_emplace(std::string(key));
  KILN_ASSERT(inserted);
  LruEntry& entry = it->second;
  entry.key = &it->first;
  entry.value = std::move(value);
  entry.charge_bytes = charge_bytes;
  LinkNewest(entry);
  usage_bytes_ += charge_bytes;
  KILN_DASSERT(usage_bytes_ <= capacity_bytes_);
}

void LruShard::Erase(std::string_view key) {
  std::vector<ValuePtr> dropped;  // released after unlocking
  MutexLock lock(*mutex_);
  const Map::iterator it = map_.find(ToAbsl(key));
  if (it != map_.end()) Remove(it, dropped);
}

void LruShard::AddStatsTo(CacheStats& stats) {
  MutexLock lock(*mutex_);
  stats.hits += hits_;
  stats.misses += misses_;
  stats.inserts += inserts_;
  stats.evictions += evictions_;
  stats.usage_bytes += usage_bytes_;
  stats.capacity_bytes += capacity_bytes_;
  stats.entries += map_.size();
}

// Spreads keys over 2^shard_bits LruShards so that concurrent readers of
// different keys rarely contend for one lock.
class ShardedLruCache final : public Cache {
 public:
  ShardedLruCache(Scheduler& scheduler, size_t capacity_bytes, int shard_bits)
      : shard_bits_(shard_bits) {
    KILN_ASSERT(shard_bits >= 0);
    KILN_ASSERT(shard_bits <= kMaxCacheShardBits);
    const size_t shard_count = size_t{1} << shard_bits;
    shards_.reserve(shard_count);
    for (size_t i = 0; i < shard_count; ++i) {
      shards_.push_back(std::make_unique<LruShard>(scheduler, capacity_bytes >> shard_bits));
    }
  }

  ValuePtr Lookup(std::string_view key) override { return ShardOf(key).Lookup(key); }

  void Insert(std::string_view key, ValuePtr value, size_t charge_bytes) override {
    KILN_ASSERT(value != nullptr);
    KILN_ASSERT(charge_bytes > 0);
    ShardOf(key).Insert(key, std::move(value), charge_bytes);
  }

  void Erase(std::string_view key) override { ShardOf(key).Erase(key); }

  CacheStats Stats() override {
    CacheStats stats;
    for (const std::unique_ptr<LruShard>& shard : shards_) shard->AddStatsTo(stats);
    return stats;
  }

 private:
  // Asserts the key bound for every method.
  LruShard& ShardOf(std::string_view key) { return *shards_[CacheShardOf(key, shard_bits_)]; }

  const int shard_bits_;
  std::vector<std::unique_ptr<LruShard>> shards_;
};

}  // namespace

size_t CacheShardOf(std::string_view key, int shard_bits) {
  KILN_ASSERT(key.size() <= kMaxCacheKeyBytes);
  KILN_ASSERT(shard_bits >= 0);
  KILN_ASSERT(shard_bits <= kMaxCacheShardBits);
  if (shard_bits == 0) return 0;  // a shift by 64 would be undefined
  return static_cast<size_t>(Checksum64(key) >> (64 - shard_bits));
}

std::unique_ptr<Cache> NewShardedLruCache(Scheduler& scheduler, size_t capacity_bytes,
                                          int shard_bits) {
  return std::make_unique<ShardedLruCache>(scheduler, capacity_bytes, shard_bits);
}

}  // namespace kiln
