#include "table/table_iterator.h"

#include <utility>

#include "db/dbformat.h"
#include "kiln/status.h"
#include "table/format.h"
#include "table/table_reader.h"
#include "util/assert.h"

namespace kiln {

TableIterator::TableIterator(TableReader& table, const TableReadOptions& read)
    : table_(table), read_(read), index_(table.index_block_, BlockKeyOrder::kInternal) {}

bool TableIterator::Valid() const { return status_.ok() && data_.has_value() && data_->Valid(); }

void TableIterator::SetError(absl::Status status) {
  KILN_DASSERT(!status.ok());
  status_ = std::move(status);
  data_.reset();
}

bool TableIterator::IndexPositioned() {
  if (!index_.status().ok()) {
    SetError(index_.status());
    return false;
  }
  if (!index_.Valid()) {
    data_.reset();
    return false;
  }
  return true;
}

bool TableIterator::LoadDataBlock() {
  std::string_view encoded = index_.value();
  BlockHandle handle;
  if (!DecodeBlockHandle(encoded, handle) || !encoded.empty()) {
    SetError(Corruption(table_.path() + ": index entry " + DebugInternalKey(index_.key()) +
                        ": malformed block handle"));
    return false;
  }
  if (data_.has_value() && data_offset_ == handle.offset) return true;
  absl::StatusOr<std::shared_ptr<const Block>> block = table_.ReadDataBlock(handle, read_);
  if (!block.ok()) {
    SetError(block.status());
    return false;
  }
  data_.emplace(*std::move(block), BlockKeyOrder::kInternal);
  data_offset_ = handle.offset;
  return true;
}

void TableIterator::CheckEntry() {
  if (!Valid()) return;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(data_->key(), parsed) || parsed.type == ValueType::kRangeDeletion) {
    SetError(Corruption(BlockOrigin(table_.path(), data_offset_) +
                        ": data entry with a bad internal key type"));
  }
}

void TableIterator::SkipExhaustedForward() {
  while (status_.ok() && data_.has_value() && !data_->Valid()) {
    if (!data_->status().ok()) {
      SetError(data_->status());
      return;
    }
    index_.Next();
    if (!IndexPositioned() || !LoadDataBlock()) return;
    data_->SeekToFirst();
  }
  CheckEntry();
}

void TableIterator::SkipExhaustedBackward() {
  while (status_.ok() && data_.has_value() && !data_->Valid()) {
    if (!data_->status().ok()) {
      SetError(data_->status());
      return;
    }
    index_.Prev();
    if (!IndexPositioned() || !LoadDataBlock()) return;
    data_->SeekToLast();
  }
  CheckEntry();
}

void TableIterator::SeekToFirst() {
  if (!status_.ok()) return;
  index_.SeekToFirst();
  if (!IndexPositioned() || !LoadDataBlock()) return;
  data_->SeekToFirst();
  SkipExhaustedForward();
}

void TableIterator::SeekToLast() {
  if (!status_.ok()) return;
  index_.SeekToLast();
  if (!IndexPositioned() || !LoadDataBlock()) return;
  data_->SeekToLast();
  SkipExhaustedBackward();
}

void TableIterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  KILN_ASSERT(target.size() >= kInternalKeyTrailerBytes);
  // The first index key >= target names the first block whose last key may
  // be >= target; if all its keys are smaller the answer opens the next one.
  index_.Seek(target);
  if (!IndexPositioned() || !LoadDataBlock()) return;
  data_->Seek(target);
  SkipExhaustedForward();
}

void TableIterator::Next() {
  KILN_ASSERT(Valid());
  data_->Next();
  SkipExhaustedForward();
}

void TableIterator::Prev() {
  KILN_ASSERT(Valid());
  data_->Prev();
  SkipExhaustedBackward();
}

std::string_view TableIterator::key() const {
  KILN_ASSERT(Valid());
  return data_->key();
}

std::string_view TableIterator::value() const {
  KILN_ASSERT(Valid());
  return data_->value();
}

}  // namespace kiln
