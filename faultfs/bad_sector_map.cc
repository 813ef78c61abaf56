#include "faultfs/bad_sector_map.h"

#include <algorithm>

#include "util/assert.h"

namespace kiln::faultfs {
namespace {

// offset + length, saturating: offsets near 2^64 must not wrap to small ones.
uint64_t EndOf(uint64_t offset, uint64_t length) {
  return length > UINT64_MAX - offset ? UINT64_MAX : offset + length;
}

}  // namespace

size_t BadSectorMap::Mark(uint64_t offset, uint64_t length, uint64_t sector_size_bytes,
                          std::string_view rule_name) {
  KILN_ASSERT(sector_size_bytes > 0);
  const uint64_t end = EndOf(offset, std::max<uint64_t>(length, 1));
  uint64_t sector = offset - offset % sector_size_bytes;
  size_t marked = 0;
  for (uint64_t i = 0; i < kMaxSectorsPerFault && sector < end; ++i) {
    if (sectors_.size() >= kMaxBadSectorsPerFile) break;
    auto [it, inserted] = sectors_.try_emplace(sector);
    if (inserted) {
      it->second = Entry{sector_size_bytes, std::string(rule_name)};
      ++marked;
    } else if (it->second.size_bytes < sector_size_bytes) {
      it->second = Entry{sector_size_bytes, std::string(rule_name)};
    }
    if (sector > UINT64_MAX - sector_size_bytes) break;
    sector += sector_size_bytes;
  }
  max_sector_size_bytes_ = std::max(max_sector_size_bytes_, sector_size_bytes);
  KILN_ASSERT(sectors_.size() <= kMaxBadSectorsPerFile);
  return marked;
}

std::optional<BadSectorMap::Sector> BadSectorMap::FirstOverlap(uint64_t offset,
                                                               uint64_t length) const {
  if (sectors_.empty() || length == 0) return std::nullopt;
  const uint64_t end = EndOf(offset, length);
  const uint64_t scan_from =
      offset >= max_sector_size_bytes_ ? offset - max_sector_size_bytes_ + 1 : 0;
  for (auto it = sectors_.lower_bound(scan_from); it != sectors_.end() && it->first < end; ++it) {
    if (EndOf(it->first, it->second.size_bytes) > offset) {
      return Sector{it->first, it->second.size_bytes, it->second.rule_name};
    }
  }
  return std::nullopt;
}

size_t BadSectorMap::Remap(uint64_t offset, uint64_t length) {
  const uint64_t end = EndOf(offset, length);
  size_t remapped = 0;
  for (auto it = sectors_.lower_bound(offset); it != sectors_.end() && it->first < end;) {
    if (EndOf(it->first, it->second.size_bytes) <= end) {
      it = sectors_.erase(it);
      ++remapped;
    } else {
      ++it;
    }
  }
  return remapped;
}

void BadSectorMap::Truncate(uint64_t size_bytes) {
  sectors_.erase(sectors_.lower_bound(size_bytes), sectors_.end());
}

}  // namespace kiln::faultfs
