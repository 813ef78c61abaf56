// A bump allocator for the memtable: entries and skiplist nodes are carved
// out of blocks and all freed together when the arena dies, so the memtable
// pays one allocation per block instead of one per entry.
//
// Blocks are kArenaBlockSizeBytes; an allocation larger than a quarter of a
// block gets a block of its own, so at most a quarter of each block is lost
// to the tail that did not fit. Blocks are zero-filled: no byte the arena
// hands out was ever uninitialised (determinism, and sanitizers stay quiet).
//
// Thread-safety: Allocate and AllocateAligned are for one thread at a time
// (the memtable's single writer). MemoryUsage() may be called from any
// thread, without a lock, concurrently with allocation. Nothing here yields.
#ifndef KILN_MEMTABLE_ARENA_H_
#define KILN_MEMTABLE_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace kiln {

inline constexpr size_t kArenaBlockSizeBytes = 4096;
// Larger requests are programmer errors (the memtable bounds its entries).
inline constexpr size_t kArenaMaxAllocationBytes = size_t{2} << 30;
inline constexpr size_t kArenaMaxAlignment = 64;

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // size_bytes of zeroed memory with no alignment guarantee, valid until the
  // arena is destroyed. REQUIRES: 0 < size_bytes <= kArenaMaxAllocationBytes.
  char* Allocate(size_t size_bytes);
  // As Allocate, aligned to alignment. REQUIRES: alignment is a power of two
  // <= kArenaMaxAlignment.
  char* AllocateAligned(size_t size_bytes, size_t alignment);

  // Bytes of every block held plus the block table: what the arena costs.
  size_t MemoryUsage() const { return memory_usage_bytes_.load(std::memory_order_relaxed); }

 private:
  // A fresh block of at least size_bytes, aligned to kArenaMaxAlignment.
  char* NewBlock(size_t size_bytes);

  // The unused tail of the current shared block.
  char* free_begin_ = nullptr;
  size_t free_bytes_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_bytes_{0};
};

}  // namespace kiln

#endif  // KILN_MEMTABLE_ARENA_H_
