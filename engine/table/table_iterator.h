// The two-level iterator over a table's point entries: the index block picks
// a data block, whose iterator yields the entries. Data blocks come through
// the reader (and its block cache); a block that fails its checksum or does
// not parse ends the iteration with that Corruption (sticky).
#ifndef KILN_TABLE_TABLE_ITERATOR_H_
#define KILN_TABLE_TABLE_ITERATOR_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "table/block.h"
#include "table/table_reader.h"
#include "db/internal_iterator.h"

namespace kiln {

// Moves may yield (they may read a block). Thread-safety: one task at a time.
class TableIterator final : public InternalIterator {
 public:
  // REQUIRES: table outlives the iterator.
  TableIterator(TableReader& table, const TableReadOptions& read);

  bool Valid() const override;
  void SeekToFirst() override;
  void SeekToLast() override;
  // REQUIRES: target is a well-formed internal key.
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override { SeekForPrevViaSeek(*this, target); }
  void Next() override;
  void Prev() override;
  std::string_view key() const override;
  std::string_view value() const override;
  absl::Status status() const override { return status_; }

 private:
  void SetError(absl::Status status);
  // After moving index_: false (and invalid) if it failed or ran off the end.
  bool IndexPositioned();
  // Makes data_ iterate the block index_ points at; false on error.
  bool LoadDataBlock();
  // Moves past exhausted data blocks in either direction, then checks the
  // entry landed on. Bounded by the index's entries.
  void SkipExhaustedForward();
  void SkipExhaustedBackward();
  void CheckEntry();

  TableReader& table_;
  const TableReadOptions read_;
  BlockIterator index_;
  std::optional<BlockIterator> data_;
  uint64_t data_offset_ = 0;  // of the block data_ iterates
  absl::Status status_;
};

}  // namespace kiln

#endif  // KILN_TABLE_TABLE_ITERATOR_H_
