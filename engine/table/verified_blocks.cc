#include "table/verified_blocks.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "util/assert.h"

namespace kiln {

VerifiedBlocks::VerifiedBlocks(std::vector<BlockHandle> handles)
    : handles_(std::move(handles)),
      bits_(std::make_unique<std::atomic<uint64_t>[]>((handles_.size() + kBitsPerWord - 1) /
                                                      kBitsPerWord)) {
  for (size_t i = 1; i < handles_.size(); ++i) {
    KILN_ASSERT(handles_[i - 1].offset < handles_[i].offset);
  }
}

std::optional<size_t> VerifiedBlocks::Ordinal(const BlockHandle& handle) const {
  const auto it = std::lower_bound(
      handles_.begin(), handles_.end(), handle.offset,
      [](const BlockHandle& entry, uint64_t offset) { return entry.offset < offset; });
  if (it == handles_.end() || it->offset != handle.offset ||
      it->size_bytes != handle.size_bytes) {
    return std::nullopt;
  }
  return static_cast<size_t>(it - handles_.begin());
}

bool VerifiedBlocks::Contains(const BlockHandle& handle) const {
  const std::optional<size_t> ordinal = Ordinal(handle);
  if (!ordinal.has_value()) return false;
  const uint64_t word = bits_[*ordinal / kBitsPerWord].load(std::memory_order_acquire);
  return (word >> (*ordinal % kBitsPerWord) & 1) != 0;
}

void VerifiedBlocks::Add(const BlockHandle& handle) {
  const std::optional<size_t> ordinal = Ordinal(handle);
  if (!ordinal.has_value()) return;
  bits_[*ordinal / kBitsPerWord].fetch_or(uint64_t{1} << (*ordinal % kBitsPerWord),
                                          std::memory_order_release);
}

size_t VerifiedBlocks::verified_count() const {
  size_t count = 0;
  for (size_t word = 0; word < (handles_.size() + kBitsPerWord - 1) / kBitsPerWord; ++word) {
    count += static_cast<size_t>(std::popcount(bits_[word].load(std::memory_order_acquire)));
  }
  return count;
}

}  // namespace kiln
