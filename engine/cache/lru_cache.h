// The sharded LRU implementation of Cache (cache.h): NewShardedLruCache.
//
// Budget semantics (engine/docs/cache.md says this for embedders):
//  - A cache of capacity_bytes with 2^shard_bits shards gives each shard
//    capacity_bytes >> shard_bits; a key always lives in CacheShardOf(key).
//    Stats().capacity_bytes is the sum of the shards' capacities, which the
//    rounding may make a little smaller than capacity_bytes.
//  - An entry costs exactly its charge_bytes; the cache's own bookkeeping
//    (key copy, list links, map slot) is not charged.
//  - After every call, each shard's usage is at most its capacity. Insert
//    evicts the shard's least recently used entries (Lookup hits count as
//    use) until the new entry fits; it never evicts from other shards.
//  - Insert of a charge larger than the shard's capacity retains nothing and
//    evicts nothing, but still removes an older value under the same key, so
//    a Lookup never returns a value its caller has replaced.
//  - Eviction, replacement and Erase drop only the cache's reference; the
//    cache releases it after unlocking, because the last reference's
//    destructor (an open table closing its file) may yield.
//  - Destroying the cache releases its values oldest first (a deterministic
//    order, never the hash map's).
//
// Stats: hits and misses count Lookups; inserts counts every Insert call
// (retained or not); evictions counts only entries dropped to make room, not
// replacements, Erase or rejected oversized values. Stats() reads one shard at
// a time, so under concurrent writers it is a per-shard, not a global, snapshot.
#ifndef KILN_CACHE_LRU_CACHE_H_
#define KILN_CACHE_LRU_CACHE_H_

#include <cstddef>
#include <string_view>

#include "cache/cache.h"

namespace kiln {

// The shard of a cache with 2^shard_bits shards that holds key: the top
// shard_bits bits of XXH3-64(key), so the same on every run and platform.
// REQUIRES: 0 <= shard_bits <= kMaxCacheShardBits.
size_t CacheShardOf(std::string_view key, int shard_bits);

}  // namespace kiln

#endif  // KILN_CACHE_LRU_CACHE_H_
