#include "table/bloom_filter.h"

#include <algorithm>
#include <utility>

#include "kiln/status.h"
#include "util/assert.h"
#include "util/coding.h"
#include "xxhash.h"

namespace kiln {
namespace {

// Part of the format: changing either changes every filter's bits.
constexpr uint64_t kKeyHashSeed = 0;
constexpr uint64_t kPrefixHashSeed = 0x70726566;  // "pref"
constexpr size_t kMinBloomFilterBits = 64;

uint64_t KeyHash(std::string_view user_key) {
  return XXH3_64bits_withSeed(user_key.data(), user_key.size(), kKeyHashSeed);
}

uint64_t PrefixHash(std::string_view prefix) {
  return XXH3_64bits_withSeed(prefix.data(), prefix.size(), kPrefixHashSeed);
}

// k = bits_per_key * ln 2 minimises the false-positive rate; integer math
// keeps it identical on every platform.
int ProbesFor(int bits_per_key) { return std::clamp(bits_per_key * 69 / 100, 1, kMaxBloomProbes); }

// Visits the num_probes bit positions of hash; the same sequence for writer
// and reader.
template <typename Visit>
bool ForEachProbe(uint64_t hash, int num_probes, uint64_t num_bits, Visit visit) {
  const uint64_t h1 = hash & 0xFFFFFFFF;
  const uint64_t h2 = hash >> 32;
  for (int i = 0; i < num_probes; ++i) {
    if (!visit((h1 + static_cast<uint64_t>(i) * h2) % num_bits)) return false;
  }
  return true;
}

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(const BloomFilterOptions& options) : options_(options) {
  KILN_ASSERT(options.bits_per_key >= 1);
  KILN_ASSERT(options.bits_per_key <= kMaxBloomBitsPerKey);
  KILN_ASSERT(options.prefix_length_bytes <= kMaxPrefixLengthBytes);
}

void BloomFilterBuilder::AddHash(uint64_t hash) { hashes_.push_back(hash); }

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  KILN_ASSERT(!finished_);
  if (!has_last_key_ || last_key_ != user_key) {
    AddHash(KeyHash(user_key));
    last_key_.assign(user_key);
    has_last_key_ = true;
  }
  const size_t prefix_length = options_.prefix_length_bytes;
  if (prefix_length == 0 || user_key.size() < prefix_length) return;
  const std::string_view prefix = user_key.substr(0, prefix_length);
  if (!has_last_prefix_ || last_prefix_ != prefix) {
    AddHash(PrefixHash(prefix));
    last_prefix_.assign(prefix);
    has_last_prefix_ = true;
  }
}

std::string BloomFilterBuilder::Finish() {
  KILN_ASSERT(!finished_);
  finished_ = true;
  const size_t wanted_bits =
      std::max(hashes_.size() * static_cast<size_t>(options_.bits_per_key), kMinBloomFilterBits);
  const size_t num_bytes = std::min((wanted_bits + 7) / 8, kMaxBloomFilterBytes);
  const uint64_t num_bits = uint64_t{num_bytes} * 8;
  const int num_probes = ProbesFor(options_.bits_per_key);
  std::string out(num_bytes, '\0');
  for (uint64_t hash : hashes_) {
    ForEachProbe(hash, num_probes, num_bits, [&](uint64_t bit) {
      out[bit / 8] = static_cast<char>(out[bit / 8] | (1 << (bit % 8)));
      return true;
    });
  }
  PutFixed32(out, static_cast<uint32_t>(options_.prefix_length_bytes));
  out.push_back(static_cast<char>(num_probes));
  return out;
}

absl::StatusOr<BloomFilter> BloomFilter::Parse(std::string contents, std::string_view origin) {
  const auto error = [&](std::string what) {
    return Corruption(std::string(origin) + ": bloom filter: " + what);
  };
  if (contents.size() <= kBloomFilterTrailerBytes ||
      contents.size() > kMaxBloomFilterBytes + kBloomFilterTrailerBytes) {
    return error("bad size " + std::to_string(contents.size()));
  }
  const size_t bits_bytes = contents.size() - kBloomFilterTrailerBytes;
  const uint32_t prefix_length = DecodeFixed32(contents.data() + bits_bytes);
  const int num_probes = static_cast<uint8_t>(contents.back());
  if (prefix_length > kMaxPrefixLengthBytes) {
    return error("bad prefix length " + std::to_string(prefix_length));
  }
  if (num_probes < 1 || num_probes > kMaxBloomProbes) {
    return error("bad probe count " + std::to_string(num_probes));
  }
  return BloomFilter(std::move(contents), prefix_length, num_probes);
}

BloomFilter::BloomFilter(std::string contents, size_t prefix_length_bytes, int num_probes)
    : contents_(std::move(contents)),
      prefix_length_bytes_(prefix_length_bytes),
      num_probes_(num_probes),
      num_bits_(uint64_t{contents_.size() - kBloomFilterTrailerBytes} * 8) {}

bool BloomFilter::HashMayMatch(uint64_t hash) const {
  return ForEachProbe(hash, num_probes_, num_bits_, [&](uint64_t bit) {
    return (static_cast<uint8_t>(contents_[bit / 8]) >> (bit % 8)) & 1;
  });
}

bool BloomFilter::KeyMayMatch(std::string_view user_key) const {
  return HashMayMatch(KeyHash(user_key));
}

bool BloomFilter::PrefixMayMatch(std::string_view prefix) const {
  if (prefix_length_bytes_ == 0 || prefix.size() < prefix_length_bytes_) return true;
  return HashMayMatch(PrefixHash(prefix.substr(0, prefix_length_bytes_)));
}

}  // namespace kiln
