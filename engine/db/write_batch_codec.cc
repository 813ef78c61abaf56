#include "db/write_batch_codec.h"

#include "kiln/options.h"
#include "kiln/status.h"
#include "util/assert.h"
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

absl::Status CheckBatchEntry(ValueType type, std::string_view key, std::string_view value) {
  KILN_ASSERT(type == ValueType::kValue || type == ValueType::kDeletion ||
              type == ValueType::kRangeDeletion);
  if (key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError("key of " + std::to_string(key.size()) +
                                      " bytes exceeds kMaxKeyBytes");
  }
  if (type == ValueType::kRangeDeletion) {
    if (value.size() > kMaxKeyBytes) {
      return absl::InvalidArgumentError("range end key exceeds kMaxKeyBytes");
    }
    if (!(key < value)) return absl::InvalidArgumentError("DeleteRange requires begin < end");
  }
  if (value.size() > kMaxValueBytes) {
    return absl::InvalidArgumentError("value of " + std::to_string(value.size()) +
                                      " bytes exceeds kMaxValueBytes");
  }
  return absl::OkStatus();
}

void AppendBatchEntry(std::string& rep, ValueType type, uint32_t bucket_id, std::string_view key,
                      std::string_view value) {
  rep.push_back(static_cast<char>(type));
  PutVarint32(rep, bucket_id);
  PutLengthPrefixed(rep, key);
  if (type != ValueType::kDeletion) PutLengthPrefixed(rep, value);
}

std::string EncodeSingleEntryPayload(ValueType type, uint32_t bucket_id, std::string_view key,
                                     std::string_view value, SequenceNumber sequence) {
  std::string payload;
  payload.reserve(8 + 1 + 1 + 3 * kMaxVarint32Bytes + key.size() + value.size());
  PutFixed64(payload, sequence);
  PutVarint32(payload, 1);
  AppendBatchEntry(payload, type, bucket_id, key, value);
  return payload;
}

namespace {

// Consumes the header from the front of input.
absl::StatusOr<DecodedBatchHeader> ConsumeBatchHeader(std::string_view& input) {
  DecodedBatchHeader header;
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
  return header;
}

}  // namespace

absl::StatusOr<DecodedBatchHeader> DecodeBatchPayloadHeader(std::string_view payload) {
  return ConsumeBatchHeader(payload);
}

absl::StatusOr<DecodedBatchHeader> DecodeBatchPayload(std::string_view payload,
                                                      BatchHandler& handler) {
  std::string_view input = payload;
  KILN_ASSIGN_OR_RETURN(const DecodedBatchHeader header, ConsumeBatchHeader(input));
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
