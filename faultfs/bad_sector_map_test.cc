#include "faultfs/bad_sector_map.h"

#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

TEST(BadSectorMapTest, MarksEverySectorUnderTheRange) {
  BadSectorMap map;
  EXPECT_EQ(map.Mark(600, 600, 512, "lse"), 2u);  // [512, 1024) and [1024, 1536)
  EXPECT_EQ(map.size(), 2u);
  EXPECT_FALSE(map.FirstOverlap(0, 512).has_value());
  EXPECT_FALSE(map.FirstOverlap(1536, 100).has_value());
  const auto first = map.FirstOverlap(0, 513);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->offset, 512u);
  EXPECT_EQ(first->size_bytes, 512u);
  EXPECT_EQ(first->rule_name, "lse");
  EXPECT_EQ(map.FirstOverlap(1535, 1)->offset, 1024u);
  EXPECT_FALSE(map.FirstOverlap(700, 0).has_value());
  // Marking again adds nothing.
  EXPECT_EQ(map.Mark(512, 1, 512, "lse"), 0u);
}

TEST(BadSectorMapTest, EmptyRangeMarksTheSectorContainingTheOffset) {
  BadSectorMap map;
  EXPECT_EQ(map.Mark(700, 0, 512, "lse"), 1u);
  EXPECT_EQ(map.FirstOverlap(512, 1)->offset, 512u);
}

TEST(BadSectorMapTest, OnlyAWriteCoveringTheWholeSectorRemapsIt) {
  BadSectorMap map;
  map.Mark(0, 1024, 512, "lse");
  EXPECT_EQ(map.Remap(0, 511), 0u);
  EXPECT_EQ(map.Remap(1, 512), 0u);
  EXPECT_EQ(map.Remap(0, 512), 1u);
  EXPECT_FALSE(map.FirstOverlap(0, 512).has_value());
  EXPECT_TRUE(map.FirstOverlap(512, 1).has_value());
  EXPECT_EQ(map.Remap(100, 2000), 1u);
  EXPECT_TRUE(map.empty());
}

TEST(BadSectorMapTest, MixedSectorSizesOverlapCorrectly) {
  BadSectorMap map;
  map.Mark(4096, 1, 4096, "big");
  map.Mark(100, 1, 8, "small");
  EXPECT_EQ(map.FirstOverlap(8000, 10)->offset, 4096u);
  EXPECT_EQ(map.FirstOverlap(96, 8)->offset, 96u);
  EXPECT_FALSE(map.FirstOverlap(104, 3000).has_value());
}

TEST(BadSectorMapTest, TruncateFreesSectorsAtOrPastTheNewSize) {
  BadSectorMap map;
  map.Mark(0, 2048, 512, "lse");
  map.Truncate(600);  // keeps [0, 512) and the straddling [512, 1024)
  EXPECT_EQ(map.size(), 2u);
  map.Truncate(0);
  EXPECT_TRUE(map.empty());
}

TEST(BadSectorMapTest, OneFaultMarksAtMostTheBound) {
  BadSectorMap map;
  EXPECT_EQ(map.Mark(0, (kMaxSectorsPerFault + 10) * 16, 16, "lse"), kMaxSectorsPerFault);
}

}  // namespace
}  // namespace kiln::faultfs
