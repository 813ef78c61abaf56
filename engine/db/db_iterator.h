// What a reader sees when it iterates: user keys and their values at a
// snapshot, built over the merge of every source (memtables and tables) and
// the range tombstones of those same sources.
//
// Visibility at snapshot S, per user key: versions with sequence > S do not
// exist; the newest remaining version decides. A point deletion hides the
// key; a value (or blob index) is shown unless a range tombstone with
// sequence <= S covering the key is newer than it. Range-deletion entries
// that a source keeps among its point entries are not versions and are
// ignored here; the RangeTombstoneView answers for them.
//
// A key hidden by a range tombstone is not the only one: the iterator asks
// the view for the run of keys that tombstone covers and has the merge skip
// it, with one seek per source older than the tombstone (merging_iterator.h),
// instead of stepping through every deleted entry.
//
// Thread-safety: one task at a time. Every positioning call may yield (the
// sources may read files).
#ifndef KILN_DB_DB_ITERATOR_H_
#define KILN_DB_DB_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "db/dbformat.h"
#include "db/merging_iterator.h"

namespace kiln {

// A run of user keys that range tombstones delete, around one key.
struct CoveredRun {
  std::string_view begin;  // inclusive
  std::string_view end;    // exclusive
  // Every key in [begin, end) is covered by a tombstone with a sequence
  // >= this one that the snapshot asked about can see.
  SequenceNumber sequence = 0;
};

// The range tombstones a reader sees. FragmentedRangeTombstones
// (db/range_tombstones.h) implements it: MaxCoveringSeq directly, and
// CoveredRunAt from its FragmentAt.
// Thread-safety: const methods only; must not yield.
class RangeTombstoneView {
 public:
  virtual ~RangeTombstoneView() = default;

  // The largest sequence <= snapshot of a tombstone covering user_key, or 0
  // when none does. A version of user_key at sequence v is deleted at
  // snapshot iff v < MaxCoveringSeq(user_key, snapshot).
  virtual SequenceNumber MaxCoveringSeq(std::string_view user_key,
                                        SequenceNumber snapshot) const = 0;

  // nullopt when MaxCoveringSeq(user_key, snapshot) == 0. Otherwise a run
  // with begin <= user_key < end, 0 < sequence <= MaxCoveringSeq(user_key,
  // snapshot), and MaxCoveringSeq(k, snapshot) >= sequence for every k in
  // [begin, end): the fragment containing user_key, or several adjacent ones.
  // The views live as long as this object.
  virtual std::optional<CoveredRun> CoveredRunAt(std::string_view user_key,
                                                 SequenceNumber snapshot) const = 0;
};

struct DbIteratorOptions {
  // Versions with a larger sequence are invisible.
  SequenceNumber snapshot = kMaxSequenceNumber;
  std::optional<std::string> lower_bound;  // inclusive
  std::optional<std::string> upper_bound;  // exclusive
  // Only keys that start with prefix; it narrows the bounds, so the
  // iteration stops as soon as it leaves the prefix.
  std::optional<std::string> prefix;
};

// Work the iterator saved, so tests (and statistics) can see it.
struct DbIteratorStats {
  // Range-deleted runs skipped by seeking sources past them.
  uint64_t covered_run_skips = 0;
  // Seeks over many versions of one key instead of stepping through them.
  uint64_t version_reseeks = 0;
};

// Forward iteration steps over at most this many consecutive versions of one
// user key before it seeks past them instead (hot keys under an old snapshot).
inline constexpr int kMaxVersionStepsBeforeReseek = 8;

class DbIterator {
 public:
  // tombstones may be null (no range tombstones).
  // REQUIRES: inner != nullptr; inner's sources' sequence_max bounds are true;
  // tombstones describe the tombstones of exactly inner's sources.
  DbIterator(std::unique_ptr<MergingIterator> inner,
             std::shared_ptr<const RangeTombstoneView> tombstones, DbIteratorOptions options);

  DbIterator(const DbIterator&) = delete;
  DbIterator& operator=(const DbIterator&) = delete;

  // False at either end, outside the bounds, and after an error.
  bool Valid() const { return valid_; }

  void SeekToFirst();
  void SeekToLast();
  // The first visible key >= target.
  void Seek(std::string_view target);
  // The last visible key <= target.
  void SeekForPrev(std::string_view target);
  // REQUIRES: Valid().
  void Next();
  // REQUIRES: Valid().
  void Prev();

  // REQUIRES: Valid(). The views stay valid until the iterator moves or dies.
  std::string_view key() const;
  std::string_view value() const;

  // The first error from the sources or from malformed entries; sticky: after
  // it the iterator stays invalid whatever it is asked.
  absl::Status status() const { return status_; }

  const DbIteratorStats& stats() const { return stats_; }

 private:
  enum class Direction : uint8_t { kForward, kBackward };
  // Whether the entries of skip_key_ that inner_ is at are already decided.
  enum class SkipKey : bool { kNo = false, kYes = true };
  // Why forward iteration steps over an entry without deciding with it.
  enum class StepReason : uint8_t {
    kDecidedKey,     // an older version of a key already decided (skip_key_)
    kAboveSnapshot,  // a version newer than the snapshot
  };

  // Starting at inner_'s position, moves forward to the newest visible
  // version of the first visible user key; with SkipKey::kYes, first steps
  // over every entry of skip_key_.
  void FindNextVisible(SkipKey skip);
  // Starting at inner_'s position, moves backward to the last visible user
  // key, saving its key and value (inner_ ends up before it).
  void FindPrevVisible();

  // Positions inner_ at the last entry whose user key is < user_key.
  void SeekInnerBefore(std::string_view user_key);
  // Steps over an entry of user_key that cannot decide anything; once one user
  // key has taken kMaxVersionStepsBeforeReseek steps, seeks past the rest.
  void StepOverForward(std::string_view user_key, StepReason reason);

  // user_key's newest visible version (at sequence) is deleted by a range
  // tombstone: skip what else that tombstone run deletes.
  void SkipCoveredForward(std::string_view user_key);
  void SkipCoveredBackward(std::string_view user_key);

  // Whether a version of user_key at sequence is deleted by a range tombstone.
  bool CoveredByTombstone(std::string_view user_key, SequenceNumber sequence) const;

  // The one place a stored value becomes the user's value. A blob index will
  // be resolved here (read from its blob file) once blob files exist; until
  // then it is returned as stored.
  [[nodiscard]] absl::Status ResolveValue(ValueType type, std::string_view stored);

  // Checks inner_ after it ran out: an error becomes the iterator's.
  void CheckInnerStatus();
  void Fail(absl::Status status);
  void Invalidate();

  std::unique_ptr<MergingIterator> inner_;
  std::shared_ptr<const RangeTombstoneView> tombstones_;
  const SequenceNumber snapshot_;
  // The bounds narrowed by the prefix.
  std::optional<std::string> lower_bound_;
  std::optional<std::string> upper_bound_;
  // The bounds leave no key at all.
  bool empty_range_ = false;

  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  absl::Status status_;
  // Forward: views into inner_'s entry. Backward: into saved_key_ and
  // saved_value_, because inner_ has moved before the key to find it.
  std::string_view key_;
  std::string_view value_;
  std::string saved_key_;
  std::string saved_value_;
  // The user key whose versions forward iteration is stepping over.
  std::string skip_key_;
  // The user key of the current run of stepped-over versions, and its length.
  std::string step_key_;
  int step_count_ = 0;
  std::string seek_key_;  // reused for inner seeks
  DbIteratorStats stats_;
};

}  // namespace kiln

#endif  // KILN_DB_DB_ITERATOR_H_
