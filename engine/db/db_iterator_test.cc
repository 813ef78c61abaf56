#include "db/db_iterator.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "db/merging_iterator.h"
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

struct Tombstone {
  std::string begin;
  std::string end;
  SequenceNumber sequence = 0;
};

// How TestTombstones reports runs; each mode meets the view's contract.
enum class RunMode : uint8_t {
  kFragment,  // the fragment around the key, at its covering sequence
  kCoalesce,  // adjacent fragments covered at least as strongly, same sequence
  kWide,      // every adjacent covered fragment, at sequence 1
};

// A brute-force RangeTombstoneView: fragments are the gaps between all
// tombstone boundaries.
class TestTombstones final : public RangeTombstoneView {
 public:
  TestTombstones(std::vector<Tombstone> tombstones, RunMode mode)
      : tombstones_(std::move(tombstones)), mode_(mode) {
    for (const Tombstone& t : tombstones_) {
      boundaries_.push_back(t.begin);
      boundaries_.push_back(t.end);
    }
    std::sort(boundaries_.begin(), boundaries_.end());
    boundaries_.erase(std::unique(boundaries_.begin(), boundaries_.end()), boundaries_.end());
  }

  SequenceNumber MaxCoveringSeq(std::string_view user_key, SequenceNumber snapshot) const override {
    SequenceNumber max = 0;
    for (const Tombstone& t : tombstones_) {
      if (t.begin <= user_key && user_key < t.end && t.sequence <= snapshot) {
        max = std::max(max, t.sequence);
      }
    }
    return max;
  }

  std::optional<CoveredRun> CoveredRunAt(std::string_view user_key,
                                         SequenceNumber snapshot) const override {
    const SequenceNumber covering = MaxCoveringSeq(user_key, snapshot);
    if (covering == 0) return std::nullopt;
    // boundaries_[first] <= user_key < boundaries_[first + 1].
    size_t first = static_cast<size_t>(
        std::upper_bound(boundaries_.begin(), boundaries_.end(), user_key) - boundaries_.begin());
    EXPECT_GT(first, 0u);
    --first;
    size_t last = first + 1;
    const SequenceNumber sequence = mode_ == RunMode::kWide ? 1 : covering;
    if (mode_ != RunMode::kFragment) {
      while (first > 0 && MaxCoveringSeq(boundaries_[first - 1], snapshot) >= sequence) --first;
      while (last + 1 < boundaries_.size() &&
             MaxCoveringSeq(boundaries_[last], snapshot) >= sequence) {
        ++last;
      }
    }
    return CoveredRun{.begin = boundaries_[first], .end = boundaries_[last], .sequence = sequence};
  }

 private:
  std::vector<Tombstone> tombstones_;
  RunMode mode_;
  std::vector<std::string> boundaries_;
};

struct PointEntry {
  std::string user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
  std::string value;
};

// The brute-force answer: every visible (key, value) within the options.
std::vector<std::pair<std::string, std::string>> ModelVisible(
    const std::vector<PointEntry>& entries, const RangeTombstoneView& tombstones,
    const DbIteratorOptions& options) {
  std::map<std::string, const PointEntry*> newest;
  for (const PointEntry& e : entries) {
    if (e.sequence > options.snapshot || e.type == ValueType::kRangeDeletion) continue;
    const PointEntry*& slot = newest[e.user_key];
    if (slot == nullptr || slot->sequence < e.sequence) slot = &e;
  }
  std::vector<std::pair<std::string, std::string>> visible;
  for (const auto& [user_key, e] : newest) {
    if (e->type == ValueType::kDeletion) continue;
    if (tombstones.MaxCoveringSeq(user_key, options.snapshot) > e->sequence) continue;
    if (options.lower_bound && user_key < *options.lower_bound) continue;
    if (options.upper_bound && user_key >= *options.upper_bound) continue;
    if (options.prefix && !std::string_view(user_key).starts_with(*options.prefix)) continue;
    visible.emplace_back(user_key, e->value);
  }
  return visible;
}

