#include "kiln/write_batch.h"

#include "db/dbformat.h"
#include "db/write_batch_codec.h"
#include "kiln/db.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {

WriteBatch::WriteBatch() = default;

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
}

absl::Status WriteBatch::Add(uint8_t type, uint32_t bucket_id, std::string_view key,
                             std::string_view value) {
  KILN_RETURN_IF_ERROR(CheckBatchEntry(static_cast<ValueType>(type), key, value));
  if (count_ + 1 > kMaxBatchEntries) {
    return absl::InvalidArgumentError("batch exceeds kMaxBatchEntries");
  }
  const size_t entry_bytes = 1 + kMaxVarint32Bytes * 3 + key.size() + value.size();
  if (rep_.size() + entry_bytes > kMaxBatchBytes) {
    return absl::InvalidArgumentError("batch exceeds kMaxBatchBytes");
  }
  AppendBatchEntry(rep_, static_cast<ValueType>(type), bucket_id, key, value);
  ++count_;
  return absl::OkStatus();
}

absl::Status WriteBatch::Put(std::string_view key, std::string_view value, const Bucket* bucket) {
  return Add(static_cast<uint8_t>(ValueType::kValue), bucket == nullptr ? 0 : bucket->id(), key,
             value);
}

absl::Status WriteBatch::Delete(std::string_view key, const Bucket* bucket) {
  return Add(static_cast<uint8_t>(ValueType::kDeletion), bucket == nullptr ? 0 : bucket->id(), key,
             {});
}

absl::Status WriteBatch::DeleteRange(std::string_view begin, std::string_view end,
                                     const Bucket* bucket) {
  return Add(static_cast<uint8_t>(ValueType::kRangeDeletion), bucket == nullptr ? 0 : bucket->id(),
             begin, end);
}

}  // namespace kiln
