#include "db/db_iterator.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "kiln/status.h"
#include "util/assert.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

// The smallest string greater than every string that starts with prefix, or
// nullopt when there is none (prefix is empty or all 0xFF bytes).
std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string successor(prefix);
  // Each round drops one byte: bounded by prefix.size().
  while (!successor.empty()) {
    const unsigned char last = static_cast<unsigned char>(successor.back());
    if (last != 0xFF) {
      successor.back() = static_cast<char>(last + 1);
      return successor;
    }
    successor.pop_back();
  }
  return std::nullopt;
}

// Shows at most this many bytes of a malformed key in an error message.
constexpr size_t kMaxKeyBytesInMessage = 32;

absl::Status MalformedKey(std::string_view internal_key) {
  std::string message = "db iterator: malformed internal key from the merged sources (" +
                        std::to_string(internal_key.size()) + " bytes):";
  const size_t shown = std::min(internal_key.size(), kMaxKeyBytesInMessage);
  for (size_t i = 0; i < shown; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof(hex), " %02x", static_cast<unsigned char>(internal_key[i]));
    message += hex;
  }
  return Corruption(message);
}

}  // namespace

DbIterator::DbIterator(std::unique_ptr<MergingIterator> inner,
                       std::shared_ptr<const RangeTombstoneView> tombstones,
                       DbIteratorOptions options)
    : inner_(std::move(inner)),
      tombstones_(std::move(tombstones)),
      snapshot_(options.snapshot),
      lower_bound_(std::move(options.lower_bound)),
      upper_bound_(std::move(options.upper_bound)) {
  KILN_ASSERT(inner_ != nullptr);
  KILN_ASSERT(snapshot_ <= kMaxSequenceNumber);
  if (options.prefix.has_value() && !options.prefix->empty()) {
    const std::string& prefix = *options.prefix;
    if (!lower_bound_.has_value() || *lower_bound_ < prefix) lower_bound_ = prefix;
    std::optional<std::string> successor = PrefixSuccessor(prefix);
    if (successor.has_value() && (!upper_bound_.has_value() || *successor < *upper_bound_)) {
      upper_bound_ = std::move(successor);
    }
  }
  empty_range_ =
      lower_bound_.has_value() && upper_bound_.has_value() && *lower_bound_ >= *upper_bound_;
}

void DbIterator::SeekToFirst() {
  Invalidate();
  if (!status_.ok() || empty_range_) return;
  if (lower_bound_.has_value()) {
    seek_key_.clear();
    AppendInternalKey(seek_key_, *lower_bound_, snapshot_, kValueTypeForSeek);
    inner_->Seek(seek_key_);
  } else {
    inner_->SeekToFirst();
  }
  FindNextVisible(SkipKey::kNo);
}

void DbIterator::SeekToLast() {
  Invalidate();
  if (!status_.ok() || empty_range_) return;
  if (upper_bound_.has_value()) {
    SeekInnerBefore(*upper_bound_);
  } else {
    inner_->SeekToLast();
  }
  FindPrevVisible();
}

void DbIterator::Seek(std::string_view target) {
  // target may view this iterator's own key: copy it before anything moves.
  seek_key_.clear();
  std::string_view start = target;
  if (lower_bound_.has_value() && CompareUserKeys(start, *lower_bound_) < 0) start = *lower_bound_;
  const bool past_upper = upper_bound_.has_value() && CompareUserKeys(start, *upper_bound_) >= 0;
  AppendInternalKey(seek_key_, start, snapshot_, kValueTypeForSeek);
  Invalidate();
  if (!status_.ok() || empty_range_ || past_upper) return;
  inner_->Seek(seek_key_);
  FindNextVisible(SkipKey::kNo);
}

void DbIterator::SeekForPrev(std::string_view target) {
  if (upper_bound_.has_value() && CompareUserKeys(target, *upper_bound_) >= 0) {
    SeekToLast();
    return;
  }
  const bool before_lower = lower_bound_.has_value() && CompareUserKeys(target, *lower_bound_) < 0;
  // The largest internal key of target: lands on target's oldest version.
  seek_key_.clear();
  AppendInternalKey(seek_key_, target, 0, ValueType::kDeletion);
  Invalidate();
  if (!status_.ok() || empty_range_ || before_lower) return;
  inner_->SeekForPrev(seek_key_);
  FindPrevVisible();
}

void DbIterator::Next() {
  KILN_ASSERT(valid_);
  if (direction_ == Direction::kBackward) {
    // inner_ sits before the current key; land after all of its versions
    // (seek_key_ is its largest internal key) and skip any left.
    KILN_PROBE(true, "db iterator switches from backward to forward");
    skip_key_.assign(saved_key_);
    seek_key_.clear();
    AppendInternalKey(seek_key_, skip_key_, 0, ValueType::kDeletion);
    inner_->Seek(seek_key_);
  } else {
    skip_key_.assign(key_);
    inner_->Next();
  }
  FindNextVisible(SkipKey::kYes);
}

