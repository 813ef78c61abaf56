#include "db/merging_iterator.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "db/vector_iterator.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"

namespace kiln {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber sequence,
                 ValueType type = ValueType::kValue) {
  return MakeInternalKey(user_key, sequence, type);
}

std::vector<std::string> ForwardKeys(InternalIterator& iterator) {
  std::vector<std::string> keys;
  for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next()) {
    keys.push_back(DebugInternalKey(iterator.key()));
  }
  return keys;
}

std::vector<std::string> BackwardKeys(InternalIterator& iterator) {
  std::vector<std::string> keys;
  for (iterator.SeekToLast(); iterator.Valid(); iterator.Prev()) {
    keys.push_back(DebugInternalKey(iterator.key()));
  }
  return keys;
}

std::unique_ptr<VectorIterator> Child(std::vector<VectorIterator::Entry> entries) {
  return std::make_unique<VectorIterator>(std::move(entries));
}

TEST(MergingIteratorTest, NoChildrenIsEmpty) {
  auto merge = NewMergingIterator(std::vector<std::unique_ptr<InternalIterator>>{});
  merge->SeekToFirst();
  EXPECT_FALSE(merge->Valid());
  merge->SeekToLast();
  EXPECT_FALSE(merge->Valid());
  merge->Seek(IKey("a", 1));
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(merge->status().ok());
}

TEST(MergingIteratorTest, MergesInInternalKeyOrderBothWays) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(Child({{IKey("a", 5), "a5"}, {IKey("c", 1), "c1"}}));
  children.push_back(Child({}));
  children.push_back(Child({{IKey("a", 7), "a7"}, {IKey("b", 2, ValueType::kDeletion), ""}}));
  children.push_back(Child({{IKey("a", 6), "a6"}, {IKey("d", 3), "d3"}}));
  auto merge = NewMergingIterator(std::move(children));
  const std::vector<std::string> expected = {"'a' @7 : 1", "'a' @6 : 1", "'a' @5 : 1",
                                             "'b' @2 : 0", "'c' @1 : 1", "'d' @3 : 1"};
  EXPECT_EQ(ForwardKeys(*merge), expected);
  std::vector<std::string> reversed(expected.rbegin(), expected.rend());
  EXPECT_EQ(BackwardKeys(*merge), reversed);
  merge->Seek(IKey("a", 6));
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "a6");
  merge->SeekForPrev(IKey("b", 9));
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "a5");
}

TEST(MergingIteratorTest, DirectionSwitchRepositionsEveryChild) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(Child({{IKey("a", 1), "a"}, {IKey("c", 1), "c"}, {IKey("e", 1), "e"}}));
  children.push_back(Child({{IKey("b", 1), "b"}, {IKey("d", 1), "d"}}));
  auto merge = NewMergingIterator(std::move(children));
  merge->SeekToFirst();
  merge->Next();
  merge->Next();
  ASSERT_EQ(merge->value(), "c");
  merge->Prev();
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "b");
  merge->Next();
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "c");
  merge->Next();
  merge->Next();
  ASSERT_EQ(merge->value(), "e");
  // The second child is exhausted going forward; going back must find "d".
  merge->Prev();
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "d");
  merge->SeekToFirst();
  merge->Prev();
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(merge->status().ok());
}

// The random model test: the merge against one sorted vector of every entry,
// including skips (entries of skipped children are hidden until the next
// repositioning: a seek or a change of direction).
struct ModelEntry {
  std::string key;
  std::string value;
  size_t child = 0;
};

struct HiddenRun {
  bool forward = true;
  std::string from_key;  // internal key: the position when the skip happened
  std::string user_key;  // end (forward) or begin (backward)
  SequenceNumber sequence = 0;
};

class MergeModel {
 public:
  MergeModel(std::vector<ModelEntry> entries, std::vector<SequenceNumber> sequence_max)
      : entries_(std::move(entries)), sequence_max_(std::move(sequence_max)) {
    std::sort(entries_.begin(), entries_.end(), [](const ModelEntry& a, const ModelEntry& b) {
      return CompareInternalKeys(a.key, b.key) < 0;
    });
  }

  bool valid() const { return position_ >= 0; }
  const ModelEntry& entry() const { return entries_[static_cast<size_t>(position_)]; }
  bool forward() const { return forward_; }

  void SeekToFirst() { Reposition(true, 0); }
  void SeekToLast() { Reposition(false, Size() - 1); }
  void Seek(std::string_view target) {
    int64_t i = 0;
    while (i < Size() && CompareInternalKeys(entries_[i].key, target) < 0) ++i;
    Reposition(true, i);
  }
  void SeekForPrev(std::string_view target) {
    int64_t i = Size() - 1;
    while (i >= 0 && CompareInternalKeys(entries_[i].key, target) > 0) --i;
    Reposition(false, i);
  }
  void Next() {
    if (!forward_) {
      Reposition(true, position_ + 1);
      return;
    }
    MoveForwardFrom(position_ + 1);
  }
  void Prev() {
    if (forward_) {
      Reposition(false, position_ - 1);
      return;
    }
    MoveBackwardFrom(position_ - 1);
  }
  void Skip(bool forward, std::string user_key, SequenceNumber sequence) {
    hidden_.push_back(HiddenRun{forward, entry().key, std::move(user_key), sequence});
    if (forward) {
      MoveForwardFrom(position_);
    } else {
      MoveBackwardFrom(position_);
    }
  }

