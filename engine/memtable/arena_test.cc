#include "memtable/arena.h"

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"

namespace kiln {
namespace {

TEST(ArenaTest, AllocationsAreZeroedDisjointAndKeepTheirContents) {
  constexpr int kAllocations = 3000;
  Arena arena;
  Random random(7);
  std::vector<std::pair<char*, size_t>> allocations;
  size_t total_bytes = 0;
  for (int i = 0; i < kAllocations; ++i) {
    // Mostly small, sometimes larger than a block.
    const size_t size_bytes =
        random.OneIn(50) ? random.Range(1, 3 * kArenaBlockSizeBytes) : random.Range(1, 300);
    char* memory = i % 2 == 0 ? arena.Allocate(size_bytes)
                              : arena.AllocateAligned(size_bytes, size_t{1} << random.Uniform(7));
    for (size_t b = 0; b < size_bytes; ++b) ASSERT_EQ(memory[b], 0) << "allocation " << i;
    std::memset(memory, static_cast<char>(i), size_bytes);
    allocations.emplace_back(memory, size_bytes);
    total_bytes += size_bytes;
  }
  // Any overlap would have overwritten an earlier allocation's fill byte.
  for (size_t i = 0; i < allocations.size(); ++i) {
    const auto [memory, size_bytes] = allocations[i];
    for (size_t b = 0; b < size_bytes; ++b) {
      ASSERT_EQ(memory[b], static_cast<char>(i)) << "allocation " << i << " byte " << b;
    }
  }
  EXPECT_GE(arena.MemoryUsage(), total_bytes);
  // Waste is bounded: at most a quarter-block tail per shared block, plus
  // alignment slack and bookkeeping per block.
  EXPECT_LE(arena.MemoryUsage(), total_bytes * 3 / 2 + 2 * kArenaBlockSizeBytes);
}

TEST(ArenaTest, AlignedAllocationsAreAligned) {
  Arena arena;
  for (size_t alignment = 1; alignment <= kArenaMaxAlignment; alignment *= 2) {
    for (size_t size_bytes : {size_t{1}, size_t{3}, size_t{17}, kArenaBlockSizeBytes + 5}) {
      arena.Allocate(1);  // knock the bump pointer off alignment
      const char* memory = arena.AllocateAligned(size_bytes, alignment);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(memory) % alignment, 0u)
          << "alignment " << alignment << " size " << size_bytes;
    }
  }
}

TEST(ArenaTest, MemoryUsageGrowsByBlocksNotByAllocations) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
  arena.Allocate(1);
  const size_t one_block = arena.MemoryUsage();
  EXPECT_GE(one_block, kArenaBlockSizeBytes);
  arena.Allocate(100);  // fits in the same block
  EXPECT_EQ(arena.MemoryUsage(), one_block);

  // A large request gets its own block and leaves the shared one in use.
  const size_t large_bytes = 10 * kArenaBlockSizeBytes;
  arena.Allocate(large_bytes);
  const size_t with_large = arena.MemoryUsage();
  EXPECT_GE(with_large, one_block + large_bytes);
  arena.Allocate(100);
  EXPECT_EQ(arena.MemoryUsage(), with_large);
}

// Records each hint, so a test can see which blocks were offered.
class RecordingHints final : public MemoryHints {
 public:
  void PreferHugePages(void* begin, size_t bytes) const override {
    hinted.emplace_back(static_cast<char*>(begin), bytes);
  }
  mutable std::vector<std::pair<char*, size_t>> hinted;
};

TEST(ArenaTest, PastTheLargeBlockThresholdBlocksAreLargeAlignedAndHinted) {
  RecordingHints hints;
  Arena arena(&hints);
  constexpr size_t kEntryBytes = 150;  // a typical memtable entry with its node
  // Small blocks only, until the arena holds kArenaLargeBlockBytes.
  while (arena.MemoryUsage() < kArenaLargeBlockBytes) {
    arena.AllocateAligned(kEntryBytes, 8);
    ASSERT_TRUE(hints.hinted.empty()) << "hinted at " << arena.MemoryUsage() << " bytes";
  }
  const size_t before_large = arena.MemoryUsage();
  std::vector<char*> entries;
  // Fills the rest of the current small block, then takes large blocks.
  while (hints.hinted.size() < 2) {
    char* entry = arena.AllocateAligned(kEntryBytes, 8);
    for (size_t b = 0; b < kEntryBytes; ++b) ASSERT_EQ(entry[b], 0);
    std::memset(entry, 0x5A, kEntryBytes);
    entries.push_back(entry);
  }
  for (const auto& [begin, bytes] : hints.hinted) {
    EXPECT_EQ(bytes, kArenaLargeBlockBytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(begin) % kArenaLargeBlockBytes, 0u);
  }
  // Two large blocks, a small one's tail at most, and their bookkeeping.
  EXPECT_GE(arena.MemoryUsage(), before_large + 2 * kArenaLargeBlockBytes);
  EXPECT_LE(arena.MemoryUsage(), before_large + 2 * kArenaLargeBlockBytes + 64);
  for (char* entry : entries) ASSERT_EQ(entry[kEntryBytes - 1], 0x5A);
  // A request over a quarter of a large block still gets its own block,
  // unhinted (it is one value, not a block of nodes).
  arena.Allocate(kArenaLargeBlockBytes / 4 + 1);
  EXPECT_EQ(hints.hinted.size(), 2u);
}

TEST(ArenaTest, WithoutHintsLargeBlocksAreStillUsed) {
  Arena arena;
  while (arena.MemoryUsage() < 2 * kArenaLargeBlockBytes) arena.Allocate(1000);
  EXPECT_LT(arena.MemoryUsage(), 3 * kArenaLargeBlockBytes);
}

TEST(ArenaDeathTest, RejectsBadRequests) {
  Arena arena;
  EXPECT_DEATH(arena.Allocate(0), "size_bytes > 0");
  EXPECT_DEATH(arena.Allocate(kArenaMaxAllocationBytes + 1), "kArenaMaxAllocationBytes");
  EXPECT_DEATH(arena.AllocateAligned(8, 3), "alignment");
  EXPECT_DEATH(arena.AllocateAligned(8, 2 * kArenaMaxAlignment), "kArenaMaxAlignment");
}

}  // namespace
}  // namespace kiln
