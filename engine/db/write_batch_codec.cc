#include "db/write_batch_codec.h"

#include "kiln/options.h"
#include "kiln/status.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {

std::string EncodeBatchPayload(const WriteBatch& batch, SequenceNumber sequence) {
  std::string payload;
  payload.reserve(8 + kMaxVarint32Bytes + batch.size_bytes());
  PutFixed64(payload, sequence);
  PutVarint32(payload, static_cast<uint32_t>(batch.count()));
  payload.append(batch.rep());
  return payload;
}

absl::StatusOr<DecodedBatchHeader> DecodeBatchPayload(std::string_view payload,
                                                      BatchHandler& handler) {
  DecodedBatchHeader header;
  std::string_view input = payload;
  if (!GetFixed64(input, header.sequence) || !GetVarint32(input, header.count)) {
    return Corruption("write batch: truncated header");
  }
  if (header.sequence == 0 || header.sequence > kMaxSequenceNumber) {
    return Corruption("write batch: sequence out of range");
  }
  if (header.count > kMaxBatchEntries) return Corruption("write batch: too many entries");
  if (header.count > 0 && header.sequence + header.count - 1 > kMaxSequenceNumber) {
    return Corruption("write batch: sequences run past kMaxSequenceNumber");
  }
  for (uint32_t i = 0; i < header.count; ++i) {
    if (input.empty()) return Corruption("write batch: fewer entries than its count");
    const uint8_t type = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    uint32_t bucket_id = 0;
    std::string_view key, value;
    if (!GetVarint32(input, bucket_id) || !GetLengthPrefixed(input, key)) {
      return Corruption("write batch: truncated entry " + std::to_string(i));
    }
    if (key.size() > kMaxKeyBytes) return Corruption("write batch: key over kMaxKeyBytes");
    switch (static_cast<ValueType>(type)) {
      case ValueType::kValue:
      case ValueType::kRangeDeletion:
        if (!GetLengthPrefixed(input, value)) {
          return Corruption("write batch: truncated value of entry " + std::to_string(i));
        }
        if (value.size() > kMaxValueBytes) return Corruption("write batch: value too large");
        if (type == static_cast<uint8_t>(ValueType::kRangeDeletion) && !(key < value)) {
          return Corruption("write batch: empty range deletion");
        }
        break;
      case ValueType::kDeletion:
        break;
      default:
        return Corruption("write batch: unknown entry type " + std::to_string(type));
    }
    KILN_RETURN_IF_ERROR(
        handler.Apply(header.sequence + i, static_cast<ValueType>(type), bucket_id, key, value));
  }
  if (!input.empty()) return Corruption("write batch: bytes after the last entry");
  return header;
}

}  // namespace kiln
