// Leveled compaction picking: which files of one bucket to merge next.
//
// Each level has a score; a level with score >= 1 needs compaction:
//   L0:      file count / l0_compaction_trigger (many L0 files slow reads,
//            since every one may hold any key); at least 1 once iterator
//            seeks have paid for the compaction (Options::
//            l0_seek_compaction_bytes, SeekCharges in version.h);
//   Ln:      level bytes / target bytes, where target(L1) =
//            level1_target_bytes and each next level is level_size_multiplier
//            times larger;
//   last:    0 (level kNumLevels - 1 has nowhere to go).
// The highest-scoring level whose inputs are free is picked. Its inputs:
//   Ln (n >= 1): one file, round robin by the level's compaction pointer
//            (the largest key of the previous pick), plus every file of
//            level n+1 overlapping its user-key range;
//   L0:      the oldest L0 file, grown to every L0 file overlapping the
//            range (transitively, so no L0 file left behind overlaps what
//            moves down), plus the overlapping L1 files.
// Because levels >= 1 hold disjoint user-key ranges (version.h, invariant 5),
// all versions of a user key at a level move together.
//
// Thread-safety: the picker is immutable; CompactionPointers is externally
// synchronised (the database mutex). Nothing here yields.
#ifndef KILN_DB_COMPACTION_PICKER_H_
#define KILN_DB_COMPACTION_PICKER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "db/range_tombstones.h"
#include "db/version.h"
#include "db/version_edit.h"
#include "kiln/options.h"

namespace kiln {

// Per (bucket, level): the largest internal key of the last automatic
// compaction's inputs at that level; the next one starts after it. Kept in
// memory only (after a restart compaction starts again from the left).
class CompactionPointers {
 public:
  // Empty if the level has no pointer yet.
  std::string_view Get(uint32_t bucket_id, int level) const;
  void Set(uint32_t bucket_id, int level, std::string largest_key);

 private:
  std::map<std::pair<uint32_t, int>, std::string> pointers_;
};

struct Compaction {
  uint32_t bucket_id = 0;
  int level = 0;                 // where the inputs come from
  int output_level = 0;          // level + 1, or level for a manual compaction of the last level
  FileList inputs;               // at level, in level order
  FileList output_level_inputs;  // at output_level, overlapping the inputs
  // The user-key range of all inputs, both ends inclusive.
  std::string smallest_user_key;
  std::string largest_user_key;
  // kYes: no level below output_level holds a key in the range, so the
  // output may drop tombstones (subject to live snapshots).
  BottommostLevel bottommost = BottommostLevel::kNo;
  // The picked level's score (0 for a manual compaction).
  double score = 0;

  // A single input with nothing to merge at the output level: the file can
  // move down by an edit alone.
  bool IsTrivialMove() const {
    return level != output_level && inputs.size() == 1 && output_level_inputs.empty();
  }
  uint64_t InputBytes() const;
  // Adds a deletion of every input to edit.
  void AddInputDeletions(VersionEdit& edit) const;
};

// Whether a seek in bucket reads an L0 table it would not read were L0
// compacted: two or more L0 tables, or one over a non-empty L1. Such seeks
// are charged to bucket.l0_seek_charges.
bool SeeksReadExtraTables(const BucketVersion& bucket);

// REQUIRES: 1 <= level < kNumLevels.
uint64_t TargetLevelBytes(const Options& options, int level);

class CompactionPicker {
 public:
  // options must outlive the picker. REQUIRES: l0_compaction_trigger >= 1,
  // level1_target_bytes >= 1, level_size_multiplier >= 1.
  explicit CompactionPicker(const Options& options);

  // The level's score (see the file comment). REQUIRES: the bucket exists.
  double Score(const Version& version, uint32_t bucket_id, int level) const;
  // Whether the bucket's seek charges, at l0_seek_compaction_bytes each,
  // reach the bytes an L0 compaction would rewrite (SeeksReadExtraTables
  // must hold). REQUIRES: the bucket exists.
  bool SeeksWantLevel0Compacted(const Version& version, uint32_t bucket_id) const;
  // Whether some level's score is >= 1.
  bool NeedsCompaction(const Version& version, uint32_t bucket_id) const;

  // The compaction of the highest-scoring level (score >= 1) whose inputs
  // include no file in busy_files (inputs of running compactions), or
  // nullopt. Advances pointers for the picked level.
  // REQUIRES: the bucket exists.
  std::optional<Compaction> PickCompaction(const Version& version, uint32_t bucket_id,
                                           CompactionPointers& pointers,
                                           const std::set<uint64_t>& busy_files = {}) const;

  // Every file at level overlapping user keys [begin, end) (nullopt:
  // unbounded; for L0 grown as above) plus the overlapping files of
  // level + 1; at the last level the files are rewritten in place. nullopt
  // if no file at level overlaps. REQUIRES: the bucket exists,
  // 0 <= level < kNumLevels.
  std::optional<Compaction> PickManualCompaction(const Version& version, uint32_t bucket_id,
                                                 int level, std::optional<std::string_view> begin,
                                                 std::optional<std::string_view> end) const;

 private:
  const Options& options_;
};

}  // namespace kiln

#endif  // KILN_DB_COMPACTION_PICKER_H_
