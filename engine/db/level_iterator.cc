#include "db/level_iterator.h"

#include <algorithm>
#include <utility>

#include "db/dbformat.h"
#include "kiln/status.h"
#include "util/assert.h"

namespace kiln {
namespace {

class LevelIterator final : public InternalIterator {
 public:
  LevelIterator(TableCache& table_cache, FileList files, LevelIteratorOptions options)
      : table_cache_(table_cache), files_(std::move(files)), options_(std::move(options)) {
    for (size_t i = 1; i < files_.size(); ++i) {
      KILN_DASSERT(CompareUserKeys(files_[i - 1]->largest_user_key(),
                                   files_[i]->smallest_user_key()) < 0);
    }
  }

  bool Valid() const override { return status_.ok() && table_ != nullptr && table_->Valid(); }

  void SeekToFirst() override {
    if (!Reset() || files_.empty()) return;
    if (OpenFile(0)) table_->SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    if (!Reset() || files_.empty()) return;
    if (OpenFile(files_.size() - 1)) table_->SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    if (!Reset()) return;
    // The first file whose largest key is >= target; every earlier file
    // holds only smaller keys.
    const auto it = std::partition_point(files_.begin(), files_.end(), [&](const auto& file) {
      return CompareInternalKeys(file->largest, target) < 0;
    });
    if (it == files_.end()) return;
    if (OpenFile(static_cast<size_t>(it - files_.begin()))) table_->Seek(target);
    SkipEmptyForward();
  }

  void SeekForPrev(std::string_view target) override {
    if (!Reset()) return;
    // The last file whose smallest key is <= target; every later file holds
    // only larger keys.
    const auto it = std::partition_point(files_.begin(), files_.end(), [&](const auto& file) {
      return CompareInternalKeys(file->smallest, target) <= 0;
    });
    if (it == files_.begin()) return;
    if (OpenFile(static_cast<size_t>(it - files_.begin()) - 1)) table_->SeekForPrev(target);
    SkipEmptyBackward();
  }

  void Next() override {
    KILN_ASSERT(Valid());
    table_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    KILN_ASSERT(Valid());
    table_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override {
    KILN_DASSERT(Valid());
    return table_->key();
  }
  std::string_view value() const override {
    KILN_DASSERT(Valid());
    return table_->value();
  }
  absl::Status status() const override { return status_; }

 private:
  // Errors are sticky, as in every internal iterator: false once one is set.
  bool Reset() {
    if (!status_.ok()) return false;
    table_.reset();
    return true;
  }

  // Positions on file index (unpositioned). False, with status_ set or the
  // file read as empty, when there is nothing to position in.
  bool OpenFile(size_t index) {
    KILN_ASSERT(index < files_.size());
    file_index_ = index;
    table_.reset();
    const FileMetaData& meta = *files_[index];
    absl::StatusOr<std::shared_ptr<const OpenTable>> table = table_cache_.Get(meta);
    if (!table.ok()) {
      status_ = table.status();
      return false;
    }
    // The caller gathered tombstones by the manifest's count; a table that
    // disagrees would have some silently ignored.
    if ((*table)->reader->RangeTombstones().size() != meta.num_range_tombstones) {
      status_ = Corruption((*table)->reader->path() + ": holds " +
                           std::to_string((*table)->reader->RangeTombstones().size()) +
                           " range tombstones but the manifest lists " +
                           std::to_string(meta.num_range_tombstones));
      return false;
    }
    if (options_.prefix.has_value() && !(*table)->reader->PrefixMayMatch(*options_.prefix)) {
      if (options_.tables_skipped_by_prefix != nullptr) {
        options_.tables_skipped_by_prefix->fetch_add(1, std::memory_order_relaxed);
      }
      return false;
    }
    absl::StatusOr<std::unique_ptr<InternalIterator>> it =
        table_cache_.NewIterator(meta, options_.read);
    if (!it.ok()) {
      status_ = it.status();
      return false;
    }
    table_ = *std::move(it);
    return true;
  }

  // Bounded by the number of files: each step moves to a later one.
  void SkipEmptyForward() {
    while (status_.ok() && !Valid()) {
      if (!TakeTableError()) return;
      if (file_index_ + 1 >= files_.size() || PastPrefix(*files_[file_index_ + 1])) {
        table_.reset();
        return;
      }
      if (OpenFile(file_index_ + 1)) table_->SeekToFirst();
    }
  }

  // Bounded by the number of files: each step moves to an earlier one.
  void SkipEmptyBackward() {
    while (status_.ok() && !Valid()) {
      if (!TakeTableError()) return;
      if (file_index_ == 0 || BeforePrefix(*files_[file_index_ - 1])) {
        table_.reset();
        return;
      }
      if (OpenFile(file_index_ - 1)) table_->SeekToLast();
    }
  }

  // Whether every key of file sorts after (before) every key starting with
  // the prefix: the reader wants none of them, so a scan stops there rather
  // than opening the rest of the level.
  bool PastPrefix(const FileMetaData& file) const {
    if (!options_.prefix.has_value()) return false;
    const std::string_view smallest = file.smallest_user_key();
    return smallest > *options_.prefix && !smallest.starts_with(*options_.prefix);
  }
  bool BeforePrefix(const FileMetaData& file) const {
    return options_.prefix.has_value() && file.largest_user_key() < *options_.prefix;
  }

  // False (status_ set) if the open table failed.
  bool TakeTableError() {
    if (table_ != nullptr && !table_->status().ok()) {
      status_ = table_->status();
      table_.reset();
      return false;
    }
    return true;
  }

  TableCache& table_cache_;
  const FileList files_;
  const LevelIteratorOptions options_;
  size_t file_index_ = 0;
  // Null when unpositioned, past either end, or on a file read as empty.
  std::unique_ptr<InternalIterator> table_;
  absl::Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewLevelIterator(TableCache& table_cache, FileList files,
                                                   LevelIteratorOptions options) {
  return std::make_unique<LevelIterator>(table_cache, std::move(files), std::move(options));
}

SequenceNumber LevelSequenceMax(const FileList& files) {
  SequenceNumber max = 0;
  for (const auto& file : files) max = std::max(max, file->largest_seq);
  return max;
}

}  // namespace kiln
