#include "memtable/arena.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"
#include "memtable/arena_block_pool.h"

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

// Allocates from arena until it holds at least large_blocks large blocks,
// checking every allocation is zeroed and then filling it with fill.
void FillLargeBlocks(Arena& arena, size_t large_blocks, char fill) {
  constexpr size_t kEntryBytes = 4000;
  // Bounded: each allocation adds kEntryBytes to the usage.
  while (arena.MemoryUsage() < (large_blocks + 1) * kArenaLargeBlockBytes) {
    char* entry = arena.AllocateAligned(kEntryBytes, 8);
    for (size_t b = 0; b < kEntryBytes; ++b) ASSERT_EQ(entry[b], 0);
    std::memset(entry, fill, kEntryBytes);
  }
}

TEST(ArenaBlockPoolTest, KeepsUpToItsCapacityAndHandsBlocksBack) {
  ArenaBlockPool pool(2);
  EXPECT_EQ(pool.Take(), nullptr);
  char* first = AllocateLargeArenaBlock();
  char* second = AllocateLargeArenaBlock();
  char* third = AllocateLargeArenaBlock();
  EXPECT_TRUE(pool.Give(first));
  EXPECT_TRUE(pool.Give(second));
  EXPECT_FALSE(pool.Give(third));  // full: the caller keeps it
  FreeLargeArenaBlock(third);
  EXPECT_EQ(pool.pooled_blocks(), 2u);
  std::vector<char*> taken = {pool.Take(), pool.Take()};
  std::sort(taken.begin(), taken.end());
  std::vector<char*> given = {first, second};
  std::sort(given.begin(), given.end());
  EXPECT_EQ(taken, given);
  EXPECT_EQ(pool.Take(), nullptr);
  EXPECT_TRUE(pool.Give(taken[0]));  // the pool frees what it holds at the end
  FreeLargeArenaBlock(taken[1]);
}

TEST(ArenaBlockPoolTest, ANewArenaReusesADeadArenasLargeBlocksZeroed) {
  auto pool = std::make_shared<ArenaBlockPool>(8);
  RecordingHints hints;
  {
    Arena first(&hints, pool);
    FillLargeBlocks(first, 3, 0x5A);
    if (::testing::Test::HasFatalFailure()) return;
  }
  const size_t new_blocks = hints.hinted.size();
  ASSERT_GE(new_blocks, 3u);
  EXPECT_EQ(pool->pooled_blocks(), new_blocks);
  {
    // The same number of large blocks again: all from the pool (no new
    // block, so no hint), and every byte handed out reads zero.
    Arena second(&hints, pool);
    FillLargeBlocks(second, 3, 0x3C);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(hints.hinted.size(), new_blocks);
    EXPECT_EQ(pool->pooled_blocks(), 0u);
  }
  EXPECT_EQ(pool->pooled_blocks(), new_blocks);
}

TEST(ArenaBlockPoolTest, AFullPoolFreesAndTheArenaKeepsThePoolAlive) {
  auto pool = std::make_shared<ArenaBlockPool>(1);
  {
    Arena arena(nullptr, pool);
    FillLargeBlocks(arena, 3, 0x11);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(pool->pooled_blocks(), 1u);  // the rest were freed
  Arena orphan(nullptr, pool);
  std::weak_ptr<ArenaBlockPool> watcher = pool;
  pool.reset();  // the database went away; its memtable's arena did not
  EXPECT_FALSE(watcher.expired());
  FillLargeBlocks(orphan, 2, 0x22);
}

TEST(ArenaBlockPoolTest, ZeroCapacityPoolsNothing) {
  auto pool = std::make_shared<ArenaBlockPool>(0);
  {
    Arena arena(nullptr, pool);
    FillLargeBlocks(arena, 1, 0x33);
  }
  EXPECT_EQ(pool->pooled_blocks(), 0u);
  EXPECT_EQ(pool->Take(), nullptr);
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
