// Writes a sorted table (engine/docs/table_format.md) through a File: point
// entries in strictly increasing internal-key order, range tombstones in any
// order. The caller syncs and closes the file.
#ifndef KILN_TABLE_TABLE_BUILDER_H_
#define KILN_TABLE_TABLE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/dbformat.h"
#include "kiln/env.h"
#include "table/block_builder.h"
#include "table/bloom_filter.h"
#include "table/format.h"
#include "table/properties.h"

namespace kiln {

inline constexpr size_t kMinTableBlockSizeBytes = 64;
inline constexpr size_t kMaxTableBlockSizeBytes = size_t{4} << 20;

struct TableBuilderOptions {
  // A data block is cut once its decoded size reaches this (one entry may
  // make it larger). In [kMinTableBlockSizeBytes, kMaxTableBlockSizeBytes].
  size_t block_size_bytes = 4096;
  int block_restart_interval = 16;
  CompressionType compression = CompressionType::kLz4;
  // 0: no filter block. Else in [1, kMaxBloomBitsPerKey].
  int bloom_bits_per_key = 10;
  // 0: no prefix filter (see BloomFilterOptions).
  size_t prefix_length_bytes = 0;
};

// Sealed blocks are gathered in a write buffer and appended in whole pages
// (kTableWriteBufferBytes at a time, the tail at Finish), not one Append per
// block: a block-sized write straddles pages, and the kernel zeroes the part
// of each new page cache page the write does not cover. In kvbench overwrite
// the per-block pwrites were a quarter of the compaction thread, the zeroing
// a tenth; with whole pages the zeroing is gone and the system calls are
// 16x fewer, though on a VM most of what remains is the first touch of each
// new page-cache page, which the copy now pays. A table is only ever read
// after Finish and the caller's sync, so nothing reads the buffered bytes
// from the file.
inline constexpr size_t kTableWriteBufferBytes = size_t{256} << 10;
inline constexpr size_t kTableWritePageBytes = 4096;

// Thread-safety: not thread-safe. Add and Finish may yield (they write).
// After any write error every later call returns that error (sticky); the
// file then holds some prefix of the table and the caller discards it.
class TableBuilder {
 public:
  // file is not owned and must outlive the builder; path names it in errors.
  // REQUIRES: file is empty (offsets start at 0); options within bounds.
  TableBuilder(const TableBuilderOptions& options, File* file, std::string path);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // REQUIRES: !finished; internal_key well formed, not kRangeDeletion, with
  // user key <= kMaxTableUserKeyBytes, strictly after the previous key;
  // value.size() <= kMaxTableValueBytes. May yield.
  [[nodiscard]] absl::Status Add(std::string_view internal_key, std::string_view value);

  // Deletes [begin_user_key, end_user_key) for sequences below `sequence`.
  // REQUIRES: !finished; begin < end; both <= kMaxTableUserKeyBytes;
  // sequence <= kMaxSequenceNumber; at most kMaxRangeTombstonesPerTable.
  void AddRangeTombstone(std::string_view begin_user_key, std::string_view end_user_key,
                         SequenceNumber sequence);

  // Writes the remaining blocks and the footer; returns the file's size.
  // REQUIRES: !finished. May yield.
  [[nodiscard]] absl::StatusOr<uint64_t> Finish();

  uint64_t num_entries() const { return properties_.num_entries; }
  // The table's size so far: every sealed block, written or still in the
  // write buffer (excludes the open data block).
  uint64_t file_size_bytes() const { return offset_; }

 private:
  struct PendingTombstone {
    std::string key;  // internal key (begin, sequence, kRangeDeletion)
    std::string end;
  };

  absl::Status FlushDataBlock();
  // Adds a block to the table (the write buffer), returning where it goes.
  absl::StatusOr<BlockHandle> WriteBlock(std::string_view raw, CompressionType compression);
  // Adds bytes to the write buffer and appends its whole pages once it
  // holds kTableWriteBufferBytes, or all of it if final.
  absl::Status Write(std::string_view bytes, bool final);
  // Sorts, deduplicates and writes the range tombstones.
  absl::StatusOr<BlockHandle> WriteRangeTombstones();
  void NoteSequence(SequenceNumber sequence);
  void NoteKey(std::string_view internal_key);

  TableBuilderOptions options_;
  File* file_;
  std::string path_;
  absl::Status status_;
  uint64_t offset_ = 0;
  // Bytes of the table not yet appended to the file: the last ones, ending
  // at offset_. Fewer than kTableWriteBufferBytes + one sealed block.
  std::string write_buffer_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<BloomFilterBuilder> filter_;
  std::vector<PendingTombstone> tombstones_;
  TableProperties properties_;
  std::string last_key_;
  // The last data block's handle, indexed once the next key (or Finish)
  // shows how short its separator can be.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  bool has_sequence_ = false;
  bool finished_ = false;
};

}  // namespace kiln

#endif  // KILN_TABLE_TABLE_BUILDER_H_
