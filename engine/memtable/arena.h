// A bump allocator for the memtable: entries and skiplist nodes are carved
// out of blocks and all freed together when the arena dies, so the memtable
// pays one allocation per block instead of one per entry.
//
// Blocks are kArenaBlockSizeBytes until the arena holds kArenaLargeBlockBytes;
// after that they are kArenaLargeBlockBytes, aligned to it, and offered to
// MemoryHints::PreferHugePages. A skiplist search is a chain of dependent
// loads at random addresses: in 4 KiB pages a large memtable misses the TLB
// on most of them (costly under virtualisation), so inserts into a 16 MB
// memtable took about twice as long as with huge pages. Small memtables
// (tests, tiny budgets) never reach large blocks.
//
// With an ArenaBlockPool, large blocks come from the pool when it has one
// and go back to it when the arena dies (arena_block_pool.h).
//
// An allocation larger than a quarter of the current block size gets a block
// of its own, so at most a quarter of each block is lost to the tail that
// did not fit. Every allocation is zero-filled as it is handed out: no byte
// the arena hands out was ever uninitialised (determinism, and sanitizers
// stay quiet), including the bytes of a block a dead arena left in the pool.
//
// Thread-safety: Allocate and AllocateAligned are for one thread at a time
// (the memtable's single writer). MemoryUsage() may be called from any
// thread, without a lock, concurrently with allocation. Nothing here yields.
#ifndef KILN_MEMTABLE_ARENA_H_
#define KILN_MEMTABLE_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "kiln/env.h"
#include "memtable/arena_block_pool.h"

namespace kiln {

inline constexpr size_t kArenaBlockSizeBytes = 4096;
// The block size, and alignment, once the arena holds this much: one huge
// page on x86-64 and arm64 Linux.
inline constexpr size_t kArenaLargeBlockBytes = size_t{2} << 20;
// Larger requests are programmer errors (the memtable bounds its entries).
inline constexpr size_t kArenaMaxAllocationBytes = size_t{2} << 30;
inline constexpr size_t kArenaMaxAlignment = 64;

class Arena {
 public:
  // hints (nullable, not owned, outlives the arena) sees the large blocks
  // when they are new; pool (nullable) lends and takes back large blocks.
  explicit Arena(const MemoryHints* hints = nullptr, std::shared_ptr<ArenaBlockPool> pool = nullptr)
      : hints_(hints), pool_(std::move(pool)) {}
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
  // A fresh block of size_bytes, aligned to alignment (a power of two
  // >= kArenaMaxAlignment); not zeroed (allocations are).
  char* NewBlock(size_t size_bytes, size_t alignment);
  // A kArenaLargeBlockBytes block, from the pool if it has one (holding what
  // its last arena left; allocations are zeroed).
  char* NewLargeBlock();
  // Holds block until the arena dies and counts it.
  void Keep(char* block, size_t size_bytes, size_t alignment);
  // The size of the next shared block.
  size_t SharedBlockBytes() const;

  // Large blocks (alignment kArenaLargeBlockBytes) go back to pool, if
  // any and it has room; others are freed.
  struct BlockDeleter {
    size_t alignment;
    ArenaBlockPool* pool;
    void operator()(char* block) const;
  };

  const MemoryHints* const hints_;
  // Declared before blocks_, so it outlives the blocks it takes back.
  const std::shared_ptr<ArenaBlockPool> pool_;
  // The unused tail of the current shared block.
  char* free_begin_ = nullptr;
  size_t free_bytes_ = 0;
  std::vector<std::unique_ptr<char, BlockDeleter>> blocks_;
  std::atomic<size_t> memory_usage_bytes_{0};
};

}  // namespace kiln

#endif  // KILN_MEMTABLE_ARENA_H_
