#include "wal/log_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "kiln/status.h"
#include "util/assert.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"
#include "wal/log_format.h"

namespace kiln {
namespace {

// The read chunk under buggify: smaller than a record header, so headers and
// payloads straddle chunk edges all the time.
constexpr size_t kBuggifiedReadChunkBytes = 29;
static_assert(kWalReadChunkBytes >= kWalFileHeaderBytes);
static_assert(kWalReadChunkBytes >= kWalRecordHeaderBytes);

}  // namespace

LogReader::LogReader(File& file, std::string path, uint64_t log_number, LogReaderOptions options)
    : file_(file),
      path_(std::move(path)),
      log_number_(log_number),
      options_(options),
      chunk_bytes_(KILN_BUGGIFY ? kBuggifiedReadChunkBytes : kWalReadChunkBytes) {
  EncodeFixed64(log_number_bytes_, log_number_);
}

absl::StatusOr<std::optional<std::string>> LogReader::ReadRecord() {
  if (!error_.ok()) return error_;
  if (at_end_) return std::nullopt;
  absl::StatusOr<std::optional<std::string>> result = ReadNext();
  if (!result.ok()) {
    error_ = result.status();
  } else if (!result->has_value()) {
    at_end_ = true;
  }
  return result;
}

absl::StatusOr<std::optional<std::string>> LogReader::ReadNext() {
  if (!started_) {
    started_ = true;
    KILN_ASSIGN_OR_RETURN(file_size_, file_.Size());
    if (file_size_ == 0) return std::nullopt;
    KILN_ASSIGN_OR_RETURN(std::optional<Damage> damage, CheckFileHeader());
    if (damage) {
      // As for records (below): judge only damage that reads the same twice.
      DiscardBuffer();
      ++damage_rereads_;
      KILN_ASSIGN_OR_RETURN(damage, CheckFileHeader());
    }
    if (damage) return HandleDamage(0, *damage);
    next_offset_ = kWalFileHeaderBytes;
    valid_end_offset_ = next_offset_;
  }
  KILN_ASSERT(next_offset_ <= file_size_);
  if (next_offset_ == file_size_) return std::nullopt;
  KILN_ASSIGN_OR_RETURN(RecordOrDamage record, ReadRecordAt(next_offset_));
  if (record.damage) {
    // A mismatch may be the read's rather than the disk's (a bit flipped in
    // transit): read the record from the file once more before judging it,
    // or a flip in the last synced record would pass for a torn tail.
    DiscardBuffer();
    ++damage_rereads_;
    KILN_ASSIGN_OR_RETURN(record, ReadRecordAt(next_offset_));
  }
  if (record.damage) return HandleDamage(next_offset_, *record.damage);
  KILN_ASSERT(record.end_offset > next_offset_);
  KILN_ASSERT(record.end_offset <= file_size_);
  next_offset_ = record.end_offset;
  valid_end_offset_ = next_offset_;
  last_record_durable_offset_ = record.durable_offset;
  ++records_read_;
  return std::move(record.payload);
}

absl::StatusOr<std::optional<LogReader::Damage>> LogReader::CheckFileHeader() {
  KILN_ASSIGN_OR_RETURN(std::string_view bytes, Peek(0, kWalFileHeaderBytes));
  if (bytes.size() < kWalFileHeaderBytes) {
    return Damage{.reason = "incomplete file header (" + std::to_string(bytes.size()) + " of " +
                            std::to_string(kWalFileHeaderBytes) + " bytes)"};
  }
  // The checksum comes first: a torn or zeroed header must read as damage,
  // not as a foreign file or an unknown version.
  const uint64_t checksum = Checksum64(bytes.substr(0, kWalFileHeaderChecksumOffset));
  if (DecodeFixed64(bytes.data() + kWalFileHeaderChecksumOffset) != checksum) {
    return Damage{.reason = "file header checksum mismatch"};
  }
  const auto corrupt = [&](const std::string& what) { return Corruption(Describe(0, what)); };
  if (DecodeFixed64(bytes.data()) != kWalMagic) return corrupt("not a WAL file (bad magic)");
  const uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != kWalFormatVersion) {
    return corrupt("unsupported WAL format version " + std::to_string(version) +
                   " (this build reads version " + std::to_string(kWalFormatVersion) + ")");
  }
  if (DecodeFixed32(bytes.data() + 12) != 0) return corrupt("reserved bytes are not zero");
  const uint64_t log_number = DecodeFixed64(bytes.data() + 16);
  if (log_number != log_number_) {
    return corrupt("names log " + std::to_string(log_number) + ", expected log " +
                   std::to_string(log_number_));
  }
  return std::nullopt;
}

