// A byte-budgeted cache of immutable values (decoded blocks, open tables).
// Values are shared_ptrs: a reader that looked a value up keeps it alive even
// if the cache evicts it meanwhile, so eviction never invalidates a reader.
//
// Thread-safety: all methods are safe to call concurrently. Locks come from
// the Env's Scheduler (never an OS mutex): under simulation they are fibers'
// locks. No method yields while holding its lock except the lock itself.
#ifndef KILN_CACHE_CACHE_H_
#define KILN_CACHE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "kiln/env.h"

namespace kiln {

// Anything cached derives from this.
class CacheValue {
 public:
  virtual ~CacheValue() = default;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
  size_t usage_bytes = 0;
  size_t capacity_bytes = 0;
  size_t entries = 0;
};

// Cache keys are short fixed-width ids (a file number, a block offset); the
// bound keeps the per-entry overhead, which the charge does not count, small.
inline constexpr size_t kMaxCacheKeyBytes = 256;

// Every method REQUIRES key.size() <= kMaxCacheKeyBytes.
class Cache {
 public:
  virtual ~Cache() = default;
  // Null on a miss. May yield (takes a lock).
  virtual std::shared_ptr<const CacheValue> Lookup(std::string_view key) = 0;
  // Inserts or replaces key; charge_bytes counts against the capacity; may
  // evict least-recently-used entries (of the key's shard) to fit. A value
  // larger than its shard's capacity is not retained. May yield.
  // REQUIRES: value != nullptr; charge_bytes > 0 (so the number of entries
  // is bounded by the capacity).
  virtual void Insert(std::string_view key, std::shared_ptr<const CacheValue> value,
                      size_t charge_bytes) = 0;
  // Removes key if present. May yield.
  virtual void Erase(std::string_view key) = 0;
  virtual CacheStats Stats() = 0;
};

inline constexpr int kMaxCacheShardBits = 8;

// A sharded LRU cache: 2^shard_bits shards, each with capacity_bytes >>
// shard_bits. REQUIRES: 0 <= shard_bits <= kMaxCacheShardBits; scheduler
// outlives the cache.
std::unique_ptr<Cache> NewShardedLruCache(Scheduler& scheduler, size_t capacity_bytes,
                                          int shard_bits);

}  // namespace kiln

#endif  // KILN_CACHE_CACHE_H_
