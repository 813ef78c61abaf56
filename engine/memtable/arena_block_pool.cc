#include "memtable/arena_block_pool.h"

#include <new>

#include "memtable/arena.h"
#include "util/assert.h"

namespace kiln {

char* AllocateLargeArenaBlock() {
  return static_cast<char*>(
      ::operator new[](kArenaLargeBlockBytes, std::align_val_t(kArenaLargeBlockBytes)));
}

void FreeLargeArenaBlock(char* block) {
  ::operator delete[](block, std::align_val_t(kArenaLargeBlockBytes));
}

ArenaBlockPool::ArenaBlockPool(size_t capacity)
    // make_unique value-initialises the slots: all null.
    : capacity_(capacity), slots_(std::make_unique<std::atomic<char*>[]>(capacity)) {
  KILN_ASSERT(capacity <= kArenaBlockPoolMaxBlocks);
}

ArenaBlockPool::~ArenaBlockPool() {
  for (size_t i = 0; i < capacity_; ++i) {
    char* block = slots_[i].load(std::memory_order_acquire);
    if (block != nullptr) FreeLargeArenaBlock(block);
  }
}

char* ArenaBlockPool::Take() {
  // Bounded by the slots.
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].load(std::memory_order_relaxed) == nullptr) continue;
    // Acquire: the giver's writes to the block happen before ours.
    char* block = slots_[i].exchange(nullptr, std::memory_order_acquire);
    if (block != nullptr) return block;
  }
  return nullptr;
}

bool ArenaBlockPool::Give(char* block) {
  KILN_ASSERT(block != nullptr);
  KILN_ASSERT(reinterpret_cast<uintptr_t>(block) % kArenaLargeBlockBytes == 0);
  // Bounded by the slots.
  for (size_t i = 0; i < capacity_; ++i) {
    char* expected = nullptr;
    if (slots_[i].load(std::memory_order_relaxed) == nullptr &&
        slots_[i].compare_exchange_strong(expected, block, std::memory_order_release,
                                          std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

size_t ArenaBlockPool::pooled_blocks() const {
  size_t count = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].load(std::memory_order_relaxed) != nullptr) ++count;
  }
  return count;
}

}  // namespace kiln
