// The merge of several InternalIterators (memtables, L0 tables, levels) into
// one stream in internal-key order, forward through a min-heap and backward
// through a max-heap of the children's current entries.
//
// Invariants (while Valid()):
//   1. Forward: every child is positioned at its first entry >= key(), or is
//      exhausted. Backward: at its last entry <= key(), or exhausted.
//   2. The heap holds exactly the positioned children; its top is the child
//      whose entry is key().
// Changing direction (Prev after Next, or Next after Prev) restores 1 by
// repositioning every child around key(), so it costs one seek per child.
//
// Range-tombstone skipping: a reader that finds its current key deleted by a
// tombstone at sequence s covering [begin, end) may ask the merge to drop
// the rest of that run from the children whose entries are all older than s
// (sequence_max < s), with one seek each instead of a step per entry. Only
// such children can be skipped: a newer child may hold a version written
// after the tombstone, which the tombstone does not delete.
//
// Errors are sticky: the first child error (lowest child index when several
// appear at once) makes the merge invalid, and every later move is a no-op.
// Dropping only the failed child instead would hide its versions and show
// older ones from other children: silently wrong data.
//
// Thread-safety: one task at a time. Every positioning call may yield (the
// children may read files).
#ifndef KILN_DB_MERGING_ITERATOR_H_
#define KILN_DB_MERGING_ITERATOR_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "db/internal_iterator.h"

namespace kiln {

// A merge has one child per memtable, L0 table and level (or per input file
// of a compaction); far fewer than this in any sane tree.
inline constexpr size_t kMaxMergingChildren = 1024;

struct MergingChild {
  std::unique_ptr<InternalIterator> iterator;
  // An upper bound on the sequence of every entry the child holds that the
  // reader can see (entries above the reader's snapshot do not matter). A
  // memtable knows its last sequence, a table its largest one.
  // kMaxSequenceNumber when unknown: the child is then never skipped.
  SequenceNumber sequence_max = kMaxSequenceNumber;
};

class MergingIterator : public InternalIterator {
 public:
  // Moves every child that holds only entries older than tombstone_sequence
  // and is positioned before end_user_key to its first entry with user key
  // >= end_user_key, without visiting the entries in between; other children
  // stay. Returns how many children moved. The position never moves back.
  // REQUIRES: Valid(), the last move was forward (Seek, SeekToFirst, Next),
  // and a range tombstone at >= tombstone_sequence, visible to the reader,
  // covers every user key in [ExtractUserKey(key()), end_user_key).
  virtual size_t SkipForwardCovered(std::string_view end_user_key,
                                    SequenceNumber tombstone_sequence) = 0;

  // The mirror image: moves such children positioned at user keys >=
  // begin_user_key to their last entry with user key < begin_user_key.
  // REQUIRES: Valid(), the last move was backward (SeekForPrev, SeekToLast,
  // Prev), and a range tombstone at >= tombstone_sequence, visible to the
  // reader, covers every user key in [begin_user_key, ExtractUserKey(key())].
  virtual size_t SkipBackwardCovered(std::string_view begin_user_key,
                                     SequenceNumber tombstone_sequence) = 0;
};

// REQUIRES: children.size() <= kMaxMergingChildren; no child is null; no two
// children hold an equal internal key (asserted in debug builds). Zero
// children make an always-empty iterator.
std::unique_ptr<MergingIterator> NewMergingIterator(std::vector<MergingChild> children);

// Children whose sequences are unknown (never skipped).
std::unique_ptr<MergingIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace kiln

#endif  // KILN_DB_MERGING_ITERATOR_H_
