#include "memtable/memtable_filter.h"

#include <string>

#include "gtest/gtest.h"

namespace kiln {
namespace {

std::string Key(int i) { return "user-key-" + std::to_string(i); }

TEST(MemTableFilterTest, NoFalseNegativesAndFewFalsePositivesAtItsLoad) {
  constexpr int kKeys = 10000;
  MemTableFilter filter(kKeys * 10 / 8);  // 10 bits a key
  EXPECT_EQ(filter.size_bytes() % MemTableFilter::kBlockBytes, 0u);
  for (int i = 0; i < kKeys; ++i) filter.Add(MemTableFilter::Hash(Key(i)));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(filter.MayContain(MemTableFilter::Hash(Key(i)))) << i;
  }
  int false_positives = 0;
  for (int i = kKeys; i < 11 * kKeys; ++i) {
    false_positives += filter.MayContain(MemTableFilter::Hash(Key(i))) ? 1 : 0;
  }
  // About 1.5% expected for a blocked filter at 10 bits a key; a broken
  // hash or probe pattern shows as several times that.
  EXPECT_LT(false_positives, 3 * (10 * kKeys) / 100) << false_positives << " of " << 10 * kKeys;
  EXPECT_GT(false_positives, 0) << "suspiciously perfect";
}

TEST(MemTableFilterTest, OverloadedStillHasNoFalseNegatives) {
  MemTableFilter filter(MemTableFilter::kBlockBytes);  // one block
  for (int i = 0; i < 5000; ++i) filter.Add(MemTableFilter::Hash(Key(i)));
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(filter.MayContain(MemTableFilter::Hash(Key(i))));
}

TEST(MemTableFilterTest, EmptyMatchesNothing) {
  const MemTableFilter filter(4096);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(filter.MayContain(MemTableFilter::Hash(Key(i))));
  EXPECT_FALSE(filter.MayContain(MemTableFilter::Hash("")));
}

}  // namespace
}  // namespace kiln
