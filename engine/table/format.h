// The on-disk layout of a sorted table (engine/docs/table_format.md): block
// handles, the block trailer, the fixed-size footer, and the bounds every
// reader enforces on untrusted bytes.
//
//   [data block 0] ... [data block n-1]
//   [filter block]          optional ("kiln.filter.bloom")
//   [range deletion block]  optional ("kiln.range_deletions")
//   [properties block]      ("kiln.properties")
//   [index block]           separator key -> data block handle
//   [metaindex block]       meta block name -> handle
//   [footer]                kFooterBytes
//
// Every block is followed by a trailer: 1 byte compression type and the XXH3
// of the stored bytes followed by that type byte.
#ifndef KILN_TABLE_FORMAT_H_
#define KILN_TABLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "util/coding.h"

namespace kiln {

inline constexpr uint32_t kTableFormatVersion = 1;
// On disk (little-endian) the bytes spell "kiln-sst"; never changes.
inline constexpr uint64_t kTableMagic = 0x7473732d6e6c696b;

// Bounds on everything a table holds. Writers assert them; readers reject
// bytes beyond them as Corruption, so no allocation exceeds kMaxBlockBytes.
inline constexpr size_t kMaxBlockBytes = size_t{64} << 20;  // decoded or stored
inline constexpr size_t kMaxTableUserKeyBytes = size_t{1} << 20;
inline constexpr size_t kMaxTableValueBytes = size_t{32} << 20;
inline constexpr int kMaxBlockRestartInterval = 1024;
inline constexpr uint64_t kMaxRangeTombstonesPerTable = uint64_t{1} << 24;
static_assert(kMaxTableUserKeyBytes + 8 + kMaxTableValueBytes + 3 * kMaxVarint32Bytes + 8 <
                  kMaxBlockBytes,
              "one largest entry plus a restart array must fit in a block");
static_assert(kMaxBlockBytes < (size_t{1} << 31), "block offsets are 32-bit and lz4 sizes int");

enum class CompressionType : uint8_t {
  kNone = 0,
  kLz4 = 1,
};
inline constexpr uint8_t kMaxCompressionType = 1;

// How a block's keys are ordered: data, index and range deletion blocks hold
// internal keys (db/dbformat.h); metaindex and properties blocks hold names.
enum class BlockKeyOrder : uint8_t {
  kBytewise,
  kInternal,
};

// Where a block's stored bytes lie; size_bytes excludes the trailer.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size_bytes = 0;
};
inline constexpr size_t kMaxBlockHandleBytes = 2 * kMaxVarint64Bytes;

// varint64 offset, varint64 size.
void EncodeBlockHandle(std::string& out, const BlockHandle& handle);
// Consumes a handle from the front of input; false if truncated or malformed.
[[nodiscard]] bool DecodeBlockHandle(std::string_view& input, BlockHandle& handle);

// compression type (1) + XXH3 of stored bytes ++ type byte (8).
inline constexpr size_t kBlockTrailerBytes = 1 + 8;

// metaindex handle, index handle, zero padding (kFooterHandleBytes in all),
// format version (4), XXH3 of the preceding bytes (8), magic (8).
inline constexpr size_t kFooterHandleBytes = 2 * kMaxBlockHandleBytes;
inline constexpr size_t kFooterBytes = kFooterHandleBytes + 4 + 8 + 8;
static_assert(kFooterBytes == 60, "the footer size is part of the format");

struct Footer {
  BlockHandle metaindex;
  BlockHandle index;
};

// Exactly kFooterBytes, with version kTableFormatVersion.
std::string EncodeFooter(const Footer& footer);
// Checks, in order: size, magic, version, checksum, handles, zero padding.
// Does not check the handles against the file size (the reader does).
// Errors are Corruption "<path>: footer at offset <footer_offset>: ...".
[[nodiscard]] absl::StatusOr<Footer> DecodeFooter(std::string_view bytes, std::string_view path,
                                                  uint64_t footer_offset);

// Meta block names (metaindex keys, bytewise sorted when written).
inline constexpr std::string_view kFilterBlockName = "kiln.filter.bloom";
inline constexpr std::string_view kPropertiesBlockName = "kiln.properties";
inline constexpr std::string_view kRangeDeletionBlockName = "kiln.range_deletions";

// "<path>: block at offset <offset>", the prefix of every block error.
std::string BlockOrigin(std::string_view path, uint64_t offset);

}  // namespace kiln

#endif  // KILN_TABLE_FORMAT_H_