void DbIterator::Prev() {
  KILN_ASSERT(valid_);
  if (direction_ == Direction::kForward) {
    KILN_PROBE(true, "db iterator switches from forward to backward");
    saved_key_.assign(key_);
    SeekInnerBefore(saved_key_);
  }
  // Backward: inner_ already sits before the current key.
  FindPrevVisible();
}

std::string_view DbIterator::key() const {
  KILN_ASSERT(valid_);
  return key_;
}

std::string_view DbIterator::value() const {
  KILN_ASSERT(valid_);
  return value_;
}

void DbIterator::FindNextVisible(SkipKey skip) {
  bool skipping = skip == SkipKey::kYes;
  direction_ = Direction::kForward;
  Invalidate();
  step_count_ = 0;
  // Every round consumes at least one entry of inner_ or seeks past some.
  while (inner_->Valid()) {
    ParsedInternalKey entry;
    if (!ParseInternalKey(inner_->key(), entry)) {
      Fail(MalformedKey(inner_->key()));
      return;
    }
    // The bound ends the iteration here: nothing beyond it is read.
    if (upper_bound_.has_value() && CompareUserKeys(entry.user_key, *upper_bound_) >= 0) return;
    KILN_DASSERT(!lower_bound_.has_value() || CompareUserKeys(entry.user_key, *lower_bound_) >= 0);

    if (skipping && entry.user_key == skip_key_) {
      StepOverForward(entry.user_key, StepReason::kDecidedKey);
      continue;
    }
    if (entry.sequence > snapshot_) {
      StepOverForward(entry.user_key, StepReason::kAboveSnapshot);
      continue;
    }
    if (entry.type == ValueType::kRangeDeletion) {
      inner_->Next();
      continue;
    }
    // entry is the newest version of its user key visible at the snapshot.
    if (entry.type == ValueType::kDeletion) {
      skip_key_.assign(entry.user_key);
      skipping = true;
      inner_->Next();
      continue;
    }
    if (CoveredByTombstone(entry.user_key, entry.sequence)) {
      skip_key_.assign(entry.user_key);
      skipping = true;
      // Leaves inner_ on the same entry when no source could skip; the
      // skip_key_ check above steps over it then.
      SkipCoveredForward(skip_key_);
      continue;
    }
    absl::Status resolved = ResolveValue(entry.type, inner_->value());
    if (!resolved.ok()) {
      Fail(std::move(resolved));
      return;
    }
    key_ = entry.user_key;
    valid_ = true;
    return;
  }
  CheckInnerStatus();
}

void DbIterator::FindPrevVisible() {
  direction_ = Direction::kBackward;
  Invalidate();
  // The newest visible version seen so far of the user key in saved_key_.
  // Going backward, versions arrive oldest first: a key is decided only once
  // inner_ has moved past all of its versions.
  bool have_candidate = false;
  ValueType candidate_type = ValueType::kValue;
  SequenceNumber candidate_sequence = 0;
  // Every round consumes at least one entry of inner_ or seeks past some.
  while (inner_->Valid()) {
    ParsedInternalKey entry;
    if (!ParseInternalKey(inner_->key(), entry)) {
      Fail(MalformedKey(inner_->key()));
      return;
    }
    if (upper_bound_.has_value() && CompareUserKeys(entry.user_key, *upper_bound_) >= 0) {
      inner_->Prev();
      continue;
    }
    if (have_candidate && entry.user_key != saved_key_) {
      have_candidate = false;
      if (candidate_type != ValueType::kDeletion) {
        if (!CoveredByTombstone(saved_key_, candidate_sequence)) {
          absl::Status resolved = ResolveValue(candidate_type, saved_value_);
          if (!resolved.ok()) {
            Fail(std::move(resolved));
            return;
          }
          key_ = saved_key_;
          valid_ = true;
          return;
        }
        SkipCoveredBackward(saved_key_);
        continue;
      }
    }
    // The bound ends the iteration here: nothing below it is read.
    if (lower_bound_.has_value() && CompareUserKeys(entry.user_key, *lower_bound_) < 0) break;
    if (entry.sequence > snapshot_ || entry.type == ValueType::kRangeDeletion) {
      inner_->Prev();
      continue;
    }
    have_candidate = true;
    saved_key_.assign(entry.user_key);
    candidate_type = entry.type;
    candidate_sequence = entry.sequence;
    if (entry.type != ValueType::kDeletion) saved_value_.assign(inner_->value());
    inner_->Prev();
  }
  if (!inner_->Valid()) {
    CheckInnerStatus();
    if (!status_.ok()) return;
  }
  // Nothing older than the candidate is left to read: no skip needed.
  if (!have_candidate || candidate_type == ValueType::kDeletion ||
      CoveredByTombstone(saved_key_, candidate_sequence)) {
    return;
  }
  absl::Status resolved = ResolveValue(candidate_type, saved_value_);
  if (!resolved.ok()) {
    Fail(std::move(resolved));
    return;
  }
  key_ = saved_key_;
  valid_ = true;
}

