// The latent sector errors of one file. A disk sector goes bad silently; the
// next read that touches it fails, and so does every later one, until a write
// covers the whole sector (the disk remaps it to a spare). Truncating the file
// below a sector frees it.
//
// Sectors of different sizes may coexist (one per rule that marked them); a
// sector is identified by its start offset, and marking an offset twice keeps
// the larger size.
//
// Thread-safety: none; FaultFileSystem guards each map with its mutex.
#ifndef KILN_FAULTFS_BAD_SECTOR_MAP_H_
#define KILN_FAULTFS_BAD_SECTOR_MAP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::faultfs {

// One fault marks at most this many sectors, starting from the one under the
// read's first byte: enough to cover any read the engine issues at common
// sector sizes, and a bound on the work one huge read can cause.
inline constexpr uint64_t kMaxSectorsPerFault = 1024;
// A file holds at most this many bad sectors; later marks are dropped.
inline constexpr size_t kMaxBadSectorsPerFile = size_t{1} << 16;

class BadSectorMap {
 public:
  struct Sector {
    uint64_t offset = 0;
    uint64_t size_bytes = 0;
    std::string rule_name;  // the rule whose fault made it bad
  };

  // Marks the sectors (aligned to sector_size_bytes) overlapping
  // [offset, offset + length), or the one containing offset if length is 0.
  // Returns how many sectors are now bad that were not before.
  // REQUIRES: sector_size_bytes > 0.
  size_t Mark(uint64_t offset, uint64_t length, uint64_t sector_size_bytes,
              std::string_view rule_name);

  // The lowest bad sector overlapping [offset, offset + length), if any.
  std::optional<Sector> FirstOverlap(uint64_t offset, uint64_t length) const;

  // A write covered [offset, offset + length): forgets every sector wholly
  // inside it. Returns how many were forgotten.
  size_t Remap(uint64_t offset, uint64_t length);

  // The file was truncated to size_bytes: forgets sectors starting at or past it.
  void Truncate(uint64_t size_bytes);

  bool empty() const { return sectors_.empty(); }
  size_t size() const { return sectors_.size(); }

 private:
  struct Entry {
    uint64_t size_bytes = 0;
    std::string rule_name;
  };
  std::map<uint64_t, Entry> sectors_;  // by start offset
  // No sector is larger, so a sector starting this far before a range ends
  // before it: overlap scans start there.
  uint64_t max_sector_size_bytes_ = 0;
};

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_BAD_SECTOR_MAP_H_
