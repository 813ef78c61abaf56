#include "memtable/skiplist.h"

#include <cstdint>
#include <iterator>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"
#include "memtable/skiplist_test_util.h"

namespace kiln {
namespace {

using testing::DecodeTestKey;
using testing::NewListKey;
using testing::NewTestKey;
using testing::TestKeyCompare;
using TestList = SkipList<TestKeyCompare>;

TEST(SkipListTest, EmptyListHasNoEntries) {
  Arena arena;
  TestList list(TestKeyCompare{}, arena, Random(1));
  const char* target = NewTestKey(arena, 10);
  EXPECT_FALSE(list.Contains(target));
  TestList::Iterator it(list);
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek(target);
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev(target);
  EXPECT_FALSE(it.Valid());
}

// All of list, front to back and back to front.
void ExpectSameEntries(const TestList& list, const std::set<uint64_t>& model) {
  std::vector<uint64_t> forward;
  TestList::Iterator it(list);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    forward.push_back(DecodeTestKey(it.key()));
    // NextKey looks one entry ahead, as Next then moves.
    const auto next = model.upper_bound(forward.back());
    if (next == model.end()) {
      EXPECT_EQ(it.NextKey(), nullptr);
    } else {
      ASSERT_NE(it.NextKey(), nullptr);
      EXPECT_EQ(DecodeTestKey(it.NextKey()), *next);
    }
  }
  EXPECT_EQ(forward, std::vector<uint64_t>(model.begin(), model.end()));

  std::vector<uint64_t> backward;
  for (it.SeekToLast(); it.Valid(); it.Prev()) backward.push_back(DecodeTestKey(it.key()));
  EXPECT_EQ(backward, std::vector<uint64_t>(model.rbegin(), model.rend()));
}

// Random inserts, seeks and walks, each answer checked against std::set.
void RunAgainstSet(uint64_t seed) {
  constexpr int kInserts = 2000;
  constexpr uint64_t kKeySpace = 5000;
  constexpr int kSeeksPerCheck = 200;
  constexpr int kStepsPerWalk = 8;
  Arena arena;
  TestList list(TestKeyCompare{}, arena, Random(seed));
  std::set<uint64_t> model;
  Random random(MixSeed(seed, 99));

  for (int i = 0; i < kInserts; ++i) {
    const uint64_t value = random.Uniform(kKeySpace);
    const char* key = NewTestKey(arena, value);
    ASSERT_EQ(list.Contains(key), model.contains(value));
    if (model.insert(value).second) list.Insert(NewListKey(list, value));
    ASSERT_TRUE(list.Contains(key));

    if (i % 500 != 499 && i != kInserts - 1) continue;
    ExpectSameEntries(list, model);
    TestList::Iterator it(list);
    for (int s = 0; s < kSeeksPerCheck; ++s) {
      // Beyond both ends too.
      const uint64_t target_value = random.Uniform(kKeySpace + 2);
      const char* target = NewTestKey(arena, target_value);

      auto expected = model.lower_bound(target_value);
      it.Seek(target);
      ASSERT_EQ(it.Valid(), expected != model.end()) << "Seek " << target_value;
      // Walk from the seek position in a random direction.
      for (int step = 0; step < kStepsPerWalk && it.Valid(); ++step) {
        ASSERT_EQ(DecodeTestKey(it.key()), *expected);
        if (random.OneIn(2)) {
          it.Next();
          ++expected;
          ASSERT_EQ(it.Valid(), expected != model.end());
        } else {
          it.Prev();
          if (expected == model.begin()) {
            ASSERT_FALSE(it.Valid());
            break;
          }
          --expected;
          ASSERT_TRUE(it.Valid());
        }
      }

      auto upper = model.upper_bound(target_value);
      it.SeekForPrev(target);
      ASSERT_EQ(it.Valid(), upper != model.begin()) << "SeekForPrev " << target_value;
      if (it.Valid()) {
        ASSERT_EQ(DecodeTestKey(it.key()), *std::prev(upper));
      }
    }
  }
}

TEST(SkipListTest, MatchesStdSet) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(seed);
    RunAgainstSet(seed);
  }
}

TEST(SkipListTest, AscendingAndDescendingInsertOrders) {
  constexpr uint64_t kEntries = 1000;
  for (const bool ascending : {true, false}) {
    Arena arena;
    TestList list(TestKeyCompare{}, arena, Random(3));
    std::set<uint64_t> model;
    for (uint64_t i = 0; i < kEntries; ++i) {
      const uint64_t value = ascending ? i : kEntries - i;
      list.Insert(NewListKey(list, value));
      model.insert(value);
    }
    ExpectSameEntries(list, model);
  }
}

// Ascending runs take the tail path (no search); random keys between them
// search, and tall ones among those become the last node of upper levels,
// which later runs then link after.
TEST(SkipListTest, AscendingRunsMixedWithRandomInsertsMatchStdSet) {
  constexpr int kRounds = 40;
  constexpr uint64_t kRunLength = 50;
  constexpr int kRandomPerRound = 30;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(seed);
    Arena arena;
    TestList list(TestKeyCompare{}, arena, Random(seed));
    std::set<uint64_t> model;
    Random random(MixSeed(seed, 7));
    uint64_t next_ascending = 1000;
    for (int round = 0; round < kRounds; ++round) {
      for (uint64_t i = 0; i < kRunLength; ++i) {
        next_ascending += 1 + random.Uniform(3);
        ASSERT_TRUE(model.insert(next_ascending).second);
        list.Insert(NewListKey(list, next_ascending));
      }
      for (int i = 0; i < kRandomPerRound; ++i) {
        const uint64_t value = random.Uniform(next_ascending);
        if (!model.insert(value).second) continue;
        list.Insert(NewListKey(list, value));
      }
      for (int probe = 0; probe < 20; ++probe) {
        const uint64_t value = random.Uniform(next_ascending + 2);
        ASSERT_EQ(list.Contains(NewTestKey(arena, value)), model.contains(value)) << value;
      }
    }
    ExpectSameEntries(list, model);
  }
}

TEST(SkipListDeathTest, RejectsDuplicates) {
  Arena arena;
  TestList list(TestKeyCompare{}, arena, Random(1));
  list.Insert(NewListKey(list, 5));
  list.Insert(NewListKey(list, 9));
  EXPECT_DEATH(list.Insert(NewListKey(list, 9)), "duplicate");  // the last node
  EXPECT_DEATH(list.Insert(NewListKey(list, 5)), "duplicate");  // an inner one
}

}  // namespace
}  // namespace kiln
