#include "table/table_reader.h"

#include <utility>

#include "kiln/status.h"
#include "table/block_io.h"
#include "table/table_iterator.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

// fixed64 cache_id ++ fixed64 block offset.
constexpr size_t kBlockCacheKeyBytes = 16;

// Runs read under mutex when there is one: a File serves one task at a time.
template <typename Read>
auto LockedRead(Mutex* mutex, Read read) {
  if (mutex == nullptr) return read();
  MutexLock lock(*mutex);
  return read();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TableReader>> TableReader::Open(TableReaderOptions options) {
  KILN_ASSERT(options.file != nullptr);
  std::unique_ptr<TableReader> reader(new TableReader(std::move(options)));
  KILN_RETURN_IF_ERROR(reader->LoadMetadata());
  return reader;
}

TableReader::TableReader(TableReaderOptions options) : options_(std::move(options)) {
  if (options_.scheduler != nullptr) file_mutex_ = options_.scheduler->NewMutex();
}

absl::StatusOr<std::string> TableReader::ReadBlockContents(const BlockHandle& handle,
                                                           bool verify_checksum) {
  const ReadBlockOptions read_options{
      .path = options_.path, .limit_offset = footer_offset_, .verify_checksum = verify_checksum};
  return LockedRead(file_mutex_.get(),
                    [&] { return ReadBlock(*options_.file, handle, read_options); });
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::ReadAndParseBlock(
    const BlockHandle& handle, bool verify_checksum) {
  KILN_ASSIGN_OR_RETURN(std::string contents, ReadBlockContents(handle, verify_checksum));
  return Block::Parse(std::move(contents), BlockOrigin(options_.path, handle.offset));
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::ReadImageBlock(const BlockHandle& handle,
                                                                         bool verify_checksum) {
  KILN_ASSERT(image_ != nullptr);
  KILN_ASSERT(verified_image_blocks_.has_value());
  // A block whose checksum passed on an earlier read is not hashed again;
  // its bounds and compression type are still checked.
  const bool check_now = verify_checksum && !verified_image_blocks_->Contains(handle);
  const ReadBlockOptions read_options{
      .path = options_.path, .limit_offset = footer_offset_, .verify_checksum = check_now};
  KILN_ASSIGN_OR_RETURN(ImageBlock block,
                        ReadBlockFromImage(image_->bytes(), handle, read_options));
  std::string origin = BlockOrigin(options_.path, handle.offset);
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Block> parsed,
                        block.is_view ? Block::ParseView(block.view, image_, std::move(origin))
                                      : Block::Parse(std::move(block.owned), std::move(origin)));
  if (check_now) verified_image_blocks_->Add(handle);
  return parsed;
}

absl::Status TableReader::IndexImageBlocks() {
  KILN_ASSERT(image_ != nullptr);
  std::vector<BlockHandle> handles;
  BlockIterator it(index_block_, BlockKeyOrder::kInternal);
  // Bounded by the index block's entries.
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view encoded = it.value();
    BlockHandle handle;
    if (!DecodeBlockHandle(encoded, handle) || !encoded.empty()) {
      return Corruption(index_block_->origin() + ": index entry " + DebugInternalKey(it.key()) +
                        ": malformed block handle");
    }
    if (!handles.empty() && handle.offset <= handles.back().offset) {
      return Corruption(index_block_->origin() + ": index entry " + DebugInternalKey(it.key()) +
                        ": data block offset " + std::to_string(handle.offset) +
                        " does not follow the previous block");
    }
    handles.push_back(handle);
  }
  KILN_RETURN_IF_ERROR(it.status());
  verified_image_blocks_.emplace(std::move(handles));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::ReadDataBlock(
    const BlockHandle& handle, const TableReadOptions& read) {
  const bool verify = options_.verify_checksums || read.verify_checksums;
  // An image block costs a checksum and a parse, no copy: caching it would
  // only evict blocks that do cost a read.
  if (image_ != nullptr) return ReadImageBlock(handle, verify);
  Cache* cache = options_.block_cache;
  if (cache == nullptr) return ReadAndParseBlock(handle, verify);
  char key[kBlockCacheKeyBytes];
  EncodeFixed64(key, options_.cache_id);
  if constexpr (KILN_PLANTED_BUG(block_cache_key_collision)) {
    // PLANTED BUG block_cache_key_collision: the key leaves out the table, so
    // another table's block cached at the same offset is served.
    EncodeFixed64(key, 0);
  }
  EncodeFixed64(key + 8, handle.offset);
  const std::string_view cache_key(key, sizeof(key));
  std::shared_ptr<const CacheValue> cached = cache->Lookup(cache_key);
  if (cached != nullptr) {
    std::shared_ptr<const Block> block = std::dynamic_pointer_cast<const Block>(cached);
    // Another user of the cache reusing our key would be a bug; re-read then.
    KILN_PROBE(block == nullptr, "block cache key held a value that is not a block");
    if (block != nullptr) return block;
  }
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Block> block, ReadAndParseBlock(handle, verify));
  // Cached blocks are trusted by every later read, so only checked ones go in.
  if (read.fill_cache && verify) cache->Insert(cache_key, block, block->charge_bytes());
  return block;
}

absl::Status TableReader::LoadMetadata() {
  const std::string& path = options_.path;
  if (options_.file_size < kFooterBytes) {
    return Corruption(path + ": file of " + std::to_string(options_.file_size) +
                      " bytes is too short to be a table");
  }
  footer_offset_ = options_.file_size - kFooterBytes;
  if (options_.map_file) {
    absl::StatusOr<std::shared_ptr<const MappedFile>> image = LockedRead(
        file_mutex_.get(), [&] { return options_.file->Map(options_.file_size); });
    // Any failure (no images here, a file shorter than recorded, no address
    // space) leaves the reader on Read, which reports real damage as usual.
    if (image.ok()) {
      KILN_ASSERT((*image)->bytes().size() == options_.file_size);
      image_ = *std::move(image);
    }
  }
  KILN_ASSIGN_OR_RETURN(const std::string footer_bytes, LockedRead(file_mutex_.get(), [&] {
                          return ReadFileBytes(*options_.file, footer_offset_, kFooterBytes);
                        }));
  KILN_ASSIGN_OR_RETURN(const Footer footer, DecodeFooter(footer_bytes, path, footer_offset_));

  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Block> metaindex,
                        ReadAndParseBlock(footer.metaindex, /*verify_checksum=*/true));
  std::optional<BlockHandle> filter_handle;
  std::optional<BlockHandle> properties_handle;
  std::optional<BlockHandle> range_deletion_handle;
  BlockIterator it(metaindex, BlockKeyOrder::kBytewise);
  // Bounded by the metaindex block's entries.
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view encoded = it.value();
    BlockHandle handle;
    if (!DecodeBlockHandle(encoded, handle) || !encoded.empty()) {
      return Corruption(metaindex->origin() + ": metaindex entry '" + std::string(it.key()) +
                        "': malformed block handle");
    }
    if (it.key() == kFilterBlockName) filter_handle = handle;
    if (it.key() == kPropertiesBlockName) properties_handle = handle;
    if (it.key() == kRangeDeletionBlockName) range_deletion_handle = handle;
    // Other names were written by a newer version for its own use: skip.
  }
  KILN_RETURN_IF_ERROR(it.status());
  if (!properties_handle.has_value()) {
    return Corruption(metaindex->origin() + ": metaindex has no properties block");
  }

  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Block> properties_block,
                        ReadAndParseBlock(*properties_handle, /*verify_checksum=*/true));
  KILN_ASSIGN_OR_RETURN(properties_, DecodeTableProperties(std::move(properties_block)));
  if (filter_handle.has_value()) {
    KILN_ASSIGN_OR_RETURN(std::string contents,
                          ReadBlockContents(*filter_handle, /*verify_checksum=*/true));
    KILN_ASSIGN_OR_RETURN(
        BloomFilter filter,
        BloomFilter::Parse(std::move(contents), BlockOrigin(path, filter_handle->offset)));
    filter_.emplace(std::move(filter));
  }
  if (range_deletion_handle.has_value()) {
    KILN_RETURN_IF_ERROR(LoadRangeTombstones(*range_deletion_handle));
  }
  if (range_tombstones_.size() != properties_.num_range_deletions) {
    return Corruption(path + ": table has " + std::to_string(range_tombstones_.size()) +
                      " range tombstones but its properties count " +
                      std::to_string(properties_.num_range_deletions));
  }
  KILN_ASSIGN_OR_RETURN(index_block_, ReadAndParseBlock(footer.index, /*verify_checksum=*/true));
  if (image_ != nullptr) KILN_RETURN_IF_ERROR(IndexImageBlocks());
  return absl::OkStatus();
}