absl::StatusOr<LogReader::RecordOrDamage> LogReader::ReadRecordAt(uint64_t offset) {
  KILN_ASSIGN_OR_RETURN(std::string_view bytes, Peek(offset, kWalRecordHeaderBytes));
  if (bytes.size() < kWalRecordHeaderBytes) {
    return RecordOrDamage{
        .damage = Damage{.reason = "incomplete record header (" + std::to_string(bytes.size()) +
                                   " of " + std::to_string(kWalRecordHeaderBytes) + " bytes)",
                         .scan_from = offset}};
  }
  const std::optional<WalRecordHeader> header = DecodeWalRecordHeader(bytes);
  if (!header) {
    return RecordOrDamage{
        .damage = Damage{.reason = "record header checksum mismatch", .scan_from = offset}};
  }
  // The header's checksum holds, so its writer meant every field: a wrong
  // value is not crash damage.
  if (header->log_number != log_number_) {
    return Corruption(Describe(offset, "belongs to log " + std::to_string(header->log_number) +
                                           ", expected log " + std::to_string(log_number_)));
  }
  if (header->record_offset != offset) {
    return Corruption(Describe(offset, "was written for offset " +
                                           std::to_string(header->record_offset) +
                                           " (misplaced, duplicated or reordered)"));
  }
  if (header->durable_offset > offset) {
    return Corruption(Describe(offset, "durable offset " + std::to_string(header->durable_offset) +
                                           " lies past the record itself"));
  }
  if (header->payload_length > kMaxWalRecordBytes) {
    return Corruption(Describe(offset, "payload length " + std::to_string(header->payload_length) +
                                           " exceeds the limit of " +
                                           std::to_string(kMaxWalRecordBytes)));
  }
  const uint64_t payload_offset = offset + kWalRecordHeaderBytes;
  const uint64_t end_offset = payload_offset + header->payload_length;
  if (end_offset > file_size_) {
    return RecordOrDamage{
        .damage =
            Damage{.reason = "incomplete payload (" + std::to_string(file_size_ - payload_offset) +
                             " of " + std::to_string(header->payload_length) + " bytes)",
                   .scan_from = end_offset}};
  }
  RecordOrDamage record{.end_offset = end_offset, .durable_offset = header->durable_offset};
  if (header->payload_length <= chunk_bytes_) {
    KILN_ASSIGN_OR_RETURN(std::string_view payload, Peek(payload_offset, header->payload_length));
    KILN_ASSERT(payload.size() == header->payload_length);
    record.payload.assign(payload);
  } else {
    record.payload.resize(header->payload_length);
    KILN_RETURN_IF_ERROR(ReadFully(payload_offset, record.payload));
  }
  if (Checksum64(record.payload) != header->payload_checksum) {
    return RecordOrDamage{
        .damage = Damage{.reason = "payload checksum mismatch", .scan_from = end_offset}};
  }
  return record;
}

