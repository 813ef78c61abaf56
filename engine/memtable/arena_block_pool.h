// Large arena blocks (kArenaLargeBlockBytes) kept for reuse after the arena
// that held them dies, so a new memtable takes the blocks of a flushed one
// instead of asking the kernel for fresh pages. Fresh anonymous pages are
// zeroed by the kernel on first touch, and under virtualisation that first
// touch also faults on the host: in kvbench fillrandom, zeroing new memtable
// blocks was 11% of the writer thread (about 1 GB/s), while re-zeroing
// resident memory in user space runs at memset speed.
//
// The pool never raises peak memory: an arena makes a new block only when
// the pool is empty, so every pooled block was live at some earlier time
// when at least as many blocks were live. It holds at most capacity blocks;
// Give frees the rest.
//
// Thread-safety: all methods are safe on any thread, lock-free (a fixed
// array of slots); arenas die on whichever thread drops their memtable.
// Under the simulator everything runs on one OS thread, so which block a
// Take returns is reproducible (and no behaviour depends on it: the arena
// zeroes every allocation as it hands it out). Nothing here yields.
#ifndef KILN_MEMTABLE_ARENA_BLOCK_POOL_H_
#define KILN_MEMTABLE_ARENA_BLOCK_POOL_H_

#include <atomic>
#include <cstddef>
#include <memory>

namespace kiln {

// The most blocks one pool keeps: 1 GiB of 2 MiB blocks.
inline constexpr size_t kArenaBlockPoolMaxBlocks = 512;

class ArenaBlockPool {
 public:
  // REQUIRES: capacity <= kArenaBlockPoolMaxBlocks.
  explicit ArenaBlockPool(size_t capacity);
  ArenaBlockPool(const ArenaBlockPool&) = delete;
  ArenaBlockPool& operator=(const ArenaBlockPool&) = delete;
  // Frees the pooled blocks. REQUIRES: no concurrent Take or Give.
  ~ArenaBlockPool();

  // A pooled block (kArenaLargeBlockBytes, aligned to it; its contents are
  // whatever its last arena left), or null if the pool is empty.
  char* Take();
  // Keeps block if there is room; false if not (the caller frees it).
  // REQUIRES: block is kArenaLargeBlockBytes, aligned to it, from
  // AllocateLargeArenaBlock, and in no arena.
  bool Give(char* block);

  size_t capacity() const { return capacity_; }
  // Blocks held now (racy under concurrent Take/Give; for tests and stats).
  size_t pooled_blocks() const;

 private:
  const size_t capacity_;
  std::unique_ptr<std::atomic<char*>[]> slots_;
};

// A new kArenaLargeBlockBytes block aligned to its size, and its release.
char* AllocateLargeArenaBlock();
void FreeLargeArenaBlock(char* block);

}  // namespace kiln

#endif  // KILN_MEMTABLE_ARENA_BLOCK_POOL_H_
