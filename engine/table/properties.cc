#include "table/properties.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "kiln/status.h"
#include "table/block_builder.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

struct NumberField {
  std::string_view name;
  uint64_t TableProperties::*member;
};
struct BytesField {
  std::string_view name;
  std::string TableProperties::*member;
};

// Names are part of the format (engine/docs/table_format.md).
constexpr std::array<NumberField, 9> kNumberFields = {{
    {"kiln.num_entries", &TableProperties::num_entries},
    {"kiln.num_deletions", &TableProperties::num_deletions},
    {"kiln.num_range_deletions", &TableProperties::num_range_deletions},
    {"kiln.raw_key_bytes", &TableProperties::raw_key_bytes},
    {"kiln.raw_value_bytes", &TableProperties::raw_value_bytes},
    {"kiln.num_data_blocks", &TableProperties::num_data_blocks},
    {"kiln.data_size_bytes", &TableProperties::data_size_bytes},
    {"kiln.smallest_sequence", &TableProperties::smallest_sequence},
    {"kiln.largest_sequence", &TableProperties::largest_sequence},
}};
constexpr std::array<BytesField, 3> kBytesFields = {{
    {"kiln.smallest_key", &TableProperties::smallest_key},
    {"kiln.largest_key", &TableProperties::largest_key},
    {"kiln.largest_range_tombstone_end", &TableProperties::largest_range_tombstone_end},
}};
constexpr std::string_view kCompressionName = "kiln.compression";
constexpr size_t kNumRequiredFields = kNumberFields.size() + kBytesFields.size() + 1;
static_assert(kNumRequiredFields <= 64, "seen fields are tracked in a 64-bit mask");

bool IsEmptyOrInternalKey(std::string_view key) {
  ParsedInternalKey parsed;
  return key.empty() || ParseInternalKey(key, parsed);
}

}  // namespace

std::string EncodeTableProperties(const TableProperties& properties) {
  std::vector<std::pair<std::string_view, std::string>> entries;
  for (const NumberField& field : kNumberFields) {
    std::string value;
    PutVarint64(value, properties.*field.member);
    entries.emplace_back(field.name, std::move(value));
  }
  for (const BytesField& field : kBytesFields) {
    entries.emplace_back(field.name, properties.*field.member);
  }
  entries.emplace_back(kCompressionName, std::string(1, static_cast<char>(properties.compression)));
  std::sort(entries.begin(), entries.end());
  BlockBuilder builder({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
  for (const auto& [name, value] : entries) builder.Add(name, value);
  return std::string(builder.Finish());
}

namespace {

// Sets the property `name` from its encoded value and returns its index in
// the required set; kUnknownProperty for names this version does not know
// (written by a newer version: skipped). Corruption if the value is malformed.
constexpr int kUnknownProperty = -1;

absl::StatusOr<int> ApplyProperty(std::string_view name, std::string_view value,
                                  TableProperties& properties, std::string_view origin) {
  const auto error = [&](std::string_view what) {
    return Corruption(std::string(origin) + ": properties: " + std::string(name) + ": " +
                      std::string(what));
  };
  int index = 0;
  for (const NumberField& field : kNumberFields) {
    if (field.name == name) {
      uint64_t number = 0;
      if (!GetVarint64(value, number) || !value.empty()) return error("malformed number");
      properties.*field.member = number;
      return index;
    }
    ++index;
  }
  for (const BytesField& field : kBytesFields) {
    if (field.name == name) {
      properties.*field.member = std::string(value);
      return index;
    }
    ++index;
  }
  if (name == kCompressionName) {
    if (value.size() != 1 || static_cast<uint8_t>(value[0]) > kMaxCompressionType) {
      return error("unknown compression type");
    }
    properties.compression = static_cast<CompressionType>(value[0]);
    return index;
  }
  return kUnknownProperty;
}

}  // namespace

absl::StatusOr<TableProperties> DecodeTableProperties(std::shared_ptr<const Block> block) {
  const std::string origin = block->origin();
  const auto error = [&](std::string_view what) {
    return Corruption(origin + ": properties: " + std::string(what));
  };
  TableProperties properties;
  uint64_t seen = 0;
  BlockIterator it(std::move(block), BlockKeyOrder::kBytewise);
  // Bounded by the block's entries.
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    KILN_ASSIGN_OR_RETURN(const int index, ApplyProperty(it.key(), it.value(), properties, origin));
    if (index != kUnknownProperty) seen |= uint64_t{1} << index;
  }
  KILN_RETURN_IF_ERROR(it.status());
  if (seen != (uint64_t{1} << kNumRequiredFields) - 1) return error("a property is missing");
  if (!IsEmptyOrInternalKey(properties.smallest_key)) return error("bad smallest key");
  if (!IsEmptyOrInternalKey(properties.largest_key)) return error("bad largest key");
  if (properties.smallest_sequence > properties.largest_sequence ||
      properties.largest_sequence > kMaxSequenceNumber) {
    return error("bad sequence range");
  }
  return properties;
}

}  // namespace kiln