 private:
  int64_t Size() const { return static_cast<int64_t>(entries_.size()); }

  void Reposition(bool forward, int64_t position) {
    forward_ = forward;
    hidden_.clear();
    position_ = position >= 0 && position < Size() ? position : -1;
  }

  bool Hidden(const ModelEntry& e) const {
    for (const HiddenRun& run : hidden_) {
      if (sequence_max_[e.child] >= run.sequence) continue;
      const std::string_view user_key = ExtractUserKey(e.key);
      if (run.forward && CompareInternalKeys(e.key, run.from_key) >= 0 && user_key < run.user_key) {
        return true;
      }
      if (!run.forward && CompareInternalKeys(e.key, run.from_key) <= 0 &&
          user_key >= run.user_key) {
        return true;
      }
    }
    return false;
  }

  void MoveForwardFrom(int64_t i) {
    while (i < Size() && Hidden(entries_[i])) ++i;
    position_ = i < Size() ? i : -1;
  }
  void MoveBackwardFrom(int64_t i) {
    while (i >= 0 && Hidden(entries_[i])) --i;
    position_ = i;
  }

  std::vector<ModelEntry> entries_;
  std::vector<SequenceNumber> sequence_max_;
  std::vector<HiddenRun> hidden_;
  int64_t position_ = -1;
  bool forward_ = true;
};

std::string RandomUserKey(Random& random) {
  static constexpr char kAlphabet[] = {'a', 'b', 'c', 'd'};
  std::string key;
  const uint64_t length = random.Range(0, 3);
  for (uint64_t i = 0; i < length; ++i) key += kAlphabet[random.Uniform(sizeof(kAlphabet))];
  return key;
}

std::string RandomInternalKey(Random& random) {
  return IKey(RandomUserKey(random), random.Range(0, 40),
              static_cast<ValueType>(random.Range(0, kMaxValueType)));
}

TEST(MergingIteratorTest, RandomOperationsMatchSortedModel) {
  constexpr int kSeeds = 40;
  constexpr int kOperationsPerSeed = 2000;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Random random(MixSeed(StableHash64("merging_iterator_test"), seed));
    const size_t child_count = random.Range(1, 6);
    // Distinct internal keys, dealt out to the children.
    std::vector<std::string> keys;
    const uint64_t key_count = random.Range(0, 120);
    for (uint64_t i = 0; i < key_count; ++i) keys.push_back(RandomInternalKey(random));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

    std::vector<std::vector<VectorIterator::Entry>> child_entries(child_count);
    std::vector<ModelEntry> model_entries;
    std::vector<SequenceNumber> sequence_max(child_count, 0);
    for (const std::string& key : keys) {
      const size_t child = random.Uniform(child_count);
      const std::string value = key + "#" + std::to_string(child);
      child_entries[child].push_back({key, value});
      model_entries.push_back({key, value, child});
      sequence_max[child] = std::max(sequence_max[child], ExtractSequence(key));
    }
    std::vector<MergingChild> children;
    for (size_t child = 0; child < child_count; ++child) {
      if (random.OneIn(4)) sequence_max[child] = kMaxSequenceNumber;  // unknown
      children.push_back(MergingChild{.iterator = Child(std::move(child_entries[child])),
                                      .sequence_max = sequence_max[child]});
    }
    auto merge = NewMergingIterator(std::move(children));
    MergeModel model(std::move(model_entries), sequence_max);

    for (int op = 0; op < kOperationsPerSeed; ++op) {
      const uint64_t kind = random.Uniform(10);
      std::string description;
      if (kind == 0) {
        description = "SeekToFirst";
        merge->SeekToFirst();
        model.SeekToFirst();
      } else if (kind == 1) {
        description = "SeekToLast";
        merge->SeekToLast();
        model.SeekToLast();
      } else if (kind == 2) {
        const std::string target = RandomInternalKey(random);
        description = "Seek " + DebugInternalKey(target);
        merge->Seek(target);
        model.Seek(target);
      } else if (kind == 3) {
        const std::string target = RandomInternalKey(random);
        description = "SeekForPrev " + DebugInternalKey(target);
        merge->SeekForPrev(target);
        model.SeekForPrev(target);
      } else if (kind == 4 && model.valid()) {
        // What a reader does on a range-deleted key; any bound exercises it.
        const std::string user_key = RandomUserKey(random);
        const SequenceNumber sequence = random.Range(1, 42);
        description = "Skip " + user_key + " @" + std::to_string(sequence);
        const bool forward = model.forward();
        size_t moved = forward ? merge->SkipForwardCovered(user_key, sequence)
                               : merge->SkipBackwardCovered(user_key, sequence);
        static_cast<void>(moved);
        model.Skip(forward, user_key, sequence);
      } else if (kind <= 6 && model.valid()) {
        description = "Prev";
        merge->Prev();
        model.Prev();
      } else if (model.valid()) {
        description = "Next";
        merge->Next();
        model.Next();
      } else {
        continue;
      }
      SCOPED_TRACE("op " + std::to_string(op) + ": " + description);
      ASSERT_TRUE(merge->status().ok());
      ASSERT_EQ(merge->Valid(), model.valid());
      if (model.valid()) {
        ASSERT_EQ(DebugInternalKey(merge->key()), DebugInternalKey(model.entry().key));
        ASSERT_EQ(merge->value(), model.entry().value);
      }
    }
  }
}

