// Block compression. An lz4 block is stored as varint32 decoded size followed
// by one raw lz4 block; a compressed form is kept only when it saves at least
// 1/kMinCompressionSavingsRatio of the bytes, else the block is stored as is.
#ifndef KILN_TABLE_COMPRESSION_H_
#define KILN_TABLE_COMPRESSION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "table/format.h"

namespace kiln {

// Compression must save >= 1/8 (12.5%) of a block to be worth its decode cost.
inline constexpr size_t kMinCompressionSavingsRatio = 8;
// lz4 expands at most ~255x; a claimed decoded size beyond this is corrupt,
// which bounds the allocation a hostile block can cause.
inline constexpr size_t kMaxLz4ExpansionRatio = 255;

struct CompressedBlock {
  CompressionType type = CompressionType::kNone;
  std::string stored;  // the bytes to write before the trailer
};

// REQUIRES: raw.size() <= kMaxBlockBytes.
CompressedBlock CompressBlock(std::string_view raw, CompressionType desired);

// Inverts CompressBlock. origin names the block in errors (BlockOrigin).
// Corruption on an unknown type or malformed lz4 data.
[[nodiscard]] absl::StatusOr<std::string> DecompressBlock(std::string stored, CompressionType type,
                                                          std::string_view origin);

}  // namespace kiln

#endif  // KILN_TABLE_COMPRESSION_H_
