#include "memtable/memtable.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"

namespace kiln {
namespace {

using Kind = MemTable::GetResult::Kind;

TEST(MemTableTest, GetSeesTheNewestVisibleVersion) {
  MemTable table(Random(1));
  EXPECT_TRUE(table.empty());
  table.Add(1, ValueType::kValue, "a", "v1");
  table.Add(3, ValueType::kValue, "a", "v3");
  table.Add(5, ValueType::kDeletion, "a", "");
  table.Add(7, ValueType::kRangeDeletion, "a", "c");
  table.Add(9, ValueType::kValue, "a", "v9");
  table.Add(4, ValueType::kBlobIndex, "b", "blob-ref");
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(table.num_entries(), 5u);
  EXPECT_EQ(table.num_range_tombstones(), 1u);
  EXPECT_EQ(table.smallest_sequence(), 1u);
  EXPECT_EQ(table.largest_sequence(), 9u);

  EXPECT_EQ(table.Get("a", 0).kind, Kind::kNotPresent);
  EXPECT_EQ(table.Get("a", 2).value, "v1");
  EXPECT_EQ(table.Get("a", 3).value, "v3");
  EXPECT_EQ(table.Get("a", 3).sequence, 3u);
  EXPECT_EQ(table.Get("a", 5).kind, Kind::kDeleted);
  EXPECT_EQ(table.Get("a", 5).type, ValueType::kDeletion);
  EXPECT_EQ(table.Get("a", 8).kind, Kind::kDeleted);
  EXPECT_EQ(table.Get("a", 8).type, ValueType::kRangeDeletion);
  EXPECT_EQ(table.Get("a", 8).sequence, 7u);
  EXPECT_EQ(table.Get("a", 9).value, "v9");

  const MemTable::GetResult blob = table.Get("b", 5);
  EXPECT_EQ(blob.kind, Kind::kFound);
  EXPECT_EQ(blob.type, ValueType::kBlobIndex);
  EXPECT_EQ(blob.value, "blob-ref");
  EXPECT_EQ(table.Get("b", 7).kind, Kind::kDeleted);
  // A range tombstone here hides older data elsewhere too.
  EXPECT_EQ(table.Get("bb", 7).kind, Kind::kDeleted);
  EXPECT_EQ(table.Get("bb", 6).kind, Kind::kNotPresent);
  EXPECT_EQ(table.Get("c", 9).kind, Kind::kNotPresent);  // end is exclusive

  EXPECT_EQ(table.RangeTombstones(), (std::vector<RangeTombstone>{{"a", "c", 7}}));
}

TEST(MemTableTest, AVersionAtTheTombstonesSequenceIsNotCovered) {
  // dbformat.h: a tombstone at s deletes versions with sequence < s.
  MemTable table(Random(1));
  table.Add(0, ValueType::kValue, "k", "zero");
  table.Add(6, ValueType::kValue, "m", "six");
  table.Add(6, ValueType::kRangeDeletion, "a", "z");
  EXPECT_EQ(table.Get("k", 5).value, "zero");
  EXPECT_EQ(table.Get("k", 6).kind, Kind::kDeleted);
  EXPECT_EQ(table.Get("m", 6).kind, Kind::kFound);
  EXPECT_EQ(table.Get("m", 6).value, "six");
}

TEST(MemTableTest, KeysAndValuesMayBeEmptyOrLarge) {
  MemTable table(Random(2));
  const std::string large_key(3000, 'k');
  const std::string large_value(100000, 'v');
  table.Add(1, ValueType::kValue, "", "");
  table.Add(2, ValueType::kValue, large_key, large_value);
  EXPECT_EQ(table.Get("", 1).kind, Kind::kFound);
  EXPECT_EQ(table.Get("", 1).value, "");
  EXPECT_EQ(table.Get(large_key, 2).value, large_value);
  EXPECT_GE(table.ApproximateMemoryUsage(), large_key.size() + large_value.size());
}

// Values up to kMemTableInlineValueBytes live in the entry, longer ones in a
// separate arena; a range tombstone's end is always inline. Every kind reads
// back the same through Get, the iterator and RangeTombstones.
TEST(MemTableTest, InlineAndSeparateValuesReadBackTheSame) {
  MemTable table(Random(4));
  const std::string at_limit(kMemTableInlineValueBytes, 'i');
  const std::string past_limit(kMemTableInlineValueBytes + 1, 's');
  const std::string long_end = "z" + std::string(100, 'e');
  table.Add(1, ValueType::kValue, "a", at_limit);
  table.Add(2, ValueType::kValue, "b", past_limit);
  table.Add(3, ValueType::kBlobIndex, "c", past_limit + "blob");
  table.Add(4, ValueType::kRangeDeletion, "x", long_end);
  EXPECT_EQ(table.Get("a", 4).value, at_limit);
  EXPECT_EQ(table.Get("b", 4).value, past_limit);
  EXPECT_EQ(table.Get("c", 4).value, past_limit + "blob");
  EXPECT_EQ(table.Get("y", 4).kind, Kind::kDeleted);
  const std::vector<RangeTombstone> tombstones = table.RangeTombstones();
  ASSERT_EQ(tombstones.size(), 1u);
  EXPECT_EQ(tombstones[0].end, long_end);
  std::unique_ptr<InternalIterator> it = table.NewIterator();
  std::vector<std::string> values;
  for (it->SeekToFirst(); it->Valid(); it->Next()) values.emplace_back(it->value());
  EXPECT_EQ(values, (std::vector<std::string>{at_limit, past_limit, past_limit + "blob"}));
}

// ---------------------------------------------------------------------------
// A brute-force model over thousands of random operations.

struct PointOp {
  SequenceNumber sequence;
  ValueType type;
  std::string key;
  std::string value;
};

struct Model {
  std::vector<PointOp> points;
  std::map<std::string, std::vector<PointOp>, std::less<>> points_by_key;
  std::vector<RangeTombstone> tombstones;