absl::StatusOr<std::optional<std::string>> LogReader::HandleDamage(uint64_t offset,
                                                                   const Damage& damage) {
  KILN_ASSERT(offset == valid_end_offset_);
  KILN_ASSERT(offset < file_size_);
  if (!options_.tail_is_tolerated) {
    return Corruption(
        Describe(offset, damage.reason + "; the log must be complete (it is not the newest)"));
  }
  KILN_ASSIGN_OR_RETURN(DamageScan scan, ScanAfterDamage(offset, damage));
  if constexpr (KILN_PLANTED_BUG(wal_corruption_as_tail)) {
    // PLANTED BUG wal_corruption_as_tail: damage is taken for a torn tail
    // without asking whether a later record proves it was synced.
    scan.synced_witness_offset.reset();
    scan.first_record_offset.reset();
  }
  if (scan.synced_witness_offset) {
    return Corruption(Describe(
        offset, damage.reason + "; the record at offset " +
                    std::to_string(*scan.synced_witness_offset) +
                    " was appended after the log was synced through offset " +
                    std::to_string(scan.synced_witness_durable_offset) + ", so this was durable"));
  }
  if (scan.first_record_offset && !scan.damage_is_zeros) {
    return Corruption(Describe(offset, damage.reason + "; a valid record follows at offset " +
                                           std::to_string(*scan.first_record_offset)));
  }
  KILN_PROBE(true, "WAL ends in a torn tail");
  KILN_PROBE(scan.first_record_offset.has_value(),
             "WAL torn tail: a zero hole with unsynced records after it (a reordered crash)");
  saw_torn_tail_ = true;
  dropped_bytes_ = file_size_ - offset;
  return std::nullopt;
}

absl::StatusOr<LogReader::DamageScan> LogReader::ScanAfterDamage(uint64_t offset,
                                                                 const Damage& damage) {
  KILN_ASSERT(damage.scan_from >= offset);
  // An intact header before scan_from is not zeros.
  DamageScan scan{.damage_is_zeros = damage.scan_from == offset};
  const auto proves_synced = [&](uint64_t position, const WalRecordHeader& header) {
    if (header.durable_offset <= offset) return false;
    scan.synced_witness_offset = position;
    scan.synced_witness_durable_offset = header.durable_offset;
    return true;
  };
  // The damaged record's own payload holds no records, but a header of this
  // log in it that says the log was synced past the damage still proves the
  // damage hit durable data: an append misdirected into the payload of an
  // earlier synced record leaves just that. Each pass advances position.
  const uint64_t payload_end = std::min(damage.scan_from, file_size_);
  for (uint64_t position = offset + 1;
       position < payload_end && payload_end - position >= kWalRecordHeaderBytes;) {
    KILN_ASSIGN_OR_RETURN(const ScanPosition at, Examine(position));
    if (at.zeros_to_skip > 0) {
      position += at.zeros_to_skip;
      continue;
    }
    if (at.header && proves_synced(position, *at.header)) {
      KILN_PROBE(true, "WAL damage: a synced witness inside the damaged record's payload");
      return scan;
    }
    ++position;
  }
  // A header at the damaged offset itself is the damaged record's own (read
  // intact this time), so it is no later record. The file header's damage
  // is the exception: no record belongs at offset 0, so a header there was
  // misdirected, and one that proves a sync (dst seed 1126862: an append
  // landed over the file header and the synced record behind it) makes the
  // damage Corruption.
  const bool header_at_offset_is_later = offset == 0;
  // Each pass advances position by at least one byte, so the loop ends within
  // file_size_ - scan_from passes.
  uint64_t position = damage.scan_from;
  while (position < file_size_ && file_size_ - position >= kWalRecordHeaderBytes) {
    KILN_ASSIGN_OR_RETURN(const ScanPosition at, Examine(position));
    if (at.zeros_to_skip > 0) {
      position += at.zeros_to_skip;
      continue;
    }
    if ((position != offset || header_at_offset_is_later) && at.header) {
      KILN_PROBE(position == 0, "WAL damage: a record header over the file header");
      if (!scan.first_record_offset) scan.first_record_offset = position;
      if (proves_synced(position, *at.header)) return scan;
      // Skip the payload: bytes inside a record are not records.
      if (at.header->payload_length > file_size_ - position - kWalRecordHeaderBytes) break;
      position += kWalRecordHeaderBytes + uint64_t{at.header->payload_length};
      continue;
    }
    if (!scan.first_record_offset && at.first_byte != 0) scan.damage_is_zeros = false;
    ++position;
  }
  return scan;
}

absl::StatusOr<LogReader::ScanPosition> LogReader::Examine(uint64_t position) {
  KILN_ASSIGN_OR_RETURN(const uint64_t zeros_to_skip, HeaderlessZeros(position));
  if (zeros_to_skip > 0) return ScanPosition{.zeros_to_skip = zeros_to_skip};
  KILN_ASSIGN_OR_RETURN(std::string_view bytes, Peek(position, kWalRecordHeaderBytes));
  KILN_ASSERT(bytes.size() == kWalRecordHeaderBytes);
  ScanPosition at{.first_byte = bytes[0]};
  if (IsRecordHeaderOfThisLog(bytes)) {
    at.header = DecodeWalRecordHeader(bytes);
    KILN_ASSERT(at.header.has_value());
  }
  return at;
}

