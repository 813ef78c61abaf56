#include "table/block_io.h"

#include <span>

#include "kiln/status.h"
#include "table/compression.h"
#include "util/assert.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/planted_bugs.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

absl::Status BlockError(std::string_view path, uint64_t offset, std::string_view what) {
  return Corruption(BlockOrigin(path, offset) + ": " + std::string(what));
}

// Reads exactly out.size() bytes at offset. Loops because a File may return
// fewer bytes than asked (short reads are in the fault model); every pass
// makes progress or ends the loop, so it runs at most out.size() times.
absl::StatusOr<size_t> ReadFully(File& file, uint64_t offset, std::span<char> out) {
  size_t filled = 0;
  while (filled < out.size()) {
    KILN_ASSIGN_OR_RETURN(const size_t n, file.Read(offset + filled, out.subspan(filled)));
    KILN_ASSERT(n <= out.size() - filled);
    if (n == 0) break;
    filled += n;
  }
  return filled;
}

}  // namespace

absl::StatusOr<std::string> ReadFileBytes(File& file, uint64_t offset, size_t size) {
  std::string bytes(size, '\0');
  KILN_ASSIGN_OR_RETURN(const size_t read_bytes,
                        ReadFully(file, offset, std::span<char>(bytes.data(), bytes.size())));
  bytes.resize(read_bytes);
  return bytes;
}

std::string SealBlock(std::string_view raw, CompressionType desired) {
  CompressedBlock block = CompressBlock(raw, desired);
  std::string sealed = std::move(block.stored);
  sealed.push_back(static_cast<char>(block.type));
  // The checksum covers the type byte too, so a flipped type cannot make a
  // reader decode stored bytes the wrong way.
  PutFixed64(sealed, Checksum64(sealed));
  return sealed;
}

namespace {

absl::Status CheckHandle(const BlockHandle& handle, const ReadBlockOptions& options) {
  const uint64_t offset = handle.offset;
  if (handle.size_bytes > kMaxBlockBytes || offset > options.limit_offset ||
      options.limit_offset - offset < handle.size_bytes + kBlockTrailerBytes) {
    return BlockError(options.path, offset,
                      "handle (size " + std::to_string(handle.size_bytes) +
                          ") out of range (limit " + std::to_string(options.limit_offset) + ")");
  }
  return absl::OkStatus();
}

// Checks a sealed block (stored bytes then trailer) and returns its
// compression type.
absl::StatusOr<CompressionType> CheckSealed(std::string_view sealed, uint64_t offset,
                                            const ReadBlockOptions& options) {
  KILN_ASSERT(sealed.size() >= kBlockTrailerBytes);
  const size_t stored_bytes = sealed.size() - kBlockTrailerBytes;
  const uint8_t type = static_cast<uint8_t>(sealed[stored_bytes]);
  if (options.verify_checksum) {
    const uint64_t expected = DecodeFixed64(sealed.data() + stored_bytes + 1);
    if (Checksum64(sealed.substr(0, stored_bytes + 1)) != expected) {
      if constexpr (KILN_PLANTED_BUG(block_checksum_unchecked)) {
        // PLANTED BUG block_checksum_unchecked: the mismatch is ignored and
        // the damaged bytes are parsed as the block.
      } else {
        return BlockError(options.path, offset, "checksum mismatch");
      }
    }
  }
  if (type > kMaxCompressionType) {
    return BlockError(options.path, offset,
                      "unknown compression type " + std::to_string(static_cast<int>(type)));
  }
  return static_cast<CompressionType>(type);
}

}  // namespace

absl::StatusOr<std::string> ReadBlock(File& file, const BlockHandle& handle,
                                      const ReadBlockOptions& options) {
  KILN_RETURN_IF_ERROR(CheckHandle(handle, options));
  const uint64_t offset = handle.offset;
  const size_t stored_bytes = static_cast<size_t>(handle.size_bytes);
  std::string buffer(stored_bytes + kBlockTrailerBytes, '\0');
  KILN_ASSIGN_OR_RETURN(const size_t read_bytes,
                        ReadFully(file, offset, std::span<char>(buffer.data(), buffer.size())));
  if (read_bytes != buffer.size()) {
    return BlockError(options.path, offset,
                      "truncated: read " + std::to_string(read_bytes) + " of " +
                          std::to_string(buffer.size()) + " bytes");
  }
  KILN_ASSIGN_OR_RETURN(const CompressionType type, CheckSealed(buffer, offset, options));
  buffer.resize(stored_bytes);
  // Most blocks are stored raw: no decoder, and no origin string to build.
  if (type == CompressionType::kNone) return buffer;
  return DecompressBlock(std::move(buffer), type, BlockOrigin(options.path, offset));
}

absl::StatusOr<ImageBlock> ReadBlockFromImage(std::string_view image, const BlockHandle& handle,
                                              const ReadBlockOptions& options) {
  KILN_RETURN_IF_ERROR(CheckHandle(handle, options));
  const uint64_t offset = handle.offset;
  const size_t sealed_bytes = static_cast<size_t>(handle.size_bytes) + kBlockTrailerBytes;
  if (offset > image.size() || image.size() - offset < sealed_bytes) {
    return BlockError(options.path, offset,
                      "truncated: the file image has " + std::to_string(image.size()) + " bytes");
  }
  const std::string_view sealed = image.substr(static_cast<size_t>(offset), sealed_bytes);
  KILN_ASSIGN_OR_RETURN(const CompressionType type, CheckSealed(sealed, offset, options));
  const std::string_view stored = sealed.substr(0, sealed_bytes - kBlockTrailerBytes);
  ImageBlock block;
  if (type == CompressionType::kNone) {
    block.view = stored;
    block.is_view = true;
    return block;
  }
  KILN_ASSIGN_OR_RETURN(block.owned,
                        DecompressBlock(std::string(stored), type, BlockOrigin(options.path, offset)));
  return block;
}

}  // namespace kiln