  void Add(const PointOp& op) {
    points.push_back(op);
    points_by_key[op.key].push_back(op);
  }

  MemTable::GetResult Get(std::string_view key, SequenceNumber snapshot) const {
    const PointOp* newest = nullptr;
    const auto versions = points_by_key.find(key);
    if (versions != points_by_key.end()) {
      for (const PointOp& op : versions->second) {
        if (op.sequence <= snapshot && (newest == nullptr || op.sequence > newest->sequence)) {
          newest = &op;
        }
      }
    }
    return GetWithTombstones(key, snapshot, newest);
  }

  // The answer given the newest visible version (or null).
  MemTable::GetResult GetWithTombstones(std::string_view key, SequenceNumber snapshot,
                                        const PointOp* newest) const {
    MemTable::GetResult result;
    SequenceNumber tombstone = 0;
    for (const RangeTombstone& t : tombstones) {
      if (t.begin <= key && key < t.end && t.sequence <= snapshot) {
        tombstone = std::max(tombstone, t.sequence);
      }
    }
    if (tombstone > 0 && (newest == nullptr || tombstone > newest->sequence)) {
      result.kind = Kind::kDeleted;
      result.type = ValueType::kRangeDeletion;
      result.sequence = tombstone;
    } else if (newest != nullptr) {
      result.kind = newest->type == ValueType::kDeletion ? Kind::kDeleted : Kind::kFound;
      result.type = newest->type;
      result.sequence = newest->sequence;
      if (result.kind == Kind::kFound) result.value = newest->value;
    }
    return result;
  }

  // (internal key, value), in internal-key order.
  std::vector<std::pair<std::string, std::string>> SortedPoints() const {
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const PointOp& op : points) {
      sorted.emplace_back(MakeInternalKey(op.key, op.sequence, op.type), op.value);
    }
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return CompareInternalKeys(a.first, b.first) < 0;
    });
    return sorted;
  }

  std::vector<RangeTombstone> SortedTombstones() const {
    std::vector<RangeTombstone> sorted = tombstones;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return std::tie(a.begin, b.sequence) < std::tie(b.begin, a.sequence);
    });
    return sorted;
  }
};

// Keys of length 0..3 over "abc": short enough to collide often, with every
// prefix relation ("a" < "aa" < "ab"). Half of them follow a run of zero
// digits that ends just before, at or just after the 8- and 16-byte words of
// the skiplist's order prefix, so keys differ on both sides of each word.
std::string RandomKey(Random& random) {
  constexpr size_t kZeroRuns[] = {7, 8, 9, 15, 16, 17};
  std::string key;
  if (random.OneIn(2)) key.assign(kZeroRuns[random.Uniform(std::size(kZeroRuns))], '0');
  const uint64_t length = random.Uniform(4);
  for (uint64_t i = 0; i < length; ++i) key.push_back(static_cast<char>('a' + random.Uniform(3)));
  return key;
}

void ExpectSameGet(const MemTable& table, const Model& model, std::string_view key,
                   SequenceNumber snapshot) {
  const MemTable::GetResult expected = model.Get(key, snapshot);
  const MemTable::GetResult actual = table.Get(key, snapshot);
  ASSERT_EQ(actual.kind, expected.kind) << "key '" << key << "' at " << snapshot;
  if (expected.kind == Kind::kNotPresent) return;
  ASSERT_EQ(actual.type, expected.type) << "key '" << key << "' at " << snapshot;
  ASSERT_EQ(actual.sequence, expected.sequence) << "key '" << key << "' at " << snapshot;
  ASSERT_EQ(actual.value, expected.value) << "key '" << key << "' at " << snapshot;
}

