// An atomic group of writes, possibly across buckets: after Db::Write
// returns, and after any crash, either every entry is visible or none is.
// Entries apply in the order added; all share one commit sequence.
// Format (also the WAL payload): engine/docs/write_batch_format.md.
#ifndef KILN_WRITE_BATCH_H_
#define KILN_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kiln {

class Bucket;

class WriteBatch {
 public:
  WriteBatch();

  // bucket == nullptr: the default bucket. Limits (options.h) are checked
  // here: an entry over a limit is InvalidArgument and the batch is unchanged.
  [[nodiscard]] absl::Status Put(std::string_view key, std::string_view value,
                                 const Bucket* bucket = nullptr);
  [[nodiscard]] absl::Status Delete(std::string_view key, const Bucket* bucket = nullptr);
  // Deletes every key in [begin, end). REQUIRES begin < end (else InvalidArgument).
  [[nodiscard]] absl::Status DeleteRange(std::string_view begin, std::string_view end,
                                         const Bucket* bucket = nullptr);
  void Clear();

  size_t count() const { return count_; }
  size_t size_bytes() const { return rep_.size(); }
  bool empty() const { return count_ == 0; }

  // The encoded entries (without sequence); see the format doc.
  std::string_view rep() const { return rep_; }

 private:
  absl::Status Add(uint8_t type, uint32_t bucket_id, std::string_view key,
                   std::string_view value);

  std::string rep_;
  size_t count_ = 0;
};

}  // namespace kiln

#endif  // KILN_WRITE_BATCH_H_
