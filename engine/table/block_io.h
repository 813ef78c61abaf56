// Writing and reading one block with its trailer (engine/docs/table_format.md).
// The checksum is computed right before the bytes are handed to the file and
// verified right after they are read, before anything parses them.
#ifndef KILN_TABLE_BLOCK_IO_H_
#define KILN_TABLE_BLOCK_IO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kiln/env.h"
#include "table/format.h"

namespace kiln {

// The on-disk form of a block whose decoded contents are raw: the stored
// (maybe compressed) bytes then the trailer. The handle's size_bytes is
// result.size() - kBlockTrailerBytes.
// REQUIRES: raw.size() <= kMaxBlockBytes.
std::string SealBlock(std::string_view raw, CompressionType desired);

struct ReadBlockOptions {
  // The table's path, for error messages.
  std::string_view path;
  // Blocks must end (trailer included) at or before this offset: the start
  // of the footer.
  uint64_t limit_offset = 0;
  bool verify_checksum = true;
};

// Reads up to size bytes at offset, fewer only if the file ends first.
// Retries short reads (which the fault model allows). May yield.
[[nodiscard]] absl::StatusOr<std::string> ReadFileBytes(File& file, uint64_t offset, size_t size);

// Reads the block at handle, verifies its checksum, and returns its decoded
// contents. Corruption "<path>: block at offset N: ..." if the handle is out
// of range, the file is short, the checksum or compression type is wrong, or
// the block does not decode. May yield.
[[nodiscard]] absl::StatusOr<std::string> ReadBlock(File& file, const BlockHandle& handle,
                                                    const ReadBlockOptions& options);

// A block's decoded contents taken from a file image: a view into the image
// when the block is stored raw, else decoded bytes of its own.
struct ImageBlock {
  std::string_view view;  // valid while the image is
  std::string owned;      // used when is_view is false
  bool is_view = false;
};

// As ReadBlock, from image, the whole file mapped (File::Map). Never yields.
[[nodiscard]] absl::StatusOr<ImageBlock> ReadBlockFromImage(std::string_view image,
                                                            const BlockHandle& handle,
                                                            const ReadBlockOptions& options);

}  // namespace kiln

#endif  // KILN_TABLE_BLOCK_IO_H_
