// A table's properties: counts and key/sequence ranges written once by the
// builder, read at open. Stored as a bytewise-keyed block of name -> value
// (engine/docs/table_format.md); a reader ignores names it does not know and
// rejects a block missing any it requires.
#ifndef KILN_TABLE_PROPERTIES_H_
#define KILN_TABLE_PROPERTIES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "db/dbformat.h"
#include "table/block.h"

namespace kiln {

struct TableProperties {
  // Point entries (values, deletions, blob indexes) in data blocks.
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  uint64_t num_range_deletions = 0;
  // Sums of the internal key and value sizes of point entries.
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  uint64_t num_data_blocks = 0;
  // Data blocks on disk, trailers included.
  uint64_t data_size_bytes = 0;
  // Sequence range over point entries and range tombstones (0, 0 if none).
  SequenceNumber smallest_sequence = 0;
  SequenceNumber largest_sequence = 0;
  // The smallest and largest internal key stored: point entries and range
  // tombstone (begin, seq, kRangeDeletion) keys. Empty if the table is empty.
  std::string smallest_key;
  std::string largest_key;
  // The largest range tombstone end (exclusive user key); empty if none. The
  // table's user keys span [smallest_key, max(largest_key, this)).
  std::string largest_range_tombstone_end;
  // What the data blocks were asked to use (a block may still be stored
  // uncompressed when compression saves too little).
  CompressionType compression = CompressionType::kNone;
};

// The properties block's decoded contents.
std::string EncodeTableProperties(const TableProperties& properties);
// Corruption "<block origin>: properties: ..." if a required name is missing,
// a value is malformed, or a key is not a well-formed internal key.
[[nodiscard]] absl::StatusOr<TableProperties> DecodeTableProperties(
    std::shared_ptr<const Block> block);

}  // namespace kiln

#endif  // KILN_TABLE_PROPERTIES_H_