VectorIterator::Entry ToEntry(const PointEntry& e) {
  return {IKey(e.user_key, e.sequence, e.type), e.value};
}

std::unique_ptr<MergingIterator> SingleSource(const std::vector<PointEntry>& entries,
                                              IteratorMoveCounts* counts = nullptr) {
  std::vector<VectorIterator::Entry> vector_entries;
  SequenceNumber sequence_max = 0;
  for (const PointEntry& e : entries) {
    vector_entries.push_back(ToEntry(e));
    sequence_max = std::max(sequence_max, e.sequence);
  }
  std::unique_ptr<InternalIterator> source =
      std::make_unique<VectorIterator>(std::move(vector_entries));
  if (counts != nullptr) source = std::make_unique<CountingIterator>(std::move(source), counts);
  std::vector<MergingChild> children;
  children.push_back(MergingChild{.iterator = std::move(source), .sequence_max = sequence_max});
  return NewMergingIterator(std::move(children));
}

std::vector<std::string> ForwardScan(DbIterator& iterator) {
  std::vector<std::string> out;
  for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next()) {
    out.push_back(std::string(iterator.key()) + "=" + std::string(iterator.value()));
  }
  return out;
}

std::vector<std::string> BackwardScan(DbIterator& iterator) {
  std::vector<std::string> out;
  for (iterator.SeekToLast(); iterator.Valid(); iterator.Prev()) {
    out.push_back(std::string(iterator.key()) + "=" + std::string(iterator.value()));
  }
  return out;
}

TEST(DbIteratorTest, SnapshotDeletionsAndRangeTombstones) {
  const std::vector<PointEntry> entries = {
      {"a", 1, ValueType::kValue, "a1"},        {"b", 2, ValueType::kValue, "b2"},
      {"c", 3, ValueType::kValue, "c3"},        {"b", 5, ValueType::kValue, "b5"},
      {"a", 6, ValueType::kDeletion, ""},       {"d", 7, ValueType::kBlobIndex, "blob7"},
      {"a", 4, ValueType::kRangeDeletion, "c"},
  };
  // [a, c) @4 deletes a1 and b2; b5 is newer and survives. The source keeps
  // the tombstone among its entries too (a @4), which is not a version.
  auto tombstones =
      std::make_shared<TestTombstones>(std::vector<Tombstone>{{"a", "c", 4}}, RunMode::kFragment);
  struct Case {
    SequenceNumber snapshot;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {0, {}},
      {1, {"a=a1"}},
      {3, {"a=a1", "b=b2", "c=c3"}},
      {4, {"c=c3"}},
      {5, {"b=b5", "c=c3"}},
      {6, {"b=b5", "c=c3"}},
      {kMaxSequenceNumber, {"b=b5", "c=c3", "d=blob7"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("snapshot " + std::to_string(c.snapshot));
    DbIterator iterator(SingleSource(entries), tombstones, {.snapshot = c.snapshot});
    EXPECT_EQ(ForwardScan(iterator), c.expected);
    std::vector<std::string> reversed(c.expected.rbegin(), c.expected.rend());
    EXPECT_EQ(BackwardScan(iterator), reversed);
    EXPECT_TRUE(iterator.status().ok());
  }
}

TEST(DbIteratorTest, BoundsAndPrefix) {
  std::vector<PointEntry> entries;
  for (const char* key : {"a", "ab", "abc", "ac", "b", "b\xff", "b\xff\xff", "c"}) {
    entries.push_back({key, 1, ValueType::kValue, "v"});
  }
  auto run = [&](DbIteratorOptions options) {
    DbIterator iterator(SingleSource(entries), nullptr, std::move(options));
    std::vector<std::string> forward = ForwardScan(iterator);
    std::vector<std::string> backward = BackwardScan(iterator);
    std::reverse(backward.begin(), backward.end());
    EXPECT_EQ(forward, backward);
    std::string keys;
    for (const std::string& kv : forward) keys += kv.substr(0, kv.size() - 2) + " ";
    return keys;
  };
  EXPECT_EQ(run({.lower_bound = "ab", .upper_bound = "b"}), "ab abc ac ");
  EXPECT_EQ(run({.prefix = "a"}), "a ab abc ac ");
  EXPECT_EQ(run({.prefix = "ab"}), "ab abc ");
  EXPECT_EQ(run({.upper_bound = "abc", .prefix = "a"}), "a ab ");
  EXPECT_EQ(run({.lower_bound = "ab", .prefix = "a"}), "ab abc ac ");
  EXPECT_EQ(run({.prefix = "b\xff"}), "b\xff b\xff\xff ");
  EXPECT_EQ(run({.lower_bound = "c", .upper_bound = "b"}), "");
  EXPECT_EQ(run({.prefix = "x"}), "");
  EXPECT_EQ(run({.prefix = ""}), "a ab abc ac b b\xff b\xff\xff c ");

  DbIterator iterator(SingleSource(entries), nullptr, {.lower_bound = "ab", .upper_bound = "b"});
  iterator.Seek("a");
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "ab");
  iterator.Seek("b");
  EXPECT_FALSE(iterator.Valid());
  iterator.SeekForPrev("zzz");
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "ac");
  iterator.SeekForPrev("aa");
  EXPECT_FALSE(iterator.Valid());
  iterator.SeekForPrev("abb");
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "ab");
}

