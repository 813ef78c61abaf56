// Target `filter`: bloom filter blocks (engine/docs/table_format.md, "Filter
// block"), two ways.
//
// Input: a mode byte, then
//   mode bit 0 clear (parse): up to 16 length-prefixed queries, then the
//     filter block's bytes. Parse gives a filter or Corruption; queries on a
//     parsed filter never misbehave.
//   mode bit 0 set (build): bits per key [1, 64], prefix length [0, 8], then
//     up to 256 length-prefixed keys. The built filter parses, and never
//     denies an added key or the prefix of one (no false negatives).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_target.h"
#include "table/bloom_filter.h"

namespace kiln::fuzz {
namespace {

constexpr size_t kMaxQueries = 16;
constexpr size_t kMaxKeys = 256;
constexpr size_t kMaxKeyBytes = 64;
constexpr size_t kMaxFuzzPrefixBytes = 8;

void Parse(FuzzInput& input) {
  std::vector<std::string> queries;
  const size_t count = input.Range(0, kMaxQueries);
  for (size_t i = 0; i < count; ++i) queries.emplace_back(input.LengthPrefixed(kMaxKeyBytes));
  absl::StatusOr<BloomFilter> filter = BloomFilter::Parse(std::string(input.Rest()), "fuzz");
  CheckParseStatus(filter.status(), "BloomFilter::Parse");
  if (!filter.ok()) return;
  for (const std::string& query : queries) {
    static_cast<void>(filter->KeyMayMatch(query));
    static_cast<void>(filter->PrefixMayMatch(query));
  }
}

void Build(FuzzInput& input) {
  const BloomFilterOptions options{
      .bits_per_key = static_cast<int>(input.Range(1, kMaxBloomBitsPerKey)),
      .prefix_length_bytes = input.Range(0, kMaxFuzzPrefixBytes)};
  std::vector<std::string> keys;
  while (!input.empty() && keys.size() < kMaxKeys) {
    keys.emplace_back(input.LengthPrefixed(kMaxKeyBytes));
  }
  std::sort(keys.begin(), keys.end());  // the builder wants sorted keys
  BloomFilterBuilder builder(options);
  for (const std::string& key : keys) builder.AddKey(key);
  absl::StatusOr<BloomFilter> filter = BloomFilter::Parse(builder.Finish(), "fuzz");
  KILN_FUZZ_CHECK(filter.ok(), "a built filter does not parse: " + filter.status().ToString());
  KILN_FUZZ_CHECK(filter->prefix_length_bytes() == options.prefix_length_bytes, "prefix length");
  for (const std::string& key : keys) {
    KILN_FUZZ_CHECK(filter->KeyMayMatch(key), "false negative for a key");
    // Any prefix query longer than the prefix length is answered by its prefix.
    KILN_FUZZ_CHECK(filter->PrefixMayMatch(key), "false negative for a key as a prefix");
    if (key.size() >= options.prefix_length_bytes) {
      KILN_FUZZ_CHECK(filter->PrefixMayMatch(key.substr(0, options.prefix_length_bytes)),
                      "false negative for a prefix");
    }
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::FuzzInput input(data, size);
  if ((input.Byte() & 1) == 0) {
    kiln::fuzz::Parse(input);
  } else {
    kiln::fuzz::Build(input);
  }
  return 0;
}
