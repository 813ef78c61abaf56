// Builds the decoded contents of one block (engine/docs/table_format.md):
// entries with keys prefix-compressed against the previous key, a full key at
// every restart point, then the restart array.
#ifndef KILN_TABLE_BLOCK_BUILDER_H_
#define KILN_TABLE_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/format.h"

namespace kiln {

struct BlockBuilderOptions {
  // Entries between full keys: 1 makes every key a restart (fast seeks,
  // no compression); larger trades seek work for space.
  int restart_interval = 16;
  BlockKeyOrder order = BlockKeyOrder::kInternal;
};

// Thread-safety: not thread-safe.
class BlockBuilder {
 public:
  // REQUIRES: 1 <= options.restart_interval <= kMaxBlockRestartInterval.
  explicit BlockBuilder(const BlockBuilderOptions& options);

  // REQUIRES: !finished; key sorts strictly after the previous key in the
  // block's order; the block stays within kMaxBlockBytes.
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array and returns the contents, valid until Reset().
  // REQUIRES: !finished.
  std::string_view Finish();
  // Empties the builder for the next block.
  void Reset();

  // The size Finish() would return now.
  size_t EstimatedSizeBytes() const;
  bool empty() const { return num_entries_ == 0; }
  size_t num_entries() const { return num_entries_; }

 private:
  BlockBuilderOptions options_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  std::string last_key_;
  size_t num_entries_ = 0;
  int entries_since_restart_ = 0;
  bool finished_ = false;
};

}  // namespace kiln

#endif  // KILN_TABLE_BLOCK_BUILDER_H_
