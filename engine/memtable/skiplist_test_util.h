// Keys for skiplist tests: a uint64_t stored in the arena, ordered by value.
#ifndef KILN_MEMTABLE_SKIPLIST_TEST_UTIL_H_
#define KILN_MEMTABLE_SKIPLIST_TEST_UTIL_H_

#include <cstdint>
#include <cstring>

#include "memtable/arena.h"

namespace kiln::testing {

inline uint64_t DecodeTestKey(const char* key) {
  uint64_t value;
  std::memcpy(&value, key, sizeof(value));
  return value;
}

// The stored copy lives as long as arena.
inline const char* NewTestKey(Arena& arena, uint64_t value) {
  char* key = arena.Allocate(sizeof(value));
  std::memcpy(key, &value, sizeof(value));
  return key;
}

// Allocates value's entry inside a new node of list; the caller inserts it.
template <typename List>
const char* NewListKey(List& list, uint64_t value) {
  char* key = list.AllocateEntry(sizeof(value));
  std::memcpy(key, &value, sizeof(value));
  return key;
}

struct TestKeyCompare {
  int operator()(const char* a, const char* b) const {
    const uint64_t x = DecodeTestKey(a);
    const uint64_t y = DecodeTestKey(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // Coarse on purpose, so searches take both the prefix and the full path.
  SkipListKeyPrefix OrderPrefix(const char* key) const {
    const uint64_t value = DecodeTestKey(key);
    return {.high = value / 256, .low = value % 256 / 16};
  }
};

}  // namespace kiln::testing

#endif  // KILN_MEMTABLE_SKIPLIST_TEST_UTIL_H_
