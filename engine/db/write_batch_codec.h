// The WAL payload of one committed batch (engine/docs/write_batch_format.md):
//
//   fixed64 sequence | varint32 count | count entries (WriteBatch::rep())
//
// Entry i of the batch gets sequence + i, so later entries of one batch win
// over earlier ones (a DeleteRange after a Put of a covered key deletes it;
// a range tombstone at s never deletes a version at s). A snapshot is only
// ever taken at a batch boundary, so batches stay atomic to readers.
// CommitInfo::sequence is the batch's LAST sequence, sequence + count - 1.
// Decoding treats the bytes as untrusted: any malformation is Corruption.
#ifndef KILN_DB_WRITE_BATCH_CODEC_H_
#define KILN_DB_WRITE_BATCH_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/dbformat.h"
#include "kiln/write_batch.h"

namespace kiln {

std::string EncodeBatchPayload(const WriteBatch& batch, SequenceNumber sequence);

// InvalidArgument if one entry breaks a limit of options.h (key, value or
// range end size) or is an empty range deletion (type kRangeDeletion: key
// is the begin, value the end). Batch-wide limits are WriteBatch's.
// REQUIRES: type is kValue, kDeletion or kRangeDeletion.
[[nodiscard]] absl::Status CheckBatchEntry(ValueType type, std::string_view key,
                                           std::string_view value);
// Appends one entry in the batch format (WriteBatch::rep()); a deletion's
// value is not stored. REQUIRES: CheckBatchEntry(type, key, value) is OK.
void AppendBatchEntry(std::string& rep, ValueType type, uint32_t bucket_id, std::string_view key,
                      std::string_view value);
// What EncodeBatchPayload returns for a batch holding just this entry,
// without building the batch (Put, Delete and DeleteRange of the Db).
// REQUIRES: as AppendBatchEntry.
std::string EncodeSingleEntryPayload(ValueType type, uint32_t bucket_id, std::string_view key,
                                     std::string_view value, SequenceNumber sequence);

// Receives a decoded batch's entries in order.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // type is kValue (value set), kDeletion (value empty) or kRangeDeletion
  // (key = begin, value = end).
  // sequence: the entry's own sequence (the batch's first + its index).
  [[nodiscard]] virtual absl::Status Apply(SequenceNumber sequence, ValueType type,
                                           uint32_t bucket_id, std::string_view key,
                                           std::string_view value) = 0;
};

struct DecodedBatchHeader {
  SequenceNumber sequence = 0;  // of the first entry
  uint32_t count = 0;
};

// Decodes only payload's header (its entries are not looked at): Corruption
// under the same header checks as DecodeBatchPayload.
[[nodiscard]] absl::StatusOr<DecodedBatchHeader> DecodeBatchPayloadHeader(std::string_view payload);

// Decodes payload, calling handler per entry (stops at the first error the
// handler returns). Checks that the count matches and no bytes are left over.
[[nodiscard]] absl::StatusOr<DecodedBatchHeader> DecodeBatchPayload(std::string_view payload,
                                                                    BatchHandler& handler);

}  // namespace kiln

#endif  // KILN_DB_WRITE_BATCH_CODEC_H_
