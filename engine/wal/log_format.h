// The write-ahead log's on-disk layout (engine/docs/wal_format.md is the spec).
//
//   file   = [file header: kWalFileHeaderBytes] record*
//   record = [record header: kWalRecordHeaderBytes] payload
//
// The file header is written together with the first record (one Append), so
// a log is either empty or starts with a file header.
//
// Invariants of a log written by LogWriter:
//   1. Every record header names the file's log number and its own offset.
//   2. durable_offset never exceeds the record's own offset: it is how far
//      the writer that appended the record had synced the file by then.
//   3. A record is one Append: its bytes are contiguous, never interleaved.
#ifndef KILN_WAL_LOG_FORMAT_H_
#define KILN_WAL_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "util/assert.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace kiln {

inline constexpr uint32_t kWalFormatVersion = 1;
// The bytes "kiln-wal" read as a little-endian fixed64; never changes.
inline constexpr uint64_t kWalMagic = 0x6c61772d6e6c696b;

// The largest payload one record may carry. Writers return InvalidArgument
// above it; readers reject a header claiming more as Corruption, so a reader
// never allocates more than this for one record.
inline constexpr uint32_t kMaxWalRecordBytes = uint32_t{64} << 20;

// File header: magic (8), version (4), reserved zero (4), log number (8),
// XXH3 of the preceding 24 bytes (8).
inline constexpr size_t kWalFileHeaderBytes = 32;
inline constexpr size_t kWalFileHeaderChecksumOffset = 24;

// Record header: header checksum (4), payload length (4), payload checksum
// (8), log number (8), record offset (8), durable offset (8).
inline constexpr size_t kWalRecordHeaderBytes = 40;
inline constexpr size_t kWalRecordLogNumberOffset = 16;
static_assert(kWalRecordHeaderBytes == 4 + 4 + 8 + 8 + 8 + 8,
              "the header size is part of the format");
static_assert(kWalFileHeaderBytes == 8 + 4 + 4 + 8 + 8, "the header size is part of the format");

struct WalRecordHeader {
  uint32_t payload_length = 0;
  uint64_t payload_checksum = 0;
  uint64_t log_number = 0;
  // Where this header starts in the file.
  uint64_t record_offset = 0;
  // Every byte before this offset was durable when the record was appended.
  uint64_t durable_offset = 0;
};

// The header checksum: the low 32 bits of XXH3 over header bytes [4, 40).
inline uint32_t WalRecordHeaderChecksum(const char* header) {
  return Checksum32(std::string_view(header + 4, kWalRecordHeaderBytes - 4));
}

// Writes the header, checksum included, into out[0, kWalRecordHeaderBytes).
inline void EncodeWalRecordHeader(const WalRecordHeader& header, char* out) {
  KILN_ASSERT(header.payload_length <= kMaxWalRecordBytes);
  KILN_ASSERT(header.durable_offset <= header.record_offset);
  EncodeFixed32(out + 4, header.payload_length);
  EncodeFixed64(out + 8, header.payload_checksum);
  EncodeFixed64(out + kWalRecordLogNumberOffset, header.log_number);
  EncodeFixed64(out + 24, header.record_offset);
  EncodeFixed64(out + 32, header.durable_offset);
  EncodeFixed32(out, WalRecordHeaderChecksum(out));
}

// The header in bytes[0, kWalRecordHeaderBytes), or nullopt if its checksum
// does not match. The fields are not validated beyond that.
// REQUIRES: bytes.size() >= kWalRecordHeaderBytes.
inline std::optional<WalRecordHeader> DecodeWalRecordHeader(std::string_view bytes) {
  KILN_ASSERT(bytes.size() >= kWalRecordHeaderBytes);
  const char* in = bytes.data();
  if (DecodeFixed32(in) != WalRecordHeaderChecksum(in)) return std::nullopt;
  return WalRecordHeader{.payload_length = DecodeFixed32(in + 4),
                         .payload_checksum = DecodeFixed64(in + 8),
                         .log_number = DecodeFixed64(in + kWalRecordLogNumberOffset),
                         .record_offset = DecodeFixed64(in + 24),
                         .durable_offset = DecodeFixed64(in + 32)};
}

// Writes the file header of log log_number into out[0, kWalFileHeaderBytes).
inline void EncodeWalFileHeader(uint64_t log_number, char* out) {
  EncodeFixed64(out, kWalMagic);
  EncodeFixed32(out + 8, kWalFormatVersion);
  EncodeFixed32(out + 12, 0);
  EncodeFixed64(out + 16, log_number);
  EncodeFixed64(out + kWalFileHeaderChecksumOffset,
                Checksum64(std::string_view(out, kWalFileHeaderChecksumOffset)));
}

}  // namespace kiln

#endif  // KILN_WAL_LOG_FORMAT_H_
