// A bloom filter over a memtable's point user keys, so a Get of a key the
// memtable lacks (most Gets, once the tree is larger than one memtable)
// skips the skiplist search and its cache misses.
//
// Blocked: each key maps to one 64-byte block and sets kProbes bits in it,
// so an insert or a query touches one cache line. At 10 bits per key the
// false-positive rate is about 1.5%; past its design load the rate rises and
// a query still never answers "absent" for a key that was added.
//
// Thread-safety: one Add at a time (the memtable's single writer; Add's
// updates are plain loads and stores, not atomic read-modify-writes),
// concurrently with any number of MayContain. A reader that may see a key's
// entry (its sequence was published to it through the database mutex after
// the Add) also sees the key's bits.
#ifndef KILN_MEMTABLE_MEMTABLE_FILTER_H_
#define KILN_MEMTABLE_MEMTABLE_FILTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace kiln {

class MemTableFilter {
 public:
  static constexpr size_t kBlockBytes = 64;
  static constexpr int kProbes = 6;

  // The filter of a user key, computed once per Get for every memtable.
  static uint64_t Hash(std::string_view user_key);

  // REQUIRES: bytes >= kBlockBytes. Rounded down to whole blocks.
  explicit MemTableFilter(size_t bytes);

  void Add(uint64_t hash);
  // Brings hash's block toward the cache for an Add soon after.
  void Prefetch(uint64_t hash) const;
  bool MayContain(uint64_t hash) const;

  size_t size_bytes() const { return num_blocks_ * kBlockBytes; }

 private:
  static constexpr size_t kWordsPerBlock = kBlockBytes / sizeof(uint64_t);
  // The first word of hash's block.
  size_t BlockStart(uint64_t hash) const;

  const size_t num_blocks_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace kiln

#endif  // KILN_MEMTABLE_MEMTABLE_FILTER_H_
