#include "table/compression.h"

#include <lz4.h>

#include "kiln/status.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

static_assert(kMaxBlockBytes <= LZ4_MAX_INPUT_SIZE);

absl::Status Lz4Error(std::string_view origin, std::string_view what) {
  return Corruption(std::string(origin) + ": lz4: " + std::string(what));
}

}  // namespace

CompressedBlock CompressBlock(std::string_view raw, CompressionType desired) {
  KILN_ASSERT(raw.size() <= kMaxBlockBytes);
  CompressedBlock block;
  if (desired == CompressionType::kLz4) {
    const int raw_size = static_cast<int>(raw.size());
    std::string stored;
    PutVarint32(stored, static_cast<uint32_t>(raw.size()));
    const size_t header_bytes = stored.size();
    const int bound = LZ4_compressBound(raw_size);
    KILN_ASSERT(bound > 0);
    stored.resize(header_bytes + static_cast<size_t>(bound));
    const int compressed_size =
        LZ4_compress_default(raw.data(), stored.data() + header_bytes, raw_size, bound);
    KILN_ASSERT(compressed_size > 0);
    stored.resize(header_bytes + static_cast<size_t>(compressed_size));
    const bool worth_it = stored.size() <= raw.size() - raw.size() / kMinCompressionSavingsRatio;
    KILN_PROBE(!worth_it, "lz4 saved too little; block stored uncompressed");
    if (worth_it) {
      block.type = CompressionType::kLz4;
      block.stored = std::move(stored);
      return block;
    }
  }
  block.stored.assign(raw);
  return block;
}

absl::StatusOr<std::string> DecompressBlock(std::string stored, CompressionType type,
                                            std::string_view origin) {
  switch (type) {
    case CompressionType::kNone:
      return stored;
    case CompressionType::kLz4: {
      if (stored.size() > kMaxBlockBytes) return Lz4Error(origin, "block too large");
      std::string_view input = stored;
      uint32_t raw_size = 0;
      if (!GetVarint32(input, raw_size)) return Lz4Error(origin, "malformed size header");
      if (raw_size > kMaxBlockBytes || raw_size > input.size() * kMaxLz4ExpansionRatio + 16) {
        return Lz4Error(origin, "implausible decoded size " + std::to_string(raw_size));
      }
      std::string raw(raw_size, '\0');
      const int decoded = LZ4_decompress_safe(
          input.data(), raw.data(), static_cast<int>(input.size()), static_cast<int>(raw_size));
      if (decoded < 0 || static_cast<uint32_t>(decoded) != raw_size) {
        return Lz4Error(origin, "malformed compressed data");
      }
      return raw;
    }
  }
  return Corruption(std::string(origin) + ": unknown compression type " +
                    std::to_string(static_cast<int>(type)));
}

}  // namespace kiln