// The random model test: random histories split LSM-style into sources,
// random snapshots, bounds, prefixes and run modes; random moves in both
// directions compared with the brute-force answer.
std::string RandomUserKey(Random& random) {
  static constexpr char kAlphabet[] = {'a', 'b', 'c', '\xff'};
  std::string key;
  const uint64_t length = random.Range(0, 3);
  for (uint64_t i = 0; i < length; ++i) key += kAlphabet[random.Uniform(sizeof(kAlphabet))];
  return key;
}

struct History {
  std::vector<PointEntry> entries;
  std::vector<Tombstone> tombstones;
  SequenceNumber last_sequence = 0;
};

History RandomHistory(Random& random) {
  History history;
  const uint64_t operations = random.Range(0, 150);
  std::string hot_key = RandomUserKey(random);
  for (uint64_t op = 0; op < operations; ++op) {
    const SequenceNumber sequence = ++history.last_sequence;
    const uint64_t kind = random.Uniform(20);
    const std::string user_key = random.OneIn(5) ? hot_key : RandomUserKey(random);
    const std::string value = "v" + std::to_string(sequence);
    if (kind < 11) {
      history.entries.push_back({user_key, sequence, ValueType::kValue, value});
    } else if (kind < 12) {
      history.entries.push_back({user_key, sequence, ValueType::kBlobIndex, "blob" + value});
    } else if (kind < 16) {
      history.entries.push_back({user_key, sequence, ValueType::kDeletion, ""});
    } else {
      std::string begin = user_key;
      std::string end = RandomUserKey(random);
      if (begin == end) continue;
      if (end < begin) std::swap(begin, end);
      history.tombstones.push_back({begin, end, sequence});
      // Some sources keep range deletions among their point entries.
      if (random.OneIn(2)) {
        history.entries.push_back({begin, sequence, ValueType::kRangeDeletion, end});
      }
    }
  }
  return history;
}

// Sources as an LSM holds them, each a band of sequences; or entries dealt at
// random. Each has a true sequence bound, sometimes withheld.
std::unique_ptr<MergingIterator> RandomSources(Random& random, const History& history) {
  const size_t source_count = random.Range(1, 5);
  const bool banded = !random.OneIn(4);
  std::vector<std::vector<VectorIterator::Entry>> source_entries(source_count);
  std::vector<SequenceNumber> sequence_max(source_count, 0);
  std::vector<SequenceNumber> cuts;
  for (size_t i = 0; i + 1 < source_count; ++i)
    cuts.push_back(random.Range(0, history.last_sequence));
  std::sort(cuts.begin(), cuts.end());
  for (const PointEntry& e : history.entries) {
    size_t source = random.Uniform(source_count);
    if (banded)
      source = static_cast<size_t>(std::upper_bound(cuts.begin(), cuts.end(), e.sequence - 1) -
                                   cuts.begin());
    source_entries[source].push_back(ToEntry(e));
    sequence_max[source] = std::max(sequence_max[source], e.sequence);
  }
  std::vector<MergingChild> children;
  for (size_t source = 0; source < source_count; ++source) {
    children.push_back(MergingChild{
        .iterator = std::make_unique<VectorIterator>(std::move(source_entries[source])),
        .sequence_max = random.OneIn(6) ? kMaxSequenceNumber : sequence_max[source]});
  }
  return NewMergingIterator(std::move(children));
}

