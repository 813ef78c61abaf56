#include "table/table_builder.h"

#include <algorithm>
#include <utility>

#include "table/block_io.h"
#include "util/assert.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

// The index needs a key K with last <= K < next for the block ending at
// `last`; a short K keeps the index small. When the user keys differ at some
// byte that can be bumped without reaching next's byte, K is last's user key
// cut after that byte, bumped, with the trailer that sorts first for a user
// key; otherwise K is last itself.
std::string IndexSeparator(std::string_view last, std::string_view next) {
  const std::string_view last_user = ExtractUserKey(last);
  const std::string_view next_user = ExtractUserKey(next);
  const size_t limit = std::min(last_user.size(), next_user.size());
  size_t common = 0;
  while (common < limit && last_user[common] == next_user[common]) ++common;
  if (common < limit && common + 1 < last_user.size()) {
    const uint8_t last_byte = static_cast<uint8_t>(last_user[common]);
    const uint8_t next_byte = static_cast<uint8_t>(next_user[common]);
    if (last_byte + 1 < next_byte) {
      std::string separator(last_user.substr(0, common + 1));
      separator.back() = static_cast<char>(last_byte + 1);
      std::string key = MakeInternalKey(separator, kMaxSequenceNumber, kValueTypeForSeek);
      KILN_DASSERT(CompareInternalKeys(last, key) < 0);
      KILN_DASSERT(CompareInternalKeys(key, next) < 0);
      return key;
    }
  }
  return std::string(last);
}

std::string EncodedHandle(const BlockHandle& handle) {
  std::string out;
  EncodeBlockHandle(out, handle);
  return out;
}

}  // namespace

TableBuilder::TableBuilder(const TableBuilderOptions& options, File* file, std::string path)
    : options_(options),
      file_(file),
      path_(std::move(path)),
      data_block_(
          {.restart_interval = options.block_restart_interval, .order = BlockKeyOrder::kInternal}),
      index_block_({.restart_interval = 1, .order = BlockKeyOrder::kInternal}) {
  KILN_ASSERT(file_ != nullptr);
  KILN_ASSERT(options.block_size_bytes >= kMinTableBlockSizeBytes);
  KILN_ASSERT(options.block_size_bytes <= kMaxTableBlockSizeBytes);
  KILN_ASSERT(static_cast<uint8_t>(options.compression) <= kMaxCompressionType);
  KILN_ASSERT(options.bloom_bits_per_key >= 0);
  // Tiny blocks exercise multi-block paths (index seeks, block boundaries)
  // that small simulated workloads would otherwise never reach.
  if (KILN_BUGGIFY) options_.block_size_bytes = kMinTableBlockSizeBytes;
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(
        BloomFilterOptions{.bits_per_key = options_.bloom_bits_per_key,
                           .prefix_length_bytes = options_.prefix_length_bytes});
  }
  properties_.compression = options_.compression;
}

void TableBuilder::NoteSequence(SequenceNumber sequence) {
  if (!has_sequence_) {
    properties_.smallest_sequence = sequence;
    properties_.largest_sequence = sequence;
    has_sequence_ = true;
    return;
  }
  properties_.smallest_sequence = std::min(properties_.smallest_sequence, sequence);
  properties_.largest_sequence = std::max(properties_.largest_sequence, sequence);
}

void TableBuilder::NoteKey(std::string_view internal_key) {
  if (properties_.smallest_key.empty() ||
      CompareInternalKeys(internal_key, properties_.smallest_key) < 0) {
    properties_.smallest_key.assign(internal_key);
  }
  if (properties_.largest_key.empty() ||
      CompareInternalKeys(internal_key, properties_.largest_key) > 0) {
    properties_.largest_key.assign(internal_key);
  }
}

absl::Status TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  KILN_ASSERT(!finished_);
  ParsedInternalKey parsed;
  KILN_ASSERT(ParseInternalKey(internal_key, parsed));
  KILN_ASSERT(parsed.type != ValueType::kRangeDeletion);
  KILN_ASSERT(parsed.user_key.size() <= kMaxTableUserKeyBytes);
  KILN_ASSERT(value.size() <= kMaxTableValueBytes);
  KILN_ASSERT_MSG(properties_.num_entries == 0 || CompareInternalKeys(last_key_, internal_key) < 0,
                  "table keys must be added in strictly increasing internal-key order");
  if (!status_.ok()) return status_;

  if (pending_index_entry_) {
    KILN_ASSERT(data_block_.empty());
    index_block_.Add(IndexSeparator(last_key_, internal_key), EncodedHandle(pending_handle_));
    pending_index_entry_ = false;
  }
  if (filter_ != nullptr) filter_->AddKey(parsed.user_key);
  data_block_.Add(internal_key, value);
  last_key_.assign(internal_key);
  if (properties_.num_entries == 0) properties_.smallest_key.assign(internal_key);
  ++properties_.num_entries;
  if (parsed.type == ValueType::kDeletion) ++properties_.num_deletions;
  properties_.raw_key_bytes += internal_key.size();
  properties_.raw_value_bytes += value.size();
  NoteSequence(parsed.sequence);

  if (data_block_.EstimatedSizeBytes() >= options_.block_size_bytes) return FlushDataBlock();
  return absl::OkStatus();
}

void TableBuilder::AddRangeTombstone(std::string_view begin_user_key, std::string_view end_user_key,
                                     SequenceNumber sequence) {
  KILN_ASSERT(!finished_);
  KILN_ASSERT(begin_user_key < end_user_key);
  KILN_ASSERT(begin_user_key.size() <= kMaxTableUserKeyBytes);
  KILN_ASSERT(end_user_key.size() <= kMaxTableUserKeyBytes);
  KILN_ASSERT(sequence <= kMaxSequenceNumber);
  KILN_ASSERT(tombstones_.size() < kMaxRangeTombstonesPerTable);
  tombstones_.push_back(
      {.key = MakeInternalKey(begin_user_key, sequence, ValueType::kRangeDeletion),
       .end = std::string(end_user_key)});
}