absl::Status TableReader::LoadRangeTombstones(const BlockHandle& handle) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Block> block,
                        ReadAndParseBlock(handle, /*verify_checksum=*/true));
  const std::string origin = block->origin();
  BlockIterator it(std::move(block), BlockKeyOrder::kInternal);
  // Bounded by the block's entries, and the count by kMaxRangeTombstonesPerTable.
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ParsedInternalKey parsed;
    const std::string_view end = it.value();
    if (!ParseInternalKey(it.key(), parsed) || parsed.type != ValueType::kRangeDeletion ||
        parsed.user_key >= end || parsed.user_key.size() > kMaxTableUserKeyBytes ||
        end.size() > kMaxTableUserKeyBytes ||
        range_tombstones_.size() >= kMaxRangeTombstonesPerTable) {
      return Corruption(origin + ": bad range tombstone " + DebugInternalKey(it.key()));
    }
    range_tombstones_.push_back({.begin = std::string(parsed.user_key),
                                 .end = std::string(end),
                                 .sequence = parsed.sequence});
  }
  return it.status();
}

bool TableReader::KeyMayMatch(std::string_view user_key) const {
  return !filter_.has_value() || filter_->KeyMayMatch(user_key);
}

bool TableReader::PrefixMayMatch(std::string_view prefix) const {
  return !filter_.has_value() || filter_->PrefixMayMatch(prefix);
}

absl::StatusOr<std::optional<TableGetResult>> TableReader::Get(std::string_view user_key,
                                                               SequenceNumber snapshot,
                                                               const TableReadOptions& read) {
  KILN_ASSERT(snapshot <= kMaxSequenceNumber);
  if (!KeyMayMatch(user_key)) return std::nullopt;
  TableIterator it(*this, read);
  it.Seek(MakeInternalKey(user_key, snapshot, kValueTypeForSeek));
  if (!it.Valid()) {
    KILN_RETURN_IF_ERROR(it.status());
    return std::nullopt;
  }
  ParsedInternalKey parsed;
  // The iterator only stops on well-formed point entries.
  KILN_ASSERT(ParseInternalKey(it.key(), parsed));
  if (parsed.user_key != user_key) return std::nullopt;
  return TableGetResult{
      .sequence = parsed.sequence, .type = parsed.type, .value = std::string(it.value())};
}

std::unique_ptr<InternalIterator> TableReader::NewIterator(const TableReadOptions& read) {
  return std::make_unique<TableIterator>(*this, read);
}

}  // namespace kiln