std::optional<std::string> MaybeKey(Random& random, uint64_t one_in) {
  if (!random.OneIn(one_in)) return std::nullopt;
  return RandomUserKey(random);
}

TEST(DbIteratorTest, RandomHistoriesMatchBruteForceModel) {
  constexpr int kHistories = 400;
  constexpr int kOperationsPerHistory = 150;
  uint64_t total_skips = 0;
  for (int seed = 1; seed <= kHistories; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Random random(MixSeed(StableHash64("db_iterator_test"), seed));
    const History history = RandomHistory(random);
    const RunMode mode = static_cast<RunMode>(random.Uniform(3));
    auto tombstones = std::make_shared<TestTombstones>(history.tombstones, mode);
    DbIteratorOptions options;
    options.snapshot =
        random.OneIn(4) ? kMaxSequenceNumber : random.Range(0, history.last_sequence);
    options.lower_bound = MaybeKey(random, 4);
    options.upper_bound = MaybeKey(random, 4);
    if (random.OneIn(4)) {
      options.prefix = RandomUserKey(random).substr(0, random.Range(0, 2));
    }
    const auto model = ModelVisible(history.entries, *tombstones, options);
    const int64_t size = static_cast<int64_t>(model.size());
    DbIterator iterator(RandomSources(random, history), tombstones, options);

    int64_t position = -1;  // index into model; -1 is invalid
    for (int op = 0; op < kOperationsPerHistory; ++op) {
      const uint64_t kind = random.Uniform(10);
      std::string description;
      if (kind == 0) {
        description = "SeekToFirst";
        iterator.SeekToFirst();
        position = size > 0 ? 0 : -1;
      } else if (kind == 1) {
        description = "SeekToLast";
        iterator.SeekToLast();
        position = size - 1;
      } else if (kind == 2) {
        // Seeking to the current key through its own view must work too.
        const std::string target =
            position >= 0 && random.OneIn(3) ? std::string(iterator.key()) : RandomUserKey(random);
        description = "Seek '" + target + "'";
        if (position >= 0 && target == iterator.key()) {
          iterator.Seek(iterator.key());
        } else {
          iterator.Seek(target);
        }
        position = 0;
        while (position < size && model[position].first < target) ++position;
        if (position == size) position = -1;
      } else if (kind == 3) {
        const std::string target = RandomUserKey(random);
        description = "SeekForPrev '" + target + "'";
        iterator.SeekForPrev(target);
        position = size - 1;
        while (position >= 0 && model[position].first > target) --position;
      } else if (kind <= 6 && position >= 0) {
        description = "Next";
        iterator.Next();
        position = position + 1 < size ? position + 1 : -1;
      } else if (position >= 0) {
        description = "Prev";
        iterator.Prev();
        --position;
      } else {
        continue;
      }
      SCOPED_TRACE("op " + std::to_string(op) + ": " + description);
      ASSERT_TRUE(iterator.status().ok()) << iterator.status();
      ASSERT_EQ(iterator.Valid(), position >= 0);
      if (position >= 0) {
        ASSERT_EQ(iterator.key(), model[position].first);
        ASSERT_EQ(iterator.value(), model[position].second);
      }
    }
    total_skips += iterator.stats().covered_run_skips;
  }
  // The skips happened (this test exercises them, not just stepping).
  EXPECT_GT(total_skips, 100u);
}

std::string NumberedKey(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "key%05d", i);
  return key;
}

