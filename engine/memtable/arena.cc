#include "memtable/arena.h"

#include <cstdint>

#include "util/assert.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

// A request above this gets its own block rather than wasting a shared one.
constexpr size_t kArenaDedicatedBlockThresholdBytes = kArenaBlockSizeBytes / 4;

static_assert((kArenaMaxAlignment & (kArenaMaxAlignment - 1)) == 0);
static_assert(kArenaDedicatedBlockThresholdBytes + kArenaMaxAlignment <= kArenaBlockSizeBytes,
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

  const size_t padding = PaddingFor(free_begin_, alignment);
  if (free_begin_ != nullptr && padding + size_bytes <= free_bytes_) {
    char* result = free_begin_ + padding;
    free_begin_ += padding + size_bytes;
    free_bytes_ -= padding + size_bytes;
    return result;
  }
  // Blocks start kArenaMaxAlignment-aligned, so no padding is needed below.
  if (size_bytes > kArenaDedicatedBlockThresholdBytes) {
    KILN_PROBE(true, "arena: a large allocation gets a dedicated block");
    return NewBlock(size_bytes);
  }
  char* block = NewBlock(kArenaBlockSizeBytes);
  free_begin_ = block + size_bytes;
  free_bytes_ = kArenaBlockSizeBytes - size_bytes;
  return block;
}

char* Arena::NewBlock(size_t size_bytes) {
  // Over-allocate so the block can start on a kArenaMaxAlignment boundary;
  // operator new[] only promises __STDCPP_DEFAULT_NEW_ALIGNMENT__.
  const size_t allocated_bytes = size_bytes + kArenaMaxAlignment - 1;
  blocks_.push_back(std::make_unique<char[]>(allocated_bytes));  // zero-filled
  char* raw = blocks_.back().get();
  memory_usage_bytes_.store(memory_usage_bytes_.load(std::memory_order_relaxed) + allocated_bytes +
                                sizeof(std::unique_ptr<char[]>),
                            std::memory_order_relaxed);
  return raw + PaddingFor(raw, kArenaMaxAlignment);
}

}  // namespace kiln
