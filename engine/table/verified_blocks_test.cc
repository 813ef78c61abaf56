#include "table/verified_blocks.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace kiln {
namespace {

// n adjacent blocks of varying sizes, as a table lays them out.
std::vector<BlockHandle> AdjacentBlocks(size_t n) {
  std::vector<BlockHandle> handles;
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t size = 100 + (i * 37) % 300;
    handles.push_back({.offset = offset, .size_bytes = size});
    offset += size + kBlockTrailerBytes;
  }
  return handles;
}

TEST(VerifiedBlocksTest, NothingIsVerifiedUntilAdded) {
  const std::vector<BlockHandle> handles = AdjacentBlocks(10);
  VerifiedBlocks verified(handles);
  EXPECT_EQ(verified.block_count(), 10u);
  EXPECT_EQ(verified.verified_count(), 0u);
  for (const BlockHandle& handle : handles) EXPECT_FALSE(verified.Contains(handle));
  verified.Add(handles[3]);
  for (size_t i = 0; i < handles.size(); ++i) {
    EXPECT_EQ(verified.Contains(handles[i]), i == 3) << i;
  }
  verified.Add(handles[3]);
  EXPECT_EQ(verified.verified_count(), 1u);
}

TEST(VerifiedBlocksTest, OnlyTheExactHandleMatches) {
  const std::vector<BlockHandle> handles = AdjacentBlocks(4);
  VerifiedBlocks verified(handles);
  for (const BlockHandle& handle : handles) verified.Add(handle);
  EXPECT_EQ(verified.verified_count(), 4u);
  // Same offset, other size; an offset inside a block; past the last block.
  const BlockHandle strangers[] = {
      {.offset = handles[1].offset, .size_bytes = handles[1].size_bytes + 1},
      {.offset = handles[1].offset + 1, .size_bytes = handles[1].size_bytes},
      {.offset = handles[3].offset + 1000, .size_bytes = 10},
  };
  for (const BlockHandle& stranger : strangers) {
    EXPECT_FALSE(verified.Contains(stranger)) << stranger.offset << "+" << stranger.size_bytes;
    verified.Add(stranger);  // not one of the table's blocks: ignored
  }
  EXPECT_EQ(verified.verified_count(), 4u);
}

TEST(VerifiedBlocksTest, ManyBlocksSpanSeveralWords) {
  const std::vector<BlockHandle> handles = AdjacentBlocks(200);
  VerifiedBlocks verified(handles);
  for (size_t i = 0; i < handles.size(); i += 3) verified.Add(handles[i]);
  for (size_t i = 0; i < handles.size(); ++i) {
    EXPECT_EQ(verified.Contains(handles[i]), i % 3 == 0) << i;
  }
  EXPECT_EQ(verified.verified_count(), 67u);
}

TEST(VerifiedBlocksTest, ATableWithoutDataBlocks) {
  VerifiedBlocks verified({});
  EXPECT_FALSE(verified.Contains({.offset = 0, .size_bytes = 0}));
  verified.Add({.offset = 0, .size_bytes = 0});
  EXPECT_EQ(verified.verified_count(), 0u);
}

TEST(VerifiedBlocksDeathTest, OffsetsMustIncrease) {
  std::vector<BlockHandle> handles = AdjacentBlocks(3);
  std::swap(handles[0], handles[1]);
  EXPECT_DEATH(VerifiedBlocks{handles}, "offset");
}

}  // namespace
}  // namespace kiln
