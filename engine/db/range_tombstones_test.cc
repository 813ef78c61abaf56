#include "db/range_tombstones.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"

namespace kiln {
namespace {

using Fragment = FragmentedRangeTombstones::Fragment;

TEST(FragmentedRangeTombstonesTest, SplitsOverlapsIntoDisjointFragments) {
  // The example in range_tombstones.h.
  const std::vector<RangeTombstone> input = {{"a", "e", 7}, {"c", "g", 5}, {"c", "d", 9}};
  const FragmentedRangeTombstones fragmented(input);
  const std::vector<Fragment> expected = {
      {"a", "c", {7}}, {"c", "d", {9, 7, 5}}, {"d", "e", {7, 5}}, {"e", "g", {5}}};
  EXPECT_TRUE(std::equal(fragmented.fragments().begin(), fragmented.fragments().end(),
                         expected.begin(), expected.end()));

  EXPECT_EQ(fragmented.MaxCoveringSeq("c", kMaxSequenceNumber), 9u);
  EXPECT_EQ(fragmented.MaxCoveringSeq("c", 8), 7u);
  EXPECT_EQ(fragmented.MaxCoveringSeq("c", 6), 5u);
  EXPECT_EQ(fragmented.MaxCoveringSeq("c", 4), 0u);
  EXPECT_EQ(fragmented.MaxCoveringSeq("g", kMaxSequenceNumber), 0u);  // end is exclusive
  EXPECT_EQ(fragmented.MaxCoveringSeq("", kMaxSequenceNumber), 0u);

  const auto fragment = fragmented.FragmentAt("dz", 6);
  ASSERT_TRUE(fragment.has_value());
  EXPECT_EQ(fragment->begin, "d");
  EXPECT_EQ(fragment->end, "e");
  EXPECT_EQ(fragment->sequence, 5u);
  EXPECT_FALSE(fragmented.FragmentAt("dz", 4).has_value());

  EXPECT_EQ(fragmented.LowerBound(""), 0u);
  EXPECT_EQ(fragmented.LowerBound("c"), 1u);
  EXPECT_EQ(fragmented.LowerBound("f"), 3u);
  EXPECT_EQ(fragmented.LowerBound("g"), 4u);
}

TEST(FragmentedRangeTombstonesTest, MergesTouchingFragmentsWithEqualSequences) {
  const std::vector<RangeTombstone> input = {{"a", "c", 3}, {"c", "e", 3}, {"a", "b", 3}};
  const FragmentedRangeTombstones fragmented(input);
  const std::vector<Fragment> expected = {{"a", "e", {3}}};
  EXPECT_TRUE(std::equal(fragmented.fragments().begin(), fragmented.fragments().end(),
                         expected.begin(), expected.end()));
  EXPECT_TRUE(FragmentedRangeTombstones().empty());
  EXPECT_EQ(FragmentedRangeTombstones().MaxCoveringSeq("a", kMaxSequenceNumber), 0u);
}

TEST(FragmentedRangeTombstonesTest, ForCompactionKeepsTheNewestPerStripe) {
  const std::vector<RangeTombstone> input = {
      {"a", "c", 2}, {"a", "c", 4}, {"a", "c", 6}, {"a", "c", 9}, {"b", "d", 5}};
  const FragmentedRangeTombstones fragmented(input);
  const std::vector<SequenceNumber> snapshots = {4, 7};
  // Stripes (0, 4], (4, 7], (7, max].
  EXPECT_EQ(fragmented.ForCompaction(snapshots, BottommostLevel::kNo),
            (std::vector<RangeTombstone>{{"a", "b", 9},
                                         {"a", "b", 6},
                                         {"a", "b", 4},
                                         {"b", "c", 9},
                                         {"b", "c", 6},
                                         {"b", "c", 4},
                                         {"c", "d", 5}}));
  EXPECT_EQ(fragmented.ForCompaction(snapshots, BottommostLevel::kYes),
            (std::vector<RangeTombstone>{
                {"a", "b", 9}, {"a", "b", 6}, {"b", "c", 9}, {"b", "c", 6}, {"c", "d", 5}}));
  EXPECT_EQ(fragmented.ForCompaction({}, BottommostLevel::kNo),
            (std::vector<RangeTombstone>{{"a", "b", 9}, {"b", "c", 9}, {"c", "d", 5}}));
  EXPECT_TRUE(fragmented.ForCompaction({}, BottommostLevel::kYes).empty());
}

// ---------------------------------------------------------------------------
// Brute force over random cases.

constexpr SequenceNumber kMaxTestSequence = 40;

// Tombstone bounds: length 1..2 over "abcde".
std::string RandomBound(Random& random) {
  std::string key(1, static_cast<char>('a' + random.Uniform(5)));
  if (random.OneIn(2)) key.push_back(static_cast<char>('a' + random.Uniform(5)));
  return key;
}

std::vector<RangeTombstone> RandomTombstones(Random& random) {
  std::vector<RangeTombstone> tombstones(random.Range(0, 25));
  for (RangeTombstone& t : tombstones) {
    t.begin = RandomBound(random);
    t.end = RandomBound(random);
    if (t.begin == t.end) t.end.push_back('a');
    if (t.end < t.begin) std::swap(t.begin, t.end);
    t.sequence = random.Range(1, kMaxTestSequence);  // duplicates on purpose
  }
  return tombstones;
}

// Every key of length 0..3 over "abcdef": boundaries and keys between them.
std::vector<std::string> QueryKeys() {
  std::vector<std::string> keys = {""};
  for (size_t begin = 0, length = 0; length < 3; ++length) {
    const size_t end = keys.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c = 'a'; c <= 'f'; ++c) keys.push_back(keys[i] + c);
    }
    begin = end;
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Every covering sequence, newest first.
std::vector<SequenceNumber> NaiveCovering(const std::vector<RangeTombstone>& tombstones,
                                          const std::string& key) {
  std::set<SequenceNumber, std::greater<>> sequences;
  for (const RangeTombstone& t : tombstones) {
    if (t.begin <= key && key < t.end) sequences.insert(t.sequence);
  }
  return {sequences.begin(), sequences.end()};
}

// The newest of covering (newest first) at or below snapshot, or 0.
SequenceNumber NaiveMaxCoveringSeq(const std::vector<SequenceNumber>& covering,
                                   SequenceNumber snapshot) {
  for (const SequenceNumber sequence : covering) {
    if (sequence <= snapshot) return sequence;
  }
  return 0;
}

void ExpectWellFormed(const FragmentedRangeTombstones& fragmented) {
  const auto fragments = fragmented.fragments();
  for (size_t i = 0; i < fragments.size(); ++i) {
    const Fragment& f = fragments[i];
    ASSERT_LT(f.begin, f.end);
    ASSERT_FALSE(f.sequences.empty());
    ASSERT_TRUE(std::is_sorted(f.sequences.begin(), f.sequences.end(), std::greater<>()));
    ASSERT_EQ(std::adjacent_find(f.sequences.begin(), f.sequences.end()), f.sequences.end());
    if (i == 0) continue;
    const Fragment& previous = fragments[i - 1];
    ASSERT_LE(previous.end, f.begin);
    if (previous.end == f.begin) {
      ASSERT_NE(previous.sequences, f.sequences);
    }
  }
}

TEST(FragmentedRangeTombstonesTest, MatchesBruteForce) {
  constexpr int kCases = 300;
  const std::vector<std::string> keys = QueryKeys();
  Random random(5);
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE(c);
    const std::vector<RangeTombstone> tombstones = RandomTombstones(random);
    const FragmentedRangeTombstones fragmented(tombstones);
    ExpectWellFormed(fragmented);
    if (HasFatalFailure()) return;
    const auto fragments = fragmented.fragments();

    for (const std::string& key : keys) {
      const std::vector<SequenceNumber> covering = NaiveCovering(tombstones, key);
      // LowerBound: the first fragment ending after key.
      size_t lower_bound = 0;
      while (lower_bound < fragments.size() && fragments[lower_bound].end <= key) ++lower_bound;
      ASSERT_EQ(fragmented.LowerBound(key), lower_bound) << key;

      for (SequenceNumber snapshot = 0; snapshot <= kMaxTestSequence + 1; ++snapshot) {
        const SequenceNumber expected = NaiveMaxCoveringSeq(covering, snapshot);
        ASSERT_EQ(fragmented.MaxCoveringSeq(key, snapshot), expected)
            << "key '" << key << "' at " << snapshot;
        const auto fragment = fragmented.FragmentAt(key, snapshot);
        ASSERT_EQ(fragment.has_value(), expected != 0);
        if (!fragment.has_value()) continue;
        ASSERT_LE(fragment->begin, key);
        ASSERT_LT(key, fragment->end);
        ASSERT_EQ(fragment->sequence, expected);
      }
      // Skipping to a fragment's end is sound: every key inside has exactly
      // the fragment's covering sequences.
      const size_t containing = fragmented.LowerBound(key);
      if (containing < fragments.size() && fragments[containing].begin <= key) {
        ASSERT_EQ(fragments[containing].sequences, covering) << key;
      } else {
        ASSERT_TRUE(covering.empty()) << key;
      }
    }
  }
}

TEST(FragmentedRangeTombstonesTest, ForCompactionKeepsExactlyWhatReadersCanSee) {
  constexpr int kCases = 300;
  const std::vector<std::string> keys = QueryKeys();
  Random random(6);
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE(c);
    const std::vector<RangeTombstone> tombstones = RandomTombstones(random);
    const FragmentedRangeTombstones input(tombstones);
    std::vector<SequenceNumber> snapshots(random.Range(0, 4));
    for (SequenceNumber& s : snapshots) s = random.Range(1, kMaxTestSequence);
    std::sort(snapshots.begin(), snapshots.end());
    const BottommostLevel bottommost =
        random.OneIn(2) ? BottommostLevel::kYes : BottommostLevel::kNo;
    SCOPED_TRACE(bottommost == BottommostLevel::kYes ? "bottommost" : "not bottommost");

    const std::vector<RangeTombstone> kept = input.ForCompaction(snapshots, bottommost);
    const FragmentedRangeTombstones output(kept);

    // Sorted by (begin, sequence descending); ranges disjoint or equal.
    for (size_t i = 1; i < kept.size(); ++i) {
      const RangeTombstone& a = kept[i - 1];
      const RangeTombstone& b = kept[i];
      if (a.begin == b.begin) {
        ASSERT_EQ(a.end, b.end);
        ASSERT_GT(a.sequence, b.sequence);
      } else {
        ASSERT_LT(a.begin, b.begin);
        ASSERT_LE(a.end, b.begin);
      }
    }

    std::vector<SequenceNumber> readers = snapshots;
    readers.push_back(kMaxSequenceNumber);  // "now"
    const SequenceNumber oldest_reader = readers.front();
    const auto stripe_of = [&](SequenceNumber sequence) {
      return std::lower_bound(snapshots.begin(), snapshots.end(), sequence) - snapshots.begin();
    };
    for (const std::string& key : keys) {
      const std::vector<SequenceNumber> covering = NaiveCovering(tombstones, key);
      const std::vector<SequenceNumber> kept_covering = NaiveCovering(kept, key);
      // Only input tombstones survive, at most one per stripe, none from the
      // oldest stripe at the bottom.
      std::set<ptrdiff_t> stripes;
      for (const SequenceNumber sequence : kept_covering) {
        ASSERT_TRUE(std::find(covering.begin(), covering.end(), sequence) != covering.end());
        ASSERT_TRUE(stripes.insert(stripe_of(sequence)).second) << key << " @" << sequence;
        if (bottommost == BottommostLevel::kYes) {
          ASSERT_NE(stripe_of(sequence), 0) << key;
        }
      }
      // Every reader sees every version exactly as before, except, at the
      // bottom, versions no reader can see (the compaction drops those). A
      // version v is deleted for reader S iff v < MaxCoveringSeq(key, S).
      const SequenceNumber garbage_below = input.MaxCoveringSeq(key, oldest_reader);
      for (const SequenceNumber reader : readers) {
        const SequenceNumber before = input.MaxCoveringSeq(key, reader);
        const SequenceNumber after = output.MaxCoveringSeq(key, reader);
        for (SequenceNumber version = 0; version <= kMaxTestSequence + 1; ++version) {
          if (bottommost == BottommostLevel::kYes && version < garbage_below) continue;
          ASSERT_EQ(version < after, version < before)
              << "key '" << key << "' version " << version << " reader " << reader;
        }
      }
    }
  }
}

TEST(FragmentedRangeTombstonesDeathTest, RejectsEmptyRanges) {
  const std::vector<RangeTombstone> empty = {{"b", "b", 1}};
  EXPECT_DEATH(FragmentedRangeTombstones{empty}, "empty range");
  const std::vector<RangeTombstone> inverted = {{"b", "a", 1}};
  EXPECT_DEATH(FragmentedRangeTombstones{inverted}, "empty range");
}

}  // namespace
}  // namespace kiln
