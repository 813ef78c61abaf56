// A decoded block (engine/docs/table_format.md) and its iterator. The bytes
// are untrusted: Parse validates the restart array, and the iterator checks
// every entry as it decodes it, reporting a malformed one as Corruption
// "<origin>: entry at block offset N: ..." rather than reading out of bounds.
//
// Invariants of a parsed Block:
//   1. contents.size() >= 4 and holds num_restarts (>= 1) restart offsets
//      followed by num_restarts as fixed32; data_end is where they begin.
//   2. restart[0] == 0 and restart offsets strictly increase; every restart
//      offset is < data_end, except that an empty block (data_end == 0) has
//      exactly the one restart 0.
#ifndef KILN_TABLE_BLOCK_H_
#define KILN_TABLE_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cache/cache.h"
#include "table/format.h"
#include "db/internal_iterator.h"

namespace kiln {

// Immutable once parsed; shared by iterators and the block cache.
// Thread-safety: safe to read concurrently.
class Block final : public CacheValue {
 public:
  // origin names the block in errors, e.g. BlockOrigin(path, offset).
  // Corruption if the restart array is malformed.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const Block>> Parse(std::string contents,
                                                                          std::string origin);
  // As Parse, over bytes the block does not own (a mapped table file): pin
  // keeps them alive as long as the block.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const Block>> ParseView(
      std::string_view contents, std::shared_ptr<const void> pin, std::string origin);

  std::string_view contents() const { return contents_; }
  const std::string& origin() const { return origin_; }
  uint32_t num_restarts() const { return num_restarts_; }
  // Where entries end and the restart array begins.
  uint32_t data_end() const { return data_end_; }
  // REQUIRES: index < num_restarts().
  uint32_t RestartOffset(uint32_t index) const;
  // What the block costs a cache.
  size_t charge_bytes() const { return sizeof(Block) + owned_.capacity() + origin_.capacity(); }

 private:
  Block(std::string owned, std::string_view view, std::shared_ptr<const void> pin,
        std::string origin, uint32_t num_restarts, uint32_t data_end);
  // Checks the restart array (invariants 1 and 2); returns data_end.
  static absl::StatusOr<uint32_t> CheckRestarts(std::string_view contents,
                                                std::string_view origin);

  std::string owned_;                // the bytes, when the block owns them
  std::shared_ptr<const void> pin_;  // keeps viewed bytes alive otherwise
  std::string_view contents_;        // owned_ or the viewed bytes
  std::string origin_;
  uint32_t num_restarts_;
  uint32_t data_end_;
};

// Iterates a block's entries in its key order. Never yields.
// Thread-safety: one task at a time; many iterators may share a block.
class BlockIterator final : public InternalIterator {
 public:
  // REQUIRES: block is non-null.
  BlockIterator(std::shared_ptr<const Block> block, BlockKeyOrder order);

  bool Valid() const override { return status_.ok() && current_ < block_->data_end(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  // REQUIRES: for kInternal, target is a well-formed internal key.
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override { SeekForPrevViaSeek(*this, target); }
  void Next() override;
  void Prev() override;
  std::string_view key() const override;
  std::string_view value() const override;
  absl::Status status() const override { return status_; }

 private:
  int Compare(std::string_view a, std::string_view b) const;
  void Invalidate();
  void MarkCorrupt(uint32_t offset, std::string_view what);
  // Forgets the current key and makes the entry at restart `index` the next
  // one ParseNextEntry decodes.
  void PrepareRestart(uint32_t index);
  // Decodes the entry at next_ into the current position; false at the end
  // of the block or on corruption (then status_ is set).
  bool ParseNextEntry();
  // The full key stored at restart `index`; false (status_ set) if malformed.
  bool KeyAtRestart(uint32_t index, std::string_view& key);

  std::shared_ptr<const Block> block_;
  BlockKeyOrder order_;
  // Offset of the current entry; block_->data_end() when not positioned.
  uint32_t current_;
  // Offset just past the current entry.
  uint32_t next_;
  // The restart region holding current_.
  uint32_t restart_index_;
  std::string key_;
  std::string_view value_;
  absl::Status status_;
};

}  // namespace kiln

#endif  // KILN_TABLE_BLOCK_H_