void ExpectSameGets(const MemTable& table, const Model& model, SequenceNumber largest,
                    Random& random) {
  constexpr int kRandomSnapshots = 12;
  std::vector<SequenceNumber> snapshots = {0, largest, largest + 1, kMaxSequenceNumber};
  for (int i = 0; i < kRandomSnapshots; ++i) snapshots.push_back(random.Range(0, largest));
  // Every key RandomKey can make, plus keys it cannot.
  std::vector<std::string> keys = {"d", "abcd", "ca\xff", std::string(1, '\0')};
  for (int i = 0; i < 200; ++i) keys.push_back(RandomKey(random));
  for (const std::string& key : keys) {
    for (const SequenceNumber snapshot : snapshots) {
      ExpectSameGet(table, model, key, snapshot);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

void ExpectSameIteration(const MemTable& table, const Model& model, Random& random) {
  constexpr int kSeeks = 300;
  const auto expected = model.SortedPoints();
  const std::unique_ptr<InternalIterator> iterator = table.NewIterator();
  InternalIterator& it = *iterator;
  std::vector<std::pair<std::string, std::string>> forward;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    forward.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  ASSERT_TRUE(it.status().ok());
  ASSERT_EQ(forward, expected);
  std::vector<std::pair<std::string, std::string>> backward;
  for (it.SeekToLast(); it.Valid(); it.Prev()) {
    backward.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  ASSERT_EQ(backward, std::vector(expected.rbegin(), expected.rend()));

  const auto less = [](const auto& entry, const std::string& key) {
    return CompareInternalKeys(entry.first, key) < 0;
  };
  for (int i = 0; i < kSeeks; ++i) {
    const std::string target =
        MakeInternalKey(RandomKey(random), random.Uniform(model.points.size() + 2),
                        static_cast<ValueType>(random.Uniform(kMaxValueType + 1)));
    const auto at_or_after = std::lower_bound(expected.begin(), expected.end(), target, less);
    it.Seek(target);
    ASSERT_EQ(it.Valid(), at_or_after != expected.end()) << DebugInternalKey(target);
    if (it.Valid()) {
      ASSERT_EQ(it.key(), at_or_after->first);
    }

    auto after = at_or_after;
    if (after != expected.end() && CompareInternalKeys(after->first, target) == 0) ++after;
    it.SeekForPrev(target);
    ASSERT_EQ(it.Valid(), after != expected.begin()) << DebugInternalKey(target);
    if (it.Valid()) {
      ASSERT_EQ(it.key(), std::prev(after)->first);
    }
  }
}

enum class AddOrder { kBySequence, kShuffled };

// Random operations with distinct sequences, added in sequence order or
// shuffled (the memtable must not care), checking Get along the way.
void RunAgainstModel(uint64_t seed, AddOrder order, size_t filter_bytes = 0) {
  constexpr int kOps = 3000;
  constexpr int kCheckEvery = 1000;
  Random random(seed);
  Model model;
  std::vector<PointOp> ops;  // range deletions: key = begin, value = end
  SequenceNumber sequence = 0;
  for (int i = 0; i < kOps; ++i) {
    const uint64_t dice = random.Uniform(100);
    // A range deletion may share its sequence with the point entry before it
    // (it must not cover it); otherwise sequences grow, with gaps.
    const bool share_sequence =
        dice < 8 && !ops.empty() && ops.back().type != ValueType::kRangeDeletion && random.OneIn(3);
    if (!share_sequence) sequence += random.OneIn(4) ? random.Range(2, 5) : 1;
    if (dice < 8) {
      std::string begin = RandomKey(random);
      std::string end = RandomKey(random);
      if (begin == end) end.push_back('a');
      if (end < begin) std::swap(begin, end);
      ops.push_back({sequence, ValueType::kRangeDeletion, begin, end});
    } else if (dice < 30) {
      ops.push_back({sequence, ValueType::kDeletion, RandomKey(random), ""});
    } else {
      const ValueType type = dice < 35 ? ValueType::kBlobIndex : ValueType::kValue;
      // Short values stay in the entry, long ones go to the separate arena.
      const size_t padding = random.OneIn(2) ? random.Uniform(2 * kMemTableInlineValueBytes) : 0;
      ops.push_back({sequence, type, RandomKey(random),
                     "v" + std::to_string(sequence) + std::string(padding, 'p')});
    }
  }
  if (order == AddOrder::kShuffled) {
    for (size_t i = ops.size() - 1; i > 0; --i) std::swap(ops[i], ops[random.Uniform(i + 1)]);
  }

  MemTable table(Random(MixSeed(seed, 1)), nullptr, filter_bytes);
  size_t previous_usage = table.ApproximateMemoryUsage();
  SequenceNumber smallest = kMaxSequenceNumber;
  SequenceNumber largest = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const PointOp& op = ops[i];
    table.Add(op.sequence, op.type, op.key, op.value);
    if (op.type == ValueType::kRangeDeletion) {
      model.tombstones.push_back({op.key, op.value, op.sequence});
    } else {
      model.Add(op);
    }
    smallest = std::min(smallest, op.sequence);
    largest = std::max(largest, op.sequence);
    ASSERT_EQ(table.smallest_sequence(), smallest);
    ASSERT_EQ(table.largest_sequence(), largest);
    ASSERT_GE(table.ApproximateMemoryUsage(), previous_usage);
    previous_usage = table.ApproximateMemoryUsage();
    if ((i + 1) % kCheckEvery == 0) {
      ExpectSameGets(table, model, largest, random);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(table.has_filter(), filter_bytes > 0) << "the filter was never built";
  EXPECT_EQ(table.num_entries(), model.points.size());
  EXPECT_EQ(table.num_range_tombstones(), model.tombstones.size());
  EXPECT_EQ(table.RangeTombstones(), model.SortedTombstones());
  ExpectSameIteration(table, model, random);
}

TEST(MemTableTest, MatchesBruteForceModel) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    RunAgainstModel(seed, AddOrder::kBySequence);
    if (HasFatalFailure()) return;
  }
}

TEST(MemTableTest, MatchesBruteForceModelWhenAddedOutOfOrder) {
  for (uint64_t seed = 11; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    RunAgainstModel(seed, AddOrder::kShuffled);
    if (HasFatalFailure()) return;
  }
}

// A filter built partway (the entries before it are added at build time),
// tiny (mostly false positives) or roomy (mostly true negatives): Gets
// answer as without one.
TEST(MemTableTest, MatchesBruteForceModelWithAFilter) {
  for (const size_t filter_bytes : {size_t{64}, size_t{4096}}) {
    for (uint64_t seed = 21; seed <= 22; ++seed) {
      SCOPED_TRACE(std::to_string(seed) + " filter " + std::to_string(filter_bytes));
      RunAgainstModel(seed, seed % 2 == 0 ? AddOrder::kShuffled : AddOrder::kBySequence,
                      filter_bytes);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(MemTableTest, TheFilterIsBuiltAtItsThresholdAndCounted) {
  MemTable table(Random(3), nullptr, /*filter_bytes=*/1024);
  EXPECT_EQ(table.filter_after_bytes(), 4096u);
  uint64_t sequence = 0;
  std::vector<std::string> keys;
  while (table.ApproximateMemoryUsage() < table.filter_after_bytes()) {
    ASSERT_FALSE(table.has_filter());
    keys.push_back("key" + std::to_string(sequence));
    table.Add(++sequence, ValueType::kValue, keys.back(), "value");
  }
  const size_t before = table.ApproximateMemoryUsage();
  keys.push_back("last");
  table.Add(++sequence, ValueType::kValue, keys.back(), "value");
  ASSERT_TRUE(table.has_filter());
  EXPECT_GE(table.ApproximateMemoryUsage(), before + 1024);
  for (const std::string& key : keys) {
    EXPECT_EQ(table.Get(key, kMaxSequenceNumber).kind, MemTable::GetResult::Kind::kFound) << key;
  }
  int absent_found = 0;
  for (int i = 0; i < 1000; ++i) {
    absent_found += table.Get("absent" + std::to_string(i), kMaxSequenceNumber).kind !=
                    MemTable::GetResult::Kind::kNotPresent;
  }
  EXPECT_EQ(absent_found, 0);
}

TEST(MemTableDeathTest, RejectsEmptyRangesAndDuplicates) {
  MemTable table(Random(1));
  EXPECT_DEATH(table.Add(1, ValueType::kRangeDeletion, "b", "b"), "empty range");
  EXPECT_DEATH(table.Add(1, ValueType::kRangeDeletion, "b", "a"), "empty range");
  table.Add(1, ValueType::kValue, "k", "v");
  EXPECT_DEATH(table.Add(1, ValueType::kValue, "k", "other"), "duplicate");
}

}  // namespace
}  // namespace kiln
