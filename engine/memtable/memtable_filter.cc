#include "memtable/memtable_filter.h"

#include "util/assert.h"
#include "xxhash.h"

namespace kiln {
namespace {

// The block's bits come from a remix of the hash, so they do not repeat the
// bits that chose the block.
constexpr uint64_t kRemix = 0x9E3779B97F4A7C15;
constexpr int kBitsPerProbe = 9;  // 512 bits a block
static_assert(MemTableFilter::kBlockBytes * 8 == 1 << kBitsPerProbe);
static_assert(MemTableFilter::kProbes * kBitsPerProbe <= 64);

}  // namespace

uint64_t MemTableFilter::Hash(std::string_view user_key) {
  return XXH3_64bits(user_key.data(), user_key.size());
}

MemTableFilter::MemTableFilter(size_t bytes)
    : num_blocks_(bytes / kBlockBytes),
      words_(std::make_unique<std::atomic<uint64_t>[]>(num_blocks_ * kWordsPerBlock)) {
  KILN_ASSERT(num_blocks_ >= 1);
}

size_t MemTableFilter::BlockStart(uint64_t hash) const {
  // Fast range: the low 32 bits scaled to [0, num_blocks_).
  const uint64_t block = ((hash & 0xFFFFFFFF) * static_cast<uint64_t>(num_blocks_)) >> 32;
  KILN_DASSERT(block < num_blocks_);
  return static_cast<size_t>(block) * kWordsPerBlock;
}

void MemTableFilter::Add(uint64_t hash) {
  std::atomic<uint64_t>* const block = &words_[BlockStart(hash)];
  // One plain load and store a probe: there is one writer, so nothing needs
  // an atomic read-modify-write (a locked fetch_or a probe cost 3% of a
  // random Put); readers only load. Probes into one word forward from the
  // store before, in the store buffer.
  uint64_t bits = hash * kRemix;
  for (int probe = 0; probe < kProbes; ++probe, bits >>= kBitsPerProbe) {
    const uint32_t bit = static_cast<uint32_t>(bits & ((1u << kBitsPerProbe) - 1));
    std::atomic<uint64_t>& target = block[bit / 64];
    target.store(target.load(std::memory_order_relaxed) | uint64_t{1} << (bit % 64),
                 std::memory_order_relaxed);
  }
}

void MemTableFilter::Prefetch(uint64_t hash) const {
  __builtin_prefetch(&words_[BlockStart(hash)], /*rw=*/1);
}

bool MemTableFilter::MayContain(uint64_t hash) const {
  const size_t start = BlockStart(hash);
  uint64_t bits = hash * kRemix;
  for (int probe = 0; probe < kProbes; ++probe, bits >>= kBitsPerProbe) {
    const uint32_t bit = static_cast<uint32_t>(bits & ((1u << kBitsPerProbe) - 1));
    const uint64_t word = words_[start + bit / 64].load(std::memory_order_relaxed);
    if ((word >> (bit % 64) & 1) == 0) return false;
  }
  return true;
}

}  // namespace kiln
