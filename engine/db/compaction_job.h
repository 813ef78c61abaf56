// The compaction job: merges the entries of its inputs (tables, or one
// immutable memtable for a flush) into new sorted tables, dropping exactly the
// versions and deletion markers that no reader can ever see again.
//
// Readers are the live snapshots s_1 < ... < s_k and "now" (any sequence above
// every input; a snapshot taken later is such a reader). The snapshots cut
// sequences into stripes (0, s_1], (s_1, s_2], ..., (s_k, max]; stripe 0 is
// the oldest. Every reader sees either all of a stripe or none of it, and the
// reader at a stripe's top sees the stripe's newest version of a key last.
//
// Invariants of the output (what the job keeps and drops):
//   1. Per user key, a point version (value, blob index or point deletion) is
//      dropped if a newer version of that key lies in its stripe: every
//      reader that sees it sees the newer one first.
//   2. A point version at v in stripe j is dropped if a range tombstone at t
//      with v < t <= top of stripe j covers its key: every reader that sees v
//      also sees t, which deletes v.
//   3. A point deletion that survives 1 and 2 is dropped only if the job is
//      bottommost and it lies in stripe 0: every reader sees it, everything it
//      deletes in its stripe is dropped by 1, and nothing lies below. Range
//      tombstones follow the same rule and 1 per fragment
//      (FragmentedRangeTombstones::ForCompaction). Nothing else is dropped.
//   4. Every output key range owns a slice of the user-key space: output i
//      owns [lo_i, lo_{i+1}) with lo_0 = "" and the last one unbounded above,
//      and lo_{i+1} = (last user key of output i) + '\0', the least key above
//      it. Each output gets the kept range tombstones clipped to its slice,
//      so a tombstone spanning several outputs is split among them, and every
//      user key's covering tombstones are all in the one output whose slice
//      holds it: a reader of a level needs only that file.
//   5. An output's smallest/largest (FileMetaData) bound every internal key
//      it holds or its tombstones delete. For a tombstone [b, e) @ t:
//      smallest <= (b, t, kRangeDeletion); largest >= (x, 0, kDeletion), the
//      last internal key of x, if e == x + '\0', else >= the sentinel
//      (e, kMaxSequenceNumber, kRangeDeletion), which sorts before every real
//      version of e. By 4, an output other than the last has largest user key
//      = its last point user key, so outputs are sorted and pairwise disjoint
//      in user keys (inclusive ranges); the last output's largest may name a
//      tombstone's exclusive end e (not itself covered): callers treat the
//      file as overlapping e, which is conservative.
//   6. Outputs split once an output reaches target_file_size_bytes, only
//      between two user keys (never between versions of one key), and only
//      after a user key shorter than kMaxKeyBytes (so lo_{i+1} is a legal
//      key). Outputs are in key order; point entries keep their order.
//   7. Each output is written through env->file_system (kCreateNew at
//      TableFileName(dbname, number)), finished, SyncData'd and closed. The
//      caller syncs the directory and installs the edit. On any error the
//      outputs made so far are removed (best effort) and the error returned.
//
// Input: the merged point entries (range-deletion entries among them are
// ignored: the tombstones come in range_tombstones), and every range
// tombstone of the same inputs. A flush is a job over one memtable into L0
// with bottommost = false unless nothing lies below.
//
// Thread-safety: a job is run by one task; it takes no locks and may yield
// (it reads the input and writes files). Call it holding no mutex.
#ifndef KILN_DB_COMPACTION_JOB_H_
#define KILN_DB_COMPACTION_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/dbformat.h"
#include "db/internal_iterator.h"
#include "db/range_tombstones.h"
#include "db/version_edit.h"
#include "kiln/env.h"
#include "table/table_builder.h"

namespace kiln {

// More entries than any sane compaction reads; beyond it the input is
// assumed broken (a cycle) and the job fails instead of running forever.
inline constexpr uint64_t kMaxCompactionInputEntries = uint64_t{1} << 40;
// The size simulation uses when it buggifies the target (many small outputs).
inline constexpr uint64_t kBuggifiedTargetFileSizeBytes = 1;

struct CompactionJobInput {
  // The merged input in internal-key order; the job positions it.
  // REQUIRES: non-null.
  std::unique_ptr<InternalIterator> input;
  // Every range tombstone of the inputs, any order.
  // REQUIRES: each has begin < end and 0 < sequence <= kMaxSequenceNumber.
  std::vector<RangeTombstone> range_tombstones;
  // REQUIRES: sorted ascending (duplicates allowed).
  std::vector<SequenceNumber> live_snapshots;
  BottommostLevel bottommost = BottommostLevel::kNo;
  TableBuilderOptions table_options;
  // REQUIRES: > 0.
  uint64_t target_file_size_bytes = uint64_t{64} << 20;
  // Allocates one output's file number; called before each output is opened.
  // REQUIRES: non-empty.
  std::function<absl::StatusOr<uint64_t>()> new_file_number;
  // REQUIRES: non-null, with a file_system; outlives the job.
  const Env* env = nullptr;
  // The database directory the outputs go to.
  std::string dbname;
};

struct CompactionJobStats {
  uint64_t entries_read = 0;  // point entries of the input
  uint64_t entries_written = 0;
  uint64_t range_deletion_entries_ignored = 0;  // kRangeDeletion among the points
  uint64_t versions_dropped_shadowed = 0;       // Invariant 1
  uint64_t versions_dropped_range_deleted = 0;  // Invariant 2
  uint64_t deletions_dropped_bottommost = 0;    // Invariant 3, point deletions
  uint64_t range_tombstones_read = 0;
  // Kept fragments; before clipping, so one spanning two outputs counts once.
  uint64_t range_tombstones_kept = 0;
  uint64_t bytes_written = 0;
  // The target outputs were split at: the input's, unless buggified.
  uint64_t target_file_size_bytes = 0;
};

struct CompactionJobResult {
  // In key order (Invariants 4 to 6). Empty if nothing is kept.
  std::vector<FileMetaData> outputs;
  CompactionJobStats stats;
};

// Runs the job to completion. Any error of the input, the file system or
// new_file_number is returned after removing the outputs written so far;
// Corruption if the input yields a malformed or out-of-order key.
// May yield.
[[nodiscard]] absl::StatusOr<CompactionJobResult> RunCompactionJob(CompactionJobInput input);

}  // namespace kiln

#endif  // KILN_DB_COMPACTION_JOB_H_