absl::StatusOr<uint64_t> LogReader::HeaderlessZeros(uint64_t position) {
  // A header holds its log number's 8 bytes at kWalRecordLogNumberOffset,
  // and a log number is never 0, so no header starts more than
  // kWalRecordLogNumberOffset + 7 bytes before the next non-zero byte. This
  // crosses a zero tail (a crash of a reserved, mapped log leaves up to
  // Options::wal_reserve_bytes of them) a window at a time, not a byte.
  if (log_number_ == 0) return 0;
  constexpr uint64_t kHeaderReach = kWalRecordLogNumberOffset + 8;
  const size_t window = std::max(chunk_bytes_, kWalRecordHeaderBytes);
  KILN_ASSIGN_OR_RETURN(std::string_view bytes, Peek(position, window));
  const size_t leading_zeros = static_cast<size_t>(
      std::find_if(bytes.begin(), bytes.end(), [](char byte) { return byte != 0; }) -
      bytes.begin());
  return leading_zeros >= kHeaderReach ? leading_zeros - (kHeaderReach - 1) : 0;
}

bool LogReader::IsRecordHeaderOfThisLog(std::string_view bytes) const {
  KILN_DASSERT(bytes.size() >= kWalRecordHeaderBytes);
  // Cheap filter first: most positions of a damaged tail fail here.
  if (std::memcmp(bytes.data() + kWalRecordLogNumberOffset, log_number_bytes_,
                  sizeof(log_number_bytes_)) != 0) {
    return false;
  }
  const std::optional<WalRecordHeader> header = DecodeWalRecordHeader(bytes);
  return header && header->payload_length <= kMaxWalRecordBytes;
}

absl::StatusOr<std::string_view> LogReader::Peek(uint64_t offset, size_t length) {
  KILN_ASSERT(offset <= file_size_);
  KILN_ASSERT(length <= std::max(chunk_bytes_, kWalRecordHeaderBytes));
  const size_t available = static_cast<size_t>(std::min<uint64_t>(length, file_size_ - offset));
  if (offset >= buffer_offset_ && offset - buffer_offset_ <= buffer_.size() &&
      available <= buffer_.size() - (offset - buffer_offset_)) {
    return std::string_view(buffer_.data() + (offset - buffer_offset_), available);
  }
  const size_t fill = static_cast<size_t>(
      std::min<uint64_t>(std::max(available, chunk_bytes_), file_size_ - offset));
  buffer_.resize(fill);
  buffer_offset_ = offset;
  absl::Status status = ReadFully(offset, buffer_);
  if (!status.ok()) {
    buffer_.clear();
    return status;
  }
  return std::string_view(buffer_.data(), available);
}

void LogReader::DiscardBuffer() {
  buffer_.clear();
  buffer_offset_ = 0;
}

absl::Status LogReader::ReadFully(uint64_t offset, std::span<char> out) {
  KILN_ASSERT(offset <= file_size_);
  KILN_ASSERT(out.size() <= file_size_ - offset);
  // Each pass reads at least one byte or returns, so at most out.size() passes.
  size_t done = 0;
  while (done < out.size()) {
    KILN_ASSIGN_OR_RETURN(const size_t count, file_.Read(offset + done, out.subspan(done)));
    if (count == 0) {
      return IOError(path_ + ": short read at offset " + std::to_string(offset + done) +
                     ": the file ended before its size of " + std::to_string(file_size_) +
                     " bytes");
    }
    KILN_ASSERT(count <= out.size() - done);
    done += count;
  }
  return absl::OkStatus();
}

std::string LogReader::Describe(uint64_t offset, std::string_view what) const {
  // No record starts at 0: damage there is the file header's.
  std::string message = path_ + (offset == 0 ? ": WAL file header" : ": WAL record") +
                        " at offset " + std::to_string(offset) + ": ";
  message.append(what);
  return message;
}

}  // namespace kiln
