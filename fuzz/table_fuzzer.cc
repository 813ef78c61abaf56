// Target `table`: a whole sorted table (engine/docs/table_format.md) opened
// with TableReader, walked both ways, and read with Get.
//
// Input: flags byte, then the file's bytes.
//   bit 0  seal every checksum first (fuzz/seal_checksums.h)
//   bit 1  TableReaderOptions::verify_checksums
//   bit 2  a block cache (each block is then read twice: file, then cache)
//   bit 3  TableReadOptions::verify_checksums
//
// Contract: Open, every iterator move and every Get give data or
// Corruption. And when every checksum held without sealing, the table is
// what a writer wrote, so reads must be consistent: keys sorted, both walks
// equal, the properties' entry count right, every key found by Seek and Get.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache.h"
#include "db/dbformat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/iterator_checks.h"
#include "fuzz/seal_checksums.h"
#include "fuzz/string_file.h"
#include "kiln/env.h"
#include "table/table_reader.h"

namespace kiln::fuzz {
namespace {

constexpr size_t kCacheBytes = size_t{1} << 20;
constexpr size_t kMaxGetsChecked = 64;

void CheckGets(TableReader& table, const Walk& walk, bool consistent,
               const TableReadOptions& read) {
  const size_t step = walk.keys.size() / kMaxGetsChecked + 1;
  for (size_t i = 0; i < walk.keys.size(); i += step) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(walk.keys[i], parsed)) continue;
    const std::string user_key(parsed.user_key);
    const SequenceNumber snapshot = parsed.sequence;
    absl::StatusOr<std::optional<TableGetResult>> got = table.Get(user_key, snapshot, read);
    CheckParseStatus(got.status(), "TableReader::Get");
    static_cast<void>(table.PrefixMayMatch(user_key.substr(0, user_key.size() / 2)));
    if (!consistent) continue;
    KILN_FUZZ_CHECK(table.KeyMayMatch(user_key), "the filter denies a stored key");
    KILN_FUZZ_CHECK(got.ok() && got->has_value(), "Get misses a stored key");
    // At the entry's own sequence, the newest visible version is the entry.
    KILN_FUZZ_CHECK((*got)->sequence == parsed.sequence, "Get finds another version");
    KILN_FUZZ_CHECK((*got)->type == parsed.type, "Get finds another type");
    KILN_FUZZ_CHECK((*got)->value == walk.values[i], "Get finds another value");
  }
  // A key no table holds: an answer or an error, never a crash.
  const absl::StatusOr<std::optional<TableGetResult>> missing =
      table.Get("\xff\xff\xff-not-a-key", kMaxSequenceNumber, read);
  CheckParseStatus(missing.status(), "TableReader::Get(missing)");
}

void Run(std::string_view input) {
  if (input.empty()) return;
  const uint8_t flags = static_cast<uint8_t>(input[0]);
  std::string bytes(input.substr(1));
  const bool sealed = (flags & 1) != 0;
  if (sealed) SealTableChecksums(bytes);
  StringFile file(bytes);
  std::unique_ptr<Cache> cache;
  if (flags & 4) cache = NewShardedLruCache(*RealEnv().scheduler, kCacheBytes, /*shard_bits=*/1);
  absl::StatusOr<std::unique_ptr<TableReader>> table =
      TableReader::Open({.file = &file,
                         .path = "/db/000012.sst",
                         .file_size = bytes.size(),
                         .block_cache = cache.get(),
                         .cache_id = 1,
                         .verify_checksums = (flags & 2) != 0});
  CheckParseStatus(table.status(), "TableReader::Open");
  if (!table.ok()) return;
  TableReader& reader = **table;
  const TableReadOptions read{.verify_checksums = (flags & 8) != 0};

  std::unique_ptr<InternalIterator> it = reader.NewIterator(read);
  const Walk forward = WalkForward(*it, kInternalKeyTrailerBytes);
  const Walk backward = WalkBackward(*it, kInternalKeyTrailerBytes);
  CheckWalksAgree(forward, backward, "table");
  if (cache != nullptr) {
    // Now from the cache: the same entries.
    const Walk cached = WalkForward(*it, kInternalKeyTrailerBytes);
    if (forward.status.ok() && cached.status.ok()) {
      KILN_FUZZ_CHECK(cached.keys == forward.keys, "cached blocks read differently");
    }
  }

  // A real table (no sealing needed): everything must be consistent.
  const bool consistent = !sealed && forward.status.ok();
  if (consistent) {
    KILN_FUZZ_CHECK(backward.status.ok(), backward.status.ToString());
    KILN_FUZZ_CHECK(StrictlyIncreasing(forward.keys, BlockKeyOrder::kInternal),
                    "a checksummed table holds unsorted keys");
    KILN_FUZZ_CHECK(forward.keys.size() == reader.Properties().num_entries,
                    "walk and properties disagree on the entry count");
    for (const StoredRangeTombstone& tombstone : reader.RangeTombstones()) {
      KILN_FUZZ_CHECK(tombstone.begin < tombstone.end, "empty range tombstone");
    }
  }
  CheckGets(reader, forward, consistent, read);

  // Seeks between the stored keys.
  for (size_t i = 0; i < forward.keys.size() && i < kMaxGetsChecked; ++i) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(forward.keys[i], parsed)) continue;
    it->Seek(MakeInternalKey(parsed.user_key, kMaxSequenceNumber, kValueTypeForSeek));
    CheckPosition(*it, kInternalKeyTrailerBytes, "table Seek");
    if (consistent) {
      KILN_FUZZ_CHECK(it->Valid() && ExtractUserKey(it->key()) == parsed.user_key,
                      "Seek misses a stored user key");
    }
    if (!it->Valid()) continue;
    it->Prev();
    CheckPosition(*it, kInternalKeyTrailerBytes, "table Prev after Seek");
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