void DbIterator::SeekInnerBefore(std::string_view user_key) {
  seek_key_.clear();
  AppendInternalKey(seek_key_, user_key, kMaxSequenceNumber, kValueTypeForSeek);
  inner_->SeekForPrev(seek_key_);
  // seek_key_ is user_key's smallest internal key: only an entry equal to it
  // can have landed here with that user key.
  if (inner_->Valid() && inner_->key().size() >= kInternalKeyTrailerBytes &&
      CompareUserKeys(ExtractUserKey(inner_->key()), user_key) >= 0) {
    inner_->Prev();
  }
}

void DbIterator::StepOverForward(std::string_view user_key, StepReason reason) {
  if (step_count_ > 0 && user_key == step_key_) {
    ++step_count_;
  } else {
    step_key_.assign(user_key);
    step_count_ = 1;
  }
  if (step_count_ <= kMaxVersionStepsBeforeReseek) {
    inner_->Next();
    return;
  }
  // A hot key with many versions: one seek instead of a step per version.
  KILN_PROBE(true, "db iterator reseeks past many versions of one key");
  ++stats_.version_reseeks;
  step_count_ = 0;
  seek_key_.clear();
  if (reason == StepReason::kDecidedKey) {
    // The largest internal key of user_key: past every version but one
    // with sequence 0, which the next round steps over.
    AppendInternalKey(seek_key_, step_key_, 0, ValueType::kDeletion);
  } else {
    // The newest version visible at the snapshot. The current entry is
    // newer than the snapshot, so this moves forward.
    AppendInternalKey(seek_key_, step_key_, snapshot_, kValueTypeForSeek);
  }
  inner_->Seek(seek_key_);
}

bool DbIterator::CoveredByTombstone(std::string_view user_key, SequenceNumber sequence) const {
  return tombstones_ != nullptr && tombstones_->MaxCoveringSeq(user_key, snapshot_) > sequence;
}

void DbIterator::SkipCoveredForward(std::string_view user_key) {
  const std::optional<CoveredRun> run = tombstones_->CoveredRunAt(user_key, snapshot_);
  KILN_ASSERT(run.has_value());
  KILN_ASSERT(run->sequence > 0);
  KILN_ASSERT(run->sequence <= snapshot_);
  KILN_ASSERT(CompareUserKeys(run->begin, user_key) <= 0);
  KILN_ASSERT(CompareUserKeys(user_key, run->end) < 0);
  // Sources are not read past the upper bound, even to skip.
  std::string_view end = run->end;
  if (upper_bound_.has_value() && CompareUserKeys(*upper_bound_, end) < 0) end = *upper_bound_;
  if (inner_->SkipForwardCovered(end, run->sequence) > 0) ++stats_.covered_run_skips;
}

void DbIterator::SkipCoveredBackward(std::string_view user_key) {
  const std::optional<CoveredRun> run = tombstones_->CoveredRunAt(user_key, snapshot_);
  KILN_ASSERT(run.has_value());
  KILN_ASSERT(run->sequence > 0);
  KILN_ASSERT(run->sequence <= snapshot_);
  KILN_ASSERT(CompareUserKeys(run->begin, user_key) <= 0);
  KILN_ASSERT(CompareUserKeys(user_key, run->end) < 0);
  std::string_view begin = run->begin;
  if (lower_bound_.has_value() && CompareUserKeys(begin, *lower_bound_) < 0) begin = *lower_bound_;
  if (inner_->SkipBackwardCovered(begin, run->sequence) > 0) ++stats_.covered_run_skips;
}

absl::Status DbIterator::ResolveValue(ValueType type, std::string_view stored) {
  switch (type) {
    case ValueType::kValue:
      value_ = stored;
      return absl::OkStatus();
    case ValueType::kBlobIndex:
      KILN_PROBE(true, "db iterator returns a blob index as stored (no blob files yet)");
      value_ = stored;
      return absl::OkStatus();
    case ValueType::kDeletion:
    case ValueType::kRangeDeletion:
      break;
  }
  KILN_UNREACHABLE("only values and blob indexes have a user value");
}

void DbIterator::CheckInnerStatus() {
  absl::Status inner_status = inner_->status();
  if (!inner_status.ok()) Fail(std::move(inner_status));
}

void DbIterator::Fail(absl::Status status) {
  KILN_DASSERT(!status.ok());
  if (status_.ok()) status_ = std::move(status);
  Invalidate();
}

void DbIterator::Invalidate() {
  valid_ = false;
  key_ = {};
  value_ = {};
}

}  // namespace kiln
