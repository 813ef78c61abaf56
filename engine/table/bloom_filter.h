// A full-table bloom filter over user keys (engine/docs/table_format.md), and
// optionally over their fixed-length prefixes so a prefix scan can skip a
// table that holds no key with that prefix.
//
// Each key is hashed once (XXH3, 64 bits); probe i sets bit
// (low32 + i * high32) mod num_bits (double hashing). Prefixes are hashed with
// a different seed so a prefix and an equal whole key do not alias.
#ifndef KILN_TABLE_BLOOM_FILTER_H_
#define KILN_TABLE_BLOOM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kiln {

inline constexpr int kMaxBloomBitsPerKey = 64;
inline constexpr int kMaxBloomProbes = 30;
// Beyond this the filter stops growing and its false-positive rate rises;
// it never gives false negatives.
inline constexpr size_t kMaxBloomFilterBytes = size_t{32} << 20;
inline constexpr size_t kMaxPrefixLengthBytes = 1024;
// Bits, prefix length (fixed32), probe count (1).
inline constexpr size_t kBloomFilterTrailerBytes = 4 + 1;

struct BloomFilterOptions {
  int bits_per_key = 10;
  // 0: whole keys only. Otherwise the first prefix_length_bytes of every key
  // at least that long are added too.
  size_t prefix_length_bytes = 0;
};

// Thread-safety: not thread-safe.
class BloomFilterBuilder {
 public:
  // REQUIRES: 1 <= bits_per_key <= kMaxBloomBitsPerKey;
  // prefix_length_bytes <= kMaxPrefixLengthBytes.
  explicit BloomFilterBuilder(const BloomFilterOptions& options);

  // Keys arrive in sorted order (so repeats, e.g. many versions of one user
  // key, are adjacent and counted once).
  void AddKey(std::string_view user_key);
  // The filter block's contents. REQUIRES: called once.
  std::string Finish();

 private:
  void AddHash(uint64_t hash);

  BloomFilterOptions options_;
  std::vector<uint64_t> hashes_;
  std::string last_key_;
  std::string last_prefix_;
  bool has_last_key_ = false;
  bool has_last_prefix_ = false;
  bool finished_ = false;
};

// Thread-safety: immutable; safe to query concurrently.
class BloomFilter {
 public:
  // Corruption "<origin>: ..." if contents are malformed.
  [[nodiscard]] static absl::StatusOr<BloomFilter> Parse(std::string contents,
                                                         std::string_view origin);

  // False only if user_key was certainly never added.
  bool KeyMayMatch(std::string_view user_key) const;
  // False only if no added key starts with prefix. Prefixes shorter than the
  // filter's prefix length cannot be answered (true); longer ones are checked
  // by their first prefix_length_bytes().
  bool PrefixMayMatch(std::string_view prefix) const;
  size_t prefix_length_bytes() const { return prefix_length_bytes_; }

 private:
  BloomFilter(std::string contents, size_t prefix_length_bytes, int num_probes);
  bool HashMayMatch(uint64_t hash) const;

  std::string contents_;  // bits then the trailer
  size_t prefix_length_bytes_;
  int num_probes_;
  uint64_t num_bits_;
};

}  // namespace kiln

#endif  // KILN_TABLE_BLOOM_FILTER_H_
