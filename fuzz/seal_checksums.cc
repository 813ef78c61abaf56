#include "fuzz/seal_checksums.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "table/block.h"
#include "table/compression.h"
#include "table/format.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"

namespace kiln::fuzz {
namespace {

// Whether the handle's block and trailer lie before limit (the footer).
bool HandleFits(const BlockHandle& handle, uint64_t limit) {
  return handle.size_bytes <= kMaxBlockBytes && handle.offset <= limit &&
         limit - handle.offset >= handle.size_bytes + kBlockTrailerBytes;
}

// Rewrites the trailer checksum of the block at handle. REQUIRES: HandleFits.
void SealBlock(std::string& table, const BlockHandle& handle) {
  const size_t covered = static_cast<size_t>(handle.size_bytes) + 1;  // stored bytes + type
  const uint64_t checksum =
      Checksum64(std::string_view(table.data() + handle.offset, covered));
  EncodeFixed64(table.data() + handle.offset + covered, checksum);
}

// The block's decoded contents parsed, or nullopt if it does not decode.
std::shared_ptr<const Block> ParseBlock(const std::string& table, const BlockHandle& handle) {
  const size_t stored_bytes = static_cast<size_t>(handle.size_bytes);
  const uint8_t type = static_cast<uint8_t>(table[handle.offset + stored_bytes]);
  if (type > kMaxCompressionType) return nullptr;
  absl::StatusOr<std::string> contents =
      DecompressBlock(table.substr(handle.offset, stored_bytes),
                      static_cast<CompressionType>(type), "seal");
  if (!contents.ok()) return nullptr;
  absl::StatusOr<std::shared_ptr<const Block>> block = Block::Parse(*std::move(contents), "seal");
  if (!block.ok()) return nullptr;
  return *std::move(block);
}

// The handles stored as values of block's entries, up to the global bound.
void CollectHandles(std::shared_ptr<const Block> block, BlockKeyOrder order, uint64_t limit,
                    std::vector<BlockHandle>& handles) {
  if (block == nullptr) return;
  BlockIterator it(std::move(block), order);
  for (it.SeekToFirst(); it.Valid() && handles.size() < kMaxSealedBlocks; it.Next()) {
    std::string_view value = it.value();
    BlockHandle handle;
    if (DecodeBlockHandle(value, handle) && HandleFits(handle, limit)) handles.push_back(handle);
  }
}

}  // namespace

void SealLogChecksums(std::string& log) {
  if (log.size() < kWalFileHeaderBytes) return;
  EncodeFixed64(log.data() + kWalFileHeaderChecksumOffset,
                Checksum64(std::string_view(log.data(), kWalFileHeaderChecksumOffset)));
  // Every pass advances by at least a record header.
  size_t offset = kWalFileHeaderBytes;
  while (log.size() - offset >= kWalRecordHeaderBytes) {
    char* header = log.data() + offset;
    const uint32_t payload_length = DecodeFixed32(header + 4);
    const size_t room = log.size() - offset - kWalRecordHeaderBytes;
    const bool payload_fits = payload_length <= room;
    if (payload_fits) {
      EncodeFixed64(header + 8, Checksum64(std::string_view(header + kWalRecordHeaderBytes,
                                                            payload_length)));
    }
    EncodeFixed32(header, WalRecordHeaderChecksum(header));
    if (!payload_fits) return;
    offset += kWalRecordHeaderBytes + payload_length;
  }
}

void SealTableChecksums(std::string& table) {
  if (table.size() < kFooterBytes) return;
  const uint64_t footer_offset = table.size() - kFooterBytes;
  char* footer = table.data() + footer_offset;
  constexpr size_t kFooterChecksumOffset = kFooterHandleBytes + 4;
  std::string_view handles(footer, kFooterHandleBytes);
  BlockHandle metaindex;
  BlockHandle index;
  if (DecodeBlockHandle(handles, metaindex) && DecodeBlockHandle(handles, index)) {
    std::vector<BlockHandle> children;
    const bool metaindex_fits = HandleFits(metaindex, footer_offset);
    const bool index_fits = HandleFits(index, footer_offset);
    if (metaindex_fits) {
      SealBlock(table, metaindex);
      CollectHandles(ParseBlock(table, metaindex), BlockKeyOrder::kBytewise, footer_offset,
                     children);
    }
    if (index_fits) {
      SealBlock(table, index);
      CollectHandles(ParseBlock(table, index), BlockKeyOrder::kInternal, footer_offset, children);
    }
    for (const BlockHandle& child : children) SealBlock(table, child);
    // A child may overlap a parent: parents last, so they at least hold.
    if (index_fits) SealBlock(table, index);
    if (metaindex_fits) SealBlock(table, metaindex);
  }
  EncodeFixed64(footer + kFooterChecksumOffset,
                Checksum64(std::string_view(footer, kFooterChecksumOffset)));
}

}  // namespace kiln::fuzz