TEST(MergingIteratorTest, SkipMovesOnlyChildrenOlderThanTheTombstone) {
  std::vector<VectorIterator::Entry> old_entries;
  constexpr int kOldKeys = 1000;
  for (int i = 0; i < kOldKeys; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "k%04d", i);
    old_entries.push_back({IKey(user_key, static_cast<SequenceNumber>(i + 1)), "old"});
  }
  IteratorMoveCounts old_moves;
  IteratorMoveCounts new_moves;
  std::vector<MergingChild> children;
  children.push_back(
      MergingChild{.iterator = std::make_unique<CountingIterator>(
                       Child({{IKey("k0500", 2000), "new"}, {IKey("z", 2001), "z"}}), &new_moves),
                   .sequence_max = 2001});
  children.push_back(MergingChild{
      .iterator = std::make_unique<CountingIterator>(Child(std::move(old_entries)), &old_moves),
      .sequence_max = kOldKeys});
  auto merge = NewMergingIterator(std::move(children));

  merge->SeekToFirst();
  ASSERT_EQ(ExtractUserKey(merge->key()), "k0000");
  // A tombstone at 1500 covering [k0000, k9): the old child jumps, the new
  // child (which may hold newer versions) stays.
  EXPECT_EQ(merge->SkipForwardCovered("k9", 1500), 1u);
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "new");
  merge->Next();
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "z");
  EXPECT_LE(old_moves.total(), 2u);

  // A tombstone too old for the old child moves nothing.
  merge->SeekToFirst();
  EXPECT_EQ(merge->SkipForwardCovered("k9", kOldKeys), 0u);
  EXPECT_EQ(ExtractUserKey(merge->key()), "k0000");

  merge->SeekToLast();
  merge->Prev();
  ASSERT_EQ(ExtractUserKey(merge->key()), "k0999");
  EXPECT_EQ(merge->SkipBackwardCovered("k", 1500), 1u);
  ASSERT_TRUE(merge->Valid());
  EXPECT_EQ(merge->value(), "new");
  merge->Prev();
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(merge->status().ok());
  EXPECT_LE(old_moves.total(), 6u);
}

TEST(MergingIteratorTest, ChildErrorMakesTheMergeInvalidAndSticks) {
  std::vector<VectorIterator::Entry> entries;
  for (int i = 0; i < 10; ++i) entries.push_back({IKey("k" + std::to_string(i), 1), "v"});
  auto failing = Child(entries);
  failing->FailAt(5, IOError("disk on fire"));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(Child({{IKey("a", 9), "a"}, {IKey("z", 9), "z"}}));
  children.push_back(std::move(failing));
  auto merge = NewMergingIterator(std::move(children));

  int seen = 0;
  for (merge->SeekToFirst(); merge->Valid(); merge->Next()) {
    // The failing child's later entries and "z" must never show.
    EXPECT_NE(merge->value(), "z");
    ++seen;
  }
  EXPECT_EQ(seen, 6);  // "a" and k0..k4
  EXPECT_TRUE(IsIOError(merge->status()));
  merge->SeekToFirst();
  EXPECT_FALSE(merge->Valid());
  merge->SeekForPrev(IKey("b", 1));
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(IsIOError(merge->status()));
}

TEST(MergingIteratorTest, ReportsTheFirstChildErrorBackward) {
  auto first = Child({{IKey("a", 1), "a"}, {IKey("b", 1), "b"}});
  first->FailAt(1, Corruption("first"));
  auto second = Child({{IKey("c", 1), "c"}});
  second->FailAt(0, IOError("second"));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::move(first));
  children.push_back(std::move(second));
  auto merge = NewMergingIterator(std::move(children));
  merge->SeekToLast();
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(IsCorruption(merge->status()));
  const absl::string_view message = merge->status().message();
  EXPECT_NE(std::string(message.data(), message.size()).find("first"), std::string::npos);
}

TEST(MergingIteratorTest, ErrorWhileSwitchingDirection) {
  auto failing = Child({{IKey("a", 1), "a"}, {IKey("c", 1), "c"}});
  failing->FailAt(0, IOError("fails going back"));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(Child({{IKey("b", 1), "b"}}));
  children.push_back(std::move(failing));
  auto merge = NewMergingIterator(std::move(children));
  merge->Seek(IKey("b", 1));
  ASSERT_TRUE(merge->Valid());
  merge->Prev();  // repositions the failing child onto entry 0
  EXPECT_FALSE(merge->Valid());
  EXPECT_TRUE(IsIOError(merge->status()));
}

}  // namespace
}  // namespace kiln
