// InternalIterators for tests: VectorIterator serves a sorted in-memory list
// (optionally failing at one entry), and CountingIterator counts the moves
// another iterator makes, so a test can prove work was skipped.
//
// Thread-safety: one task at a time. Nothing here yields.
#ifndef KILN_DB_VECTOR_ITERATOR_H_
#define KILN_DB_VECTOR_ITERATOR_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "db/dbformat.h"
#include "db/internal_iterator.h"
#include "util/assert.h"

namespace kiln {

class VectorIterator final : public InternalIterator {
 public:
  using Entry = std::pair<std::string, std::string>;  // internal key, value

  // Sorts entries into internal-key order.
  // REQUIRES: every key is at least kInternalKeyTrailerBytes long (its type
  // byte may be invalid, to test readers); keys are distinct.
  explicit VectorIterator(std::vector<Entry> entries) : entries_(std::move(entries)) {
    for (const Entry& entry : entries_) KILN_ASSERT(entry.first.size() >= kInternalKeyTrailerBytes);
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return CompareInternalKeys(a.first, b.first) < 0;
    });
    for (size_t i = 1; i < entries_.size(); ++i) {
      KILN_ASSERT(CompareInternalKeys(entries_[i - 1].first, entries_[i].first) < 0);
    }
  }

  // From now on, landing on the entry at index (in sorted order) fails with
  // status instead: the iterator turns invalid and stays so (sticky), as a
  // table does when a block read fails.
  // REQUIRES: !status.ok().
  void FailAt(size_t index, absl::Status status) {
    KILN_ASSERT(!status.ok());
    fail_index_ = index;
    fail_status_ = std::move(status);
  }

  bool Valid() const override { return status_.ok() && position_ < entries_.size(); }

  void SeekToFirst() override { Land(0); }

  void SeekToLast() override { Land(entries_.empty() ? kInvalid : entries_.size() - 1); }

  void Seek(std::string_view target) override {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                                     [](const Entry& entry, std::string_view key) {
                                       return CompareInternalKeys(entry.first, key) < 0;
                                     });
    Land(static_cast<size_t>(it - entries_.begin()));
  }

  void SeekForPrev(std::string_view target) override {
    const auto it = std::upper_bound(entries_.begin(), entries_.end(), target,
                                     [](std::string_view key, const Entry& entry) {
                                       return CompareInternalKeys(key, entry.first) < 0;
                                     });
    Land(it == entries_.begin() ? kInvalid : static_cast<size_t>(it - entries_.begin()) - 1);
  }

  void Next() override {
    KILN_ASSERT(Valid());
    Land(position_ + 1);
  }

  void Prev() override {
    KILN_ASSERT(Valid());
    Land(position_ == 0 ? kInvalid : position_ - 1);
  }

  std::string_view key() const override {
    KILN_ASSERT(Valid());
    return entries_[position_].first;
  }

  std::string_view value() const override {
    KILN_ASSERT(Valid());
    return entries_[position_].second;
  }

  absl::Status status() const override { return status_; }

 private:
  static constexpr size_t kInvalid = SIZE_MAX;

  void Land(size_t position) {
    if (!status_.ok()) return;
    position_ = position < entries_.size() ? position : kInvalid;
    if (position_ != kInvalid && position_ == fail_index_) {
      status_ = fail_status_;
      position_ = kInvalid;
    }
  }

  std::vector<Entry> entries_;
  size_t position_ = kInvalid;
  size_t fail_index_ = kInvalid;
  absl::Status fail_status_;
  absl::Status status_;
};

// How many times an iterator was positioned (seeks) and stepped (Next/Prev).
struct IteratorMoveCounts {
  uint64_t seeks = 0;
  uint64_t steps = 0;

  uint64_t total() const { return seeks + steps; }
};

// Forwards every call to base and counts the moves into *counts, which the
// test keeps (the wrapper usually ends up owned by a merge).
class CountingIterator final : public InternalIterator {
 public:
  // REQUIRES: base and counts are non-null; counts outlives the iterator.
  CountingIterator(std::unique_ptr<InternalIterator> base, IteratorMoveCounts* counts)
      : base_(std::move(base)), counts_(counts) {
    KILN_ASSERT(base_ != nullptr);
    KILN_ASSERT(counts_ != nullptr);
  }

  bool Valid() const override { return base_->Valid(); }
  void SeekToFirst() override {
    ++counts_->seeks;
    base_->SeekToFirst();
  }
  void SeekToLast() override {
    ++counts_->seeks;
    base_->SeekToLast();
  }
  void Seek(std::string_view target) override {
    ++counts_->seeks;
    base_->Seek(target);
  }
  void SeekForPrev(std::string_view target) override {
    ++counts_->seeks;
    base_->SeekForPrev(target);
  }
  void Next() override {
    ++counts_->steps;
    base_->Next();
  }
  void Prev() override {
    ++counts_->steps;
    base_->Prev();
  }
  std::string_view key() const override { return base_->key(); }
  std::string_view value() const override { return base_->value(); }
  absl::Status status() const override { return base_->status(); }

 private:
  std::unique_ptr<InternalIterator> base_;
  IteratorMoveCounts* counts_;
};

}  // namespace kiln

#endif  // KILN_DB_VECTOR_ITERATOR_H_
