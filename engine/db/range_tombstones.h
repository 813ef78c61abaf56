// Range tombstones, and the one place that reasons about how they overlap.
//
// A range tombstone [begin, end) at sequence s deletes every version of every
// user key k with begin <= k < end whose sequence is < s, for readers whose
// snapshot is >= s (dbformat.h, Invariant 2). Memtables, tables, iterators and
// compaction all answer questions about sets of them through
// FragmentedRangeTombstones, which cuts any set into non-overlapping
// fragments:
//
//   input:      [a, e) @7     [c, g) @5     [c, d) @9
//   fragments:  [a, c) {7}    [c, d) {9, 7, 5}    [d, e) {7, 5}    [e, g) {5}
//
// Each fragment lists, newest first, the sequences of the tombstones that
// cover all of it, so "which tombstone covers key k at snapshot S" is a binary
// search for the fragment, then one for the sequence.
//
// Invariants of a FragmentedRangeTombstones:
//   1. Fragments are sorted by begin and disjoint: fragment i's end <= fragment
//      i + 1's begin; every fragment has begin < end.
//   2. Every fragment's sequences are non-empty, strictly decreasing, and are
//      exactly the input tombstones' sequences whose range contains it.
//   3. Every user key has the same covering set as in the input: the union of
//      fragments is the union of the inputs, with the same sequences per key.
//   4. Adjacent fragments that touch (end == next begin) have different
//      sequence lists (else they are merged into one).
//
// Thread-safety: immutable after construction; every const method is safe to
// call concurrently. Nothing here yields.
#ifndef KILN_DB_RANGE_TOMBSTONES_H_
#define KILN_DB_RANGE_TOMBSTONES_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"

namespace kiln {

struct RangeTombstone {
  std::string begin;  // inclusive
  std::string end;    // exclusive
  SequenceNumber sequence = 0;

  friend bool operator==(const RangeTombstone&, const RangeTombstone&) = default;
};

// A fragment that covers some key, as FragmentAt reports it. The views point
// into the FragmentedRangeTombstones and live as long as it does.
struct CoveringFragment {
  std::string_view begin;
  std::string_view end;
  // The newest covering sequence visible at the snapshot asked about.
  SequenceNumber sequence = 0;
};

// Whether a compaction writes into the bottommost level holding its keys
// (nothing older lies below). An enum so call sites read.
enum class BottommostLevel : bool { kNo = false, kYes = true };

class FragmentedRangeTombstones {
 public:
  struct Fragment {
    std::string begin;
    std::string end;
    std::vector<SequenceNumber> sequences;  // strictly decreasing, non-empty

    friend bool operator==(const Fragment&, const Fragment&) = default;
  };

  FragmentedRangeTombstones() = default;
  // Any set of tombstones, in any order, overlapping or not, duplicates
  // allowed. O((n + output) log n), where the output can reach O(n^2) sequences
  // for n nested tombstones.
  // REQUIRES: every tombstone has begin < end (callers reject empty ranges
  // with InvalidArgument before they get here) and 0 < sequence <=
  // kMaxSequenceNumber.
  explicit FragmentedRangeTombstones(std::span<const RangeTombstone> tombstones);

  bool empty() const { return fragments_.empty(); }
  std::span<const Fragment> fragments() const { return fragments_; }

  // The largest sequence <= snapshot of a tombstone covering user_key, or 0 if
  // none does. A version of user_key with sequence v is deleted at snapshot S
  // iff v < MaxCoveringSeq(user_key, S). O(log n).
  SequenceNumber MaxCoveringSeq(std::string_view user_key, SequenceNumber snapshot) const;

  // The fragment containing user_key, if a tombstone <= snapshot covers it.
  // Every key in [begin, end) has the same covering tombstones, so an
  // iterator that finds its current key deleted by fragment.sequence can Seek
  // to end (or, backwards, SeekForPrev before begin) and skip every version
  // older than fragment.sequence in between without visiting it. O(log n).
  std::optional<CoveringFragment> FragmentAt(std::string_view user_key,
                                             SequenceNumber snapshot) const;

  // The index of the first fragment whose end > user_key: the fragment
  // containing user_key, or else the next one after it; fragments().size()
  // if there is none. For iterators that walk fragments beside keys. O(log n).
  size_t LowerBound(std::string_view user_key) const;

  // The tombstones a compaction writes, given the snapshots still readable:
  // the least set that answers MaxCoveringSeq identically for every reader.
  //
  // Readers are exactly the live snapshots and "now" (any sequence above
  // every input; a snapshot taken later is such a reader). Snapshots s_1 <
  // ... < s_k cut sequences into stripes (0, s_1], (s_1, s_2], ...,
  // (s_k, max]. Within one stripe every reader sees either all of a
  // fragment's sequences or none of them, and the newest deletes a superset
  // of what the older ones delete; so per fragment only the newest sequence
  // of each stripe is kept.
  //
  // BottommostLevel::kYes: nothing older than the compaction's inputs lies
  // below its output level. Then the tombstones of the oldest stripe (sequence <= s_1;
  // with no snapshots, every stripe is the oldest) are dropped too: every
  // reader sees them, so every version they cover is invisible to every
  // reader, and the compaction MUST drop those versions (it has all of them:
  // nothing lies below). Newer stripes are kept even at the bottom: an older
  // snapshot still sees the versions they delete for newer readers.
  //
  // Returns tombstones sorted by (begin ascending, sequence descending), with
  // pairwise disjoint ranges except for equal ranges at different sequences.
  // REQUIRES: live_snapshots sorted ascending (duplicates allowed).
  std::vector<RangeTombstone> ForCompaction(std::span<const SequenceNumber> live_snapshots,
                                            BottommostLevel bottommost) const;

  // Every (fragment, sequence) as a tombstone, in the order ForCompaction uses.
  std::vector<RangeTombstone> AllFragments() const;

 private:
  // The index of the fragment containing user_key, or fragments_.size().
  size_t FindContaining(std::string_view user_key) const;

  std::vector<Fragment> fragments_;
};

}  // namespace kiln

#endif  // KILN_DB_RANGE_TOMBSTONES_H_
