// Target `block`: one block's contents (engine/docs/table_format.md, "Block
// contents"), parsed and iterated; optionally first read through ReadBlock
// with a correct trailer, which decodes lz4.
//
// Input: flags byte, a length-prefixed seek-target seed, then the bytes.
//   bit 0  internal-key order (else bytewise)
//   bit 1  the bytes are a block's stored form: read them with ReadBlock
//   bit 2  (with bit 1) compression type 1 (lz4), else 0
//
// Contract: Parse and every iterator move give data or Corruption, never a
// read out of bounds; walking forward and backward agree when both succeed;
// and in a block whose keys are sorted, seeking any key finds it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/iterator_checks.h"
#include "fuzz/string_file.h"
#include "table/block.h"
#include "table/block_io.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace kiln::fuzz {
namespace {

constexpr size_t kMaxSeedBytes = 64;
constexpr size_t kMaxSeeksChecked = 32;

// The stored bytes with a trailer of the given type and a matching checksum.
std::string WithTrailer(std::string_view stored, uint8_t type) {
  std::string sealed(stored);
  sealed.push_back(static_cast<char>(type));
  PutFixed64(sealed, Checksum64(sealed));
  return sealed;
}

void Run(std::string_view bytes) {
  FuzzInput input(bytes);
  const uint8_t flags = input.Byte();
  const BlockKeyOrder order = (flags & 1) ? BlockKeyOrder::kInternal : BlockKeyOrder::kBytewise;
  const size_t min_key_bytes = order == BlockKeyOrder::kInternal ? kInternalKeyTrailerBytes : 0;
  const std::string seed(input.LengthPrefixed(kMaxSeedBytes));
  std::string contents(input.Rest());

  if (flags & 2) {
    const std::string file_bytes = WithTrailer(contents, (flags & 4) ? 1 : 0);
    StringFile file(file_bytes);
    const BlockHandle handle{.offset = 0, .size_bytes = contents.size()};
    absl::StatusOr<std::string> read =
        ReadBlock(file, handle, {.path = "/db/000009.sst", .limit_offset = file_bytes.size()});
    CheckParseStatus(read.status(), "ReadBlock");
    if (!read.ok()) return;
    KILN_FUZZ_CHECK(read->size() <= kMaxBlockBytes, "decoded block over the bound");
    contents = *std::move(read);
  }

  absl::StatusOr<std::shared_ptr<const Block>> block = Block::Parse(contents, "fuzz block");
  CheckParseStatus(block.status(), "Block::Parse");
  if (!block.ok()) return;

  BlockIterator it(*block, order);
  const Walk forward = WalkForward(it, min_key_bytes);
  const Walk backward = WalkBackward(it, min_key_bytes);
  CheckWalksAgree(forward, backward, "block");

  // Seeks to keys that are not in the block, made from the seed, must not
  // misbehave whatever the block holds.
  const std::string target =
      order == BlockKeyOrder::kInternal ? MakeInternalKey(seed, seed.size(), ValueType::kValue)
                                        : seed;
  it.Seek(target);
  CheckPosition(it, min_key_bytes, "Seek(seed)");
  it.SeekForPrev(target);
  CheckPosition(it, min_key_bytes, "SeekForPrev(seed)");
  if (it.Valid()) {
    it.Next();
    CheckPosition(it, min_key_bytes, "Next after SeekForPrev");
  }
  if (it.Valid()) {
    it.Prev();
    CheckPosition(it, min_key_bytes, "Prev after Next");
  }

  if (!forward.status.ok() || !backward.status.ok() || !StrictlyIncreasing(forward.keys, order)) {
    return;
  }
  // A sorted block both walks read whole: Seek and SeekForPrev find every key.
  const size_t step = forward.keys.size() / kMaxSeeksChecked + 1;
  for (size_t i = 0; i < forward.keys.size(); i += step) {
    const std::string& key = forward.keys[i];
    if (order == BlockKeyOrder::kInternal) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(key, parsed)) continue;  // Seek wants a well-formed target
    }
    it.Seek(key);
    KILN_FUZZ_CHECK(it.Valid() && it.key() == key, "Seek misses a key of a sorted block");
    KILN_FUZZ_CHECK(it.value() == forward.values[i], "Seek finds another value");
    it.SeekForPrev(key);
    KILN_FUZZ_CHECK(it.Valid() && it.key() == key, "SeekForPrev misses a key of a sorted block");
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