absl::StatusOr<BlockHandle> TableBuilder::WriteBlock(std::string_view raw,
                                                     CompressionType compression) {
  if (!status_.ok()) return status_;
  const std::string sealed = SealBlock(raw, compression);
  const BlockHandle handle{.offset = offset_, .size_bytes = sealed.size() - kBlockTrailerBytes};
  KILN_RETURN_IF_ERROR(Write(sealed, /*final=*/false));
  return handle;
}

absl::Status TableBuilder::Write(std::string_view bytes, bool final) {
  if (!status_.ok()) return status_;
  KILN_ASSERT(write_buffer_.size() < kTableWriteBufferBytes);
  write_buffer_.append(bytes);
  offset_ += bytes.size();
  if (!final && write_buffer_.size() < kTableWriteBufferBytes) return absl::OkStatus();
  // Whole pages only (the file so far is whole pages, so each write starts
  // on a page boundary), unless this is the table's end.
  const size_t append_bytes =
      final ? write_buffer_.size()
            : write_buffer_.size() / kTableWritePageBytes * kTableWritePageBytes;
  status_ = file_->Append(std::string_view(write_buffer_).substr(0, append_bytes));
  write_buffer_.erase(0, append_bytes);
  KILN_ASSERT(write_buffer_.size() < kTableWriteBufferBytes);
  return status_;
}

absl::Status TableBuilder::FlushDataBlock() {
  if (data_block_.empty()) return status_;
  KILN_ASSERT(!pending_index_entry_);
  KILN_ASSIGN_OR_RETURN(pending_handle_, WriteBlock(data_block_.Finish(), options_.compression));
  data_block_.Reset();
  pending_index_entry_ = true;
  ++properties_.num_data_blocks;
  properties_.data_size_bytes += pending_handle_.size_bytes + kBlockTrailerBytes;
  return absl::OkStatus();
}

absl::StatusOr<BlockHandle> TableBuilder::WriteRangeTombstones() {
  // Sorted by key then end so equal keys are adjacent whatever the input order.
  std::sort(tombstones_.begin(), tombstones_.end(), [](const auto& a, const auto& b) {
    const int by_key = CompareInternalKeys(a.key, b.key);
    return by_key != 0 ? by_key < 0 : a.end < b.end;
  });
  BlockBuilder block(
      {.restart_interval = options_.block_restart_interval, .order = BlockKeyOrder::kInternal});
  const PendingTombstone* previous = nullptr;
  for (const PendingTombstone& tombstone : tombstones_) {
    if (previous != nullptr && previous->key == tombstone.key) {
      // One sequence number names one write, so one (begin, sequence) has one end.
      KILN_ASSERT_MSG(previous->end == tombstone.end,
                      "two range tombstones share a begin key and sequence");
      continue;
    }
    block.Add(tombstone.key, tombstone.end);
    ++properties_.num_range_deletions;
    NoteSequence(ExtractSequence(tombstone.key));
    NoteKey(tombstone.key);
    if (tombstone.end > properties_.largest_range_tombstone_end) {
      properties_.largest_range_tombstone_end = tombstone.end;
    }
    previous = &tombstone;
  }
  return WriteBlock(block.Finish(), CompressionType::kNone);
}

absl::StatusOr<uint64_t> TableBuilder::Finish() {
  KILN_ASSERT(!finished_);
  finished_ = true;
  // A failed write may have left the data block sealed but unwritten.
  if (!status_.ok()) return status_;
  KILN_RETURN_IF_ERROR(FlushDataBlock());
  if (pending_index_entry_) {
    index_block_.Add(last_key_, EncodedHandle(pending_handle_));
    pending_index_entry_ = false;
  }
  if (properties_.num_entries > 0) properties_.largest_key = last_key_;

  // Bounded: at most one entry per meta block kind.
  std::vector<std::pair<std::string_view, BlockHandle>> meta_blocks;
  if (filter_ != nullptr) {
    KILN_ASSIGN_OR_RETURN(const BlockHandle handle,
                          WriteBlock(filter_->Finish(), CompressionType::kNone));
    meta_blocks.emplace_back(kFilterBlockName, handle);
  }
  if (!tombstones_.empty()) {
    KILN_ASSIGN_OR_RETURN(const BlockHandle handle, WriteRangeTombstones());
    meta_blocks.emplace_back(kRangeDeletionBlockName, handle);
  }
  // Last of the meta blocks: it counts the tombstones.
  KILN_ASSIGN_OR_RETURN(const BlockHandle properties_handle,
                        WriteBlock(EncodeTableProperties(properties_), CompressionType::kNone));
  meta_blocks.emplace_back(kPropertiesBlockName, properties_handle);
  KILN_ASSIGN_OR_RETURN(const BlockHandle index_handle,
                        WriteBlock(index_block_.Finish(), options_.compression));

  std::sort(meta_blocks.begin(), meta_blocks.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  BlockBuilder metaindex({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
  for (const auto& [name, handle] : meta_blocks) metaindex.Add(name, EncodedHandle(handle));
  KILN_ASSIGN_OR_RETURN(const BlockHandle metaindex_handle,
                        WriteBlock(metaindex.Finish(), CompressionType::kNone));

  KILN_RETURN_IF_ERROR(Write(EncodeFooter({.metaindex = metaindex_handle, .index = index_handle}),
                             /*final=*/true));
  KILN_ASSERT(write_buffer_.empty());
  return offset_;
}

}  // namespace kiln