TEST(DbIteratorTest, CoveredRunIsSkippedBySeeksNotSteps) {
  constexpr int kCoveredKeys = 10000;
  constexpr SequenceNumber kTombstoneSequence = 20000;
  std::vector<VectorIterator::Entry> old_entries;
  for (int i = 0; i < kCoveredKeys; ++i) {
    old_entries.push_back({IKey(NumberedKey(i), static_cast<SequenceNumber>(i + 1)), "old"});
  }
  const std::vector<VectorIterator::Entry> new_entries = {
      {IKey("a", 20001), "a"},
      // Written after the tombstone: visible inside the deleted run.
      {IKey(NumberedKey(5000), 20003), "survivor"},
      {IKey("z", 20002), "z"},
  };
  auto tombstones = std::make_shared<TestTombstones>(
      std::vector<Tombstone>{{"key", "kez", kTombstoneSequence}}, RunMode::kFragment);

  IteratorMoveCounts old_moves;
  IteratorMoveCounts new_moves;
  std::vector<MergingChild> children;
  children.push_back(MergingChild{.iterator = std::make_unique<CountingIterator>(
                                      std::make_unique<VectorIterator>(new_entries), &new_moves),
                                  .sequence_max = 20003});
  children.push_back(
      MergingChild{.iterator = std::make_unique<CountingIterator>(
                       std::make_unique<VectorIterator>(std::move(old_entries)), &old_moves),
                   .sequence_max = kCoveredKeys});
  DbIterator iterator(NewMergingIterator(std::move(children)), tombstones, {});

  const std::vector<std::string> expected = {"a=a", NumberedKey(5000) + "=survivor", "z=z"};
  EXPECT_EQ(ForwardScan(iterator), expected);
  EXPECT_EQ(iterator.stats().covered_run_skips, 1u);
  EXPECT_LE(old_moves.total(), 6u);

  old_moves = {};
  EXPECT_EQ(BackwardScan(iterator), std::vector<std::string>(expected.rbegin(), expected.rend()));
  EXPECT_EQ(iterator.stats().covered_run_skips, 2u);
  EXPECT_LE(old_moves.total(), 6u);

  // Direction switches inside the run skip again instead of stepping.
  old_moves = {};
  iterator.Seek(NumberedKey(5000));
  ASSERT_TRUE(iterator.Valid());
  iterator.Prev();
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "a");
  iterator.Next();
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.value(), "survivor");
  iterator.Next();
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "z");
  EXPECT_LE(old_moves.total(), 12u);
  EXPECT_LE(new_moves.total(), 40u);
}

TEST(DbIteratorTest, RangeDeletionOfEverythingCostsConstantMoves) {
  constexpr int kCoveredKeys = 10000;
  std::vector<VectorIterator::Entry> entries;
  for (int i = 0; i < kCoveredKeys; ++i) {
    entries.push_back({IKey(NumberedKey(i), static_cast<SequenceNumber>(i + 1)), "v"});
  }
  auto tombstones = std::make_shared<TestTombstones>(
      std::vector<Tombstone>{{"", "\xff", kCoveredKeys + 1}}, RunMode::kFragment);
  IteratorMoveCounts moves;
  std::vector<MergingChild> children;
  children.push_back(MergingChild{.iterator = std::make_unique<CountingIterator>(
                                      std::make_unique<VectorIterator>(std::move(entries)), &moves),
                                  .sequence_max = kCoveredKeys});
  DbIterator iterator(NewMergingIterator(std::move(children)), tombstones, {});
  iterator.SeekToFirst();
  EXPECT_FALSE(iterator.Valid());
  iterator.SeekToLast();
  EXPECT_FALSE(iterator.Valid());
  iterator.Seek(NumberedKey(4000));
  EXPECT_FALSE(iterator.Valid());
  iterator.SeekForPrev(NumberedKey(4000));
  EXPECT_FALSE(iterator.Valid());
  EXPECT_TRUE(iterator.status().ok());
  EXPECT_LE(moves.total(), 12u);
  EXPECT_EQ(iterator.stats().covered_run_skips, 4u);
}

