// Remembers which data blocks of a mapped table image passed their checksum,
// so later reads of the same block skip the hash (TableReader, map_file).
//
// The trust is the block cache's: a block checked once, when this process
// first read it, is trusted by every later read. What a mapped image adds
// is that the kernel may drop a page and read it from the device again
// without the process knowing; such a re-read is not checked again.
//
// Thread-safety: Contains and Add may run concurrently from any task.
#ifndef KILN_TABLE_VERIFIED_BLOCKS_H_
#define KILN_TABLE_VERIFIED_BLOCKS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "table/format.h"

namespace kiln {

class VerifiedBlocks {
 public:
  // handles: every data block of the table, in file order (its index).
  // REQUIRES: offsets strictly increasing (the caller checks the index).
  explicit VerifiedBlocks(std::vector<BlockHandle> handles);

  // Whether Add(handle) ran for this exact block (offset and size).
  bool Contains(const BlockHandle& handle) const;
  // Records that handle's block passed its checksum. A handle that is not
  // one of the table's blocks is not recorded.
  void Add(const BlockHandle& handle);

  size_t block_count() const { return handles_.size(); }
  // How many blocks Add recorded.
  size_t verified_count() const;

 private:
  static constexpr size_t kBitsPerWord = 64;
  // The position of handle among handles_, if it is one of them.
  std::optional<size_t> Ordinal(const BlockHandle& handle) const;

  const std::vector<BlockHandle> handles_;
  std::unique_ptr<std::atomic<uint64_t>[]> bits_;  // one bit per handle
};

}  // namespace kiln

#endif  // KILN_TABLE_VERIFIED_BLOCKS_H_
