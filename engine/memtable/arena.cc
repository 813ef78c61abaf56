#include "memtable/arena.h"

#include <cstdint>
#include <cstring>
#include <new>

#include "util/assert.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

static_assert((kArenaMaxAlignment & (kArenaMaxAlignment - 1)) == 0);
static_assert((kArenaLargeBlockBytes & (kArenaLargeBlockBytes - 1)) == 0);
static_assert(kArenaBlockSizeBytes / 4 + kArenaMaxAlignment <= kArenaBlockSizeBytes,
              "a small request must always fit in a fresh shared block");

size_t PaddingFor(const char* address, size_t alignment) {
  const size_t misalignment = reinterpret_cast<uintptr_t>(address) & (alignment - 1);
  return misalignment == 0 ? 0 : alignment - misalignment;
}

}  // namespace

char* Arena::Allocate(size_t size_bytes) { return AllocateAligned(size_bytes, 1); }

char* Arena::AllocateAligned(size_t size_bytes, size_t alignment) {
  KILN_ASSERT(size_bytes > 0);
  KILN_ASSERT(size_bytes <= kArenaMaxAllocationBytes);
  KILN_ASSERT(alignment > 0);
  KILN_ASSERT((alignment & (alignment - 1)) == 0);
  KILN_ASSERT(alignment <= kArenaMaxAlignment);

  char* result = nullptr;
  const size_t padding = PaddingFor(free_begin_, alignment);
  if (free_begin_ != nullptr && padding + size_bytes <= free_bytes_) {
    result = free_begin_ + padding;
    free_begin_ += padding + size_bytes;
    free_bytes_ -= padding + size_bytes;
  } else if (const size_t block_bytes = SharedBlockBytes(); size_bytes > block_bytes / 4) {
    // A request above a quarter of a block gets its own rather than wasting
    // a shared one.
    KILN_PROBE(true, "arena: a large allocation gets a dedicated block");
    result = NewBlock(size_bytes, kArenaMaxAlignment);
  } else {
    // Blocks start kArenaMaxAlignment-aligned, so no padding is needed.
    const bool large = block_bytes == kArenaLargeBlockBytes;
    KILN_PROBE(large, "arena: a large block");
    result = large ? NewLargeBlock() : NewBlock(block_bytes, kArenaMaxAlignment);
    free_begin_ = result + size_bytes;
    free_bytes_ = block_bytes - size_bytes;
  }
  // Zeroed as handed out, not a block at a time: the caller writes these
  // bytes next, so zeroing them now mostly costs the cache misses the caller
  // would take anyway. A 2 MiB block zeroed at once streamed through the
  // caches ahead of use, stalled the one write that took the block, and
  // zeroed a fresh block twice (the kernel on first touch, then memset).
  std::memset(result, 0, size_bytes);
  return result;
}

size_t Arena::SharedBlockBytes() const {
  return MemoryUsage() >= kArenaLargeBlockBytes ? kArenaLargeBlockBytes : kArenaBlockSizeBytes;
}

void Arena::BlockDeleter::operator()(char* block) const {
  if (alignment == kArenaLargeBlockBytes) {
    if (pool == nullptr || !pool->Give(block)) FreeLargeArenaBlock(block);
    return;
  }
  ::operator delete[](block, std::align_val_t(alignment));
}

char* Arena::NewBlock(size_t size_bytes, size_t alignment) {
  KILN_ASSERT(alignment >= kArenaMaxAlignment);
  KILN_ASSERT(alignment < kArenaLargeBlockBytes);  // large blocks: NewLargeBlock
  KILN_ASSERT((alignment & (alignment - 1)) == 0);
  char* block = static_cast<char*>(::operator new[](size_bytes, std::align_val_t(alignment)));
  Keep(block, size_bytes, alignment);
  return block;
}

char* Arena::NewLargeBlock() {
  char* block = pool_ == nullptr ? nullptr : pool_->Take();
  KILN_PROBE(block != nullptr, "arena: a large block reused from the pool");
  if (block == nullptr) {
    block = AllocateLargeArenaBlock();
    // Before the first touch (the first allocation zeroing it), so the
    // pages can start huge.
    if (hints_ != nullptr) hints_->PreferHugePages(block, kArenaLargeBlockBytes);
  }
  Keep(block, kArenaLargeBlockBytes, kArenaLargeBlockBytes);
  return block;
}

void Arena::Keep(char* block, size_t size_bytes, size_t alignment) {
  KILN_ASSERT(PaddingFor(block, alignment) == 0);
  blocks_.push_back(
      std::unique_ptr<char, BlockDeleter>(block, BlockDeleter{alignment, pool_.get()}));
  memory_usage_bytes_.store(
      memory_usage_bytes_.load(std::memory_order_relaxed) + size_bytes + sizeof(blocks_.back()),
      std::memory_order_relaxed);
}

}  // namespace kiln