TEST(DbIteratorTest, ManyVersionsOfOneKeyAreSeekedPast) {
  constexpr int kVersions = 1000;
  std::vector<PointEntry> entries;
  for (int i = 1; i <= kVersions; ++i) {
    entries.push_back(
        {"hot", static_cast<SequenceNumber>(i), ValueType::kValue, "v" + std::to_string(i)});
  }
  entries.push_back({"next", 5, ValueType::kValue, "n"});
  IteratorMoveCounts moves;
  DbIterator iterator(SingleSource(entries, &moves), nullptr, {.snapshot = 10});
  iterator.SeekToFirst();
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.value(), "v10");
  iterator.Next();
  ASSERT_TRUE(iterator.Valid());
  EXPECT_EQ(iterator.key(), "next");
  EXPECT_EQ(iterator.stats().version_reseeks, 2u);
  EXPECT_LE(moves.total(), 2u * (kMaxVersionStepsBeforeReseek + 2));
}

TEST(DbIteratorTest, BoundsStopTheScan) {
  constexpr int kKeys = 1000;
  std::vector<PointEntry> entries;
  for (int i = 0; i < kKeys; ++i) entries.push_back({NumberedKey(i), 1, ValueType::kValue, "v"});
  {
    IteratorMoveCounts moves;
    DbIterator iterator(SingleSource(entries, &moves), nullptr, {.upper_bound = NumberedKey(10)});
    EXPECT_EQ(ForwardScan(iterator).size(), 10u);
    EXPECT_LE(moves.total(), 12u);
  }
  {
    IteratorMoveCounts moves;
    DbIterator iterator(SingleSource(entries, &moves), nullptr, {.lower_bound = NumberedKey(990)});
    EXPECT_EQ(BackwardScan(iterator).size(), 10u);
    EXPECT_LE(moves.total(), 12u);
  }
  {
    IteratorMoveCounts moves;
    DbIterator iterator(SingleSource(entries, &moves), nullptr, {.prefix = "key0050"});
    EXPECT_EQ(ForwardScan(iterator).size(), 10u);
    EXPECT_EQ(BackwardScan(iterator).size(), 10u);
    EXPECT_LE(moves.total(), 26u);
  }
}

TEST(DbIteratorTest, SourceErrorsSurfaceAndStick) {
  std::vector<VectorIterator::Entry> entries;
  for (int i = 0; i < 10; ++i) entries.push_back({IKey(NumberedKey(i), 1), "v"});
  for (const bool forward : {true, false}) {
    SCOPED_TRACE(forward ? "forward" : "backward");
    auto source = std::make_unique<VectorIterator>(entries);
    source->FailAt(5, IOError("bad sector"));
    std::vector<std::unique_ptr<InternalIterator>> children;
    children.push_back(std::move(source));
    DbIterator iterator(NewMergingIterator(std::move(children)), nullptr, {});
    const std::vector<std::string> seen = forward ? ForwardScan(iterator) : BackwardScan(iterator);
    EXPECT_EQ(seen.size(), forward ? 5u : 3u);  // backward decides a key one entry late
    EXPECT_FALSE(iterator.Valid());
    EXPECT_TRUE(IsIOError(iterator.status()));
    iterator.SeekToFirst();
    EXPECT_FALSE(iterator.Valid());
    iterator.Seek(NumberedKey(0));
    EXPECT_FALSE(iterator.Valid());
    EXPECT_TRUE(IsIOError(iterator.status()));
  }
}

TEST(DbIteratorTest, MalformedKeyIsCorruption) {
  std::string bad = IKey("b", 2);
  bad[bad.size() - 8] = 9;  // an unknown value type
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(
      std::vector<VectorIterator::Entry>{{IKey("a", 1), "a"}, {bad, "?"}}));
  DbIterator iterator(NewMergingIterator(std::move(children)), nullptr, {});
  iterator.SeekToFirst();
  ASSERT_TRUE(iterator.Valid());
  iterator.Next();
  EXPECT_FALSE(iterator.Valid());
  EXPECT_TRUE(IsCorruption(iterator.status()));
}

}  // namespace
}  // namespace kiln
