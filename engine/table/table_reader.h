// Reads a sorted table written by TableBuilder (engine/docs/table_format.md).
// Open validates the footer and loads the metadata (index, filter, range
// tombstones, properties) once; data blocks are read on demand, checksummed
// before use, and cached in the block cache when one is given. From a
// mapped image (map_file) a data block is checksummed on its first read and
// trusted by later ones, as a cached block is (VerifiedBlocks).
#ifndef KILN_TABLE_TABLE_READER_H_
#define KILN_TABLE_TABLE_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/cache.h"
#include "db/dbformat.h"
#include "kiln/env.h"
#include "table/block.h"
#include "table/bloom_filter.h"
#include "table/format.h"
#include "db/internal_iterator.h"
#include "table/properties.h"
#include "table/verified_blocks.h"

namespace kiln {

struct TableReaderOptions {
  // Not owned; must outlive the reader and every iterator it makes.
  File* file = nullptr;
  // Names the file in errors.
  std::string path;
  // The table's size as recorded when it was written (e.g. in the manifest).
  uint64_t file_size = 0;
  // Not owned; may be null (no caching). Must outlive the reader.
  Cache* block_cache = nullptr;
  // Distinguishes this table's blocks from every other table's in the cache.
  uint64_t cache_id = 0;
  // Whether data block checksums are always checked (whatever a read asks);
  // metadata blocks and the footer are always checked.
  bool verify_checksums = true;
  // If non-null, file reads are serialised by a Mutex from it so tasks may
  // share the reader; if null, one task at a time may use the reader and its
  // iterators.
  Scheduler* scheduler = nullptr;
  // Whether data blocks are read from an image of the file (File::Map)
  // instead of copied out of it: no read call, no copy and no block cache
  // for them. Falls back to reads where the filesystem has no images.
  bool map_file = false;
};

// One read's choices (ReadOptions), for Get and NewIterator.
struct TableReadOptions {
  // Whether data block checksums are checked (they always are when
  // TableReaderOptions::verify_checksums is set). A block read unchecked is
  // never inserted into the block cache, so a later checked read cannot be
  // served bytes nobody checked.
  bool verify_checksums = true;
  // Whether data blocks read from the file are inserted into the block cache
  // (a scan that would evict the working set sets it false). Cached blocks
  // are used either way.
  bool fill_cache = true;
};

// The newest point entry of a user key visible at a snapshot.
struct TableGetResult {
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;  // kValue, kDeletion or kBlobIndex
  std::string value;
};

// [begin, end) deleted for sequences below `sequence`.
struct StoredRangeTombstone {
  std::string begin;
  std::string end;
  SequenceNumber sequence = 0;
};

// Thread-safety: see TableReaderOptions::scheduler. Immutable after Open.
class TableReader {
 public:
  // Corruption "<path>: ..." naming the offset if the footer or any metadata
  // block is malformed or fails its checksum. REQUIRES: options.file
  // non-null. May yield.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TableReader>> Open(
      TableReaderOptions options);

  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // False only if no point entry of user_key is in the table (true when the
  // table has no filter).
  bool KeyMayMatch(std::string_view user_key) const;
  // False only if no point entry's user key starts with prefix; see
  // BloomFilter::PrefixMayMatch.
  bool PrefixMayMatch(std::string_view prefix) const;

  // The newest point entry of user_key with sequence <= snapshot, or nullopt
  // if the table has none. Range tombstones are not applied: the caller
  // combines RangeTombstones() from every source. Consults the filter first.
  // REQUIRES: snapshot <= kMaxSequenceNumber. May yield.
  [[nodiscard]] absl::StatusOr<std::optional<TableGetResult>> Get(
      std::string_view user_key, SequenceNumber snapshot, const TableReadOptions& read = {});

  // Over the point entries (internal keys -> values). Moves may yield.
  // REQUIRES: the reader outlives the iterator.
  std::unique_ptr<InternalIterator> NewIterator(const TableReadOptions& read = {});

  // Sorted by (begin, sequence descending); validated at Open.
  const std::vector<StoredRangeTombstone>& RangeTombstones() const { return range_tombstones_; }
  const TableProperties& Properties() const { return properties_; }
  const std::string& path() const { return options_.path; }
  // Data blocks of the mapped image that passed their checksum so far (each
  // counted once); 0 when the table is not mapped.
  size_t verified_image_blocks() const {
    return verified_image_blocks_.has_value() ? verified_image_blocks_->verified_count() : 0;
  }

 private:
  friend class TableIterator;

  explicit TableReader(TableReaderOptions options);
  absl::Status LoadMetadata();
  absl::Status LoadRangeTombstones(const BlockHandle& handle);
  // Reads and checks one block's contents, bypassing the cache. May yield.
  absl::StatusOr<std::string> ReadBlockContents(const BlockHandle& handle, bool verify_checksum);
  // Reads, checks and parses one block, bypassing the cache. May yield.
  absl::StatusOr<std::shared_ptr<const Block>> ReadAndParseBlock(const BlockHandle& handle,
                                                                 bool verify_checksum);
  // Lists the data blocks of a mapped table for verified_image_blocks_.
  // Corruption if an index entry's handle is malformed or out of order.
  absl::Status IndexImageBlocks();
  // From the file image (map_file): checked (once per block, see
  // VerifiedBlocks) and parsed in place. Never yields.
  absl::StatusOr<std::shared_ptr<const Block>> ReadImageBlock(const BlockHandle& handle,
                                                              bool verify_checksum);
  // From the image, or through the block cache when there is one. May yield.
  absl::StatusOr<std::shared_ptr<const Block>> ReadDataBlock(const BlockHandle& handle,
                                                            const TableReadOptions& read);

  TableReaderOptions options_;
  uint64_t footer_offset_ = 0;
  std::unique_ptr<Mutex> file_mutex_;  // null without options_.scheduler
  std::shared_ptr<const MappedFile> image_;  // null unless map_file and mapped
  std::optional<VerifiedBlocks> verified_image_blocks_;  // set iff image_ is
  std::shared_ptr<const Block> index_block_;
  std::optional<BloomFilter> filter_;
  std::vector<StoredRangeTombstone> range_tombstones_;
  TableProperties properties_;
};

}  // namespace kiln

#endif  // KILN_TABLE_TABLE_READER_H_
