// Reads the records of one write-ahead log file (format: wal/log_format.h,
// engine/docs/wal_format.md), telling crash damage from corruption.
//
// Damage is the first record (or the file header) that fails its checks. It is
// a TORN TAIL, and the log ends cleanly just before it, when it could be what a
// crash leaves of unsynced writes:
//   - nothing valid follows it (a cut-off, zero-filled or garbage tail), or
//   - the damaged bytes are all zeros up to the next valid record (a hole left
//     when a crash kept later unsynced appends but not earlier ones), and no
//     later record says the damaged bytes had been synced.
// Anything else is Corruption naming the path and offset: damage followed by a
// valid record of this log that is not explained as above (bit flips, lost
// or misplaced writes in the middle), and any record whose checksums match
// but whose contents are wrong for this place (another log's number, another
// offset, an out-of-order durable offset, an unknown version). With
// tail_is_tolerated false (a log known complete), a torn tail is Corruption
// too.
//
// The file is read in bounded chunks (kWalReadChunkBytes), so memory stays at
// most one chunk plus the largest record (kMaxWalRecordBytes).
//
// Thread-safety: not thread-safe; one task at a time.
#ifndef KILN_WAL_LOG_READER_H_
#define KILN_WAL_LOG_READER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kiln/env.h"
#include "wal/log_format.h"

namespace kiln {

// How much of the file one read brings into the reader's buffer.
inline constexpr size_t kWalReadChunkBytes = size_t{256} << 10;

struct LogReaderOptions {
  // True for a log a crash may have cut short (the database: any WAL, as it
  // syncs a retired one only before a newer one): damage at its end is then
  // a torn tail rather than Corruption.
  bool tail_is_tolerated = false;
};

class LogReader {
 public:
  // Reads file (named path in error messages), expecting log log_number.
  // file must outlive the reader.
  LogReader(File& file, std::string path, uint64_t log_number, LogReaderOptions options);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // The next record's payload, or nullopt at the end of the log (its end, or
  // a torn tail when tolerated). Corruption as described above; the file's
  // own errors (IOError) pass through. After an error, every later call
  // returns it again; after nullopt, nullopt again. May yield.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> ReadRecord();

  // The end of the last record returned (0 before the first): after the end,
  // where a torn tail begins, so the caller may truncate the file here.
  uint64_t valid_end_offset() const { return valid_end_offset_; }
  // Whether the log ended in a torn tail (only once ReadRecord returned nullopt).
  bool saw_torn_tail() const { return saw_torn_tail_; }
  // Bytes after valid_end_offset() ignored as a torn tail, including any
  // unsynced records found after a hole.
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  uint64_t records_read() const { return records_read_; }
  // How far the writer had synced this log when it appended the last record
  // returned (0 before the first): non-zero proves the log was synced once.
  uint64_t last_record_durable_offset() const { return last_record_durable_offset_; }
  // Records read a second time because the first read did not check out
  // (damage is judged only when it reads the same twice).
  uint64_t damage_rereads() const { return damage_rereads_; }

 private:
  // Why the record or file header at some offset failed its checks, when a
  // crash could explain it, and where to look for later records.
  struct Damage {
    std::string reason;
    // The first offset that may hold a later record: the damaged record's
    // end when its header is intact (its payload is not searched), else the
    // damaged offset itself.
    uint64_t scan_from = 0;
  };
  // A valid record or the damage found instead.
  struct RecordOrDamage {
    std::string payload;
    uint64_t end_offset = 0;
    uint64_t durable_offset = 0;
    std::optional<Damage> damage;
  };
  // What lies after damage at some offset.
  struct DamageScan {
    // The first later record of this log, if any.
    std::optional<uint64_t> first_record_offset;
    // Whether every byte from the damage to first_record_offset is zero.
    bool damage_is_zeros = false;
    // A later record whose durable offset covers the damage, if any.
    std::optional<uint64_t> synced_witness_offset;
    uint64_t synced_witness_durable_offset = 0;
  };

  absl::StatusOr<std::optional<std::string>> ReadNext();
  absl::StatusOr<std::optional<Damage>> CheckFileHeader();
  absl::StatusOr<RecordOrDamage> ReadRecordAt(uint64_t offset);
  // Decides whether damage at offset is a torn tail (nullopt) or an error.
  absl::StatusOr<std::optional<std::string>> HandleDamage(uint64_t offset, const Damage& damage);
  absl::StatusOr<DamageScan> ScanAfterDamage(uint64_t offset, const Damage& damage);
  // What a scan finds at a position: a run of zeros no header starts in, or
  // the first byte there and, if a header of this log starts there, it.
  struct ScanPosition {
    uint64_t zeros_to_skip = 0;
    char first_byte = 0;
    std::optional<WalRecordHeader> header;
  };
  // REQUIRES: position + kWalRecordHeaderBytes <= file size.
  absl::StatusOr<ScanPosition> Examine(uint64_t position);
  // How many positions from position on start no header of this log,
  // judged by a run of zeros there (0: look at position itself).
  absl::StatusOr<uint64_t> HeaderlessZeros(uint64_t position);
  // Whether bytes (>= kWalRecordHeaderBytes) start a header this log's writer
  // wrote: checksum, log number and length bound all hold.
  bool IsRecordHeaderOfThisLog(std::string_view bytes) const;

  // The min(length, file size - offset) bytes at offset, from the buffer
  // (refilled from offset if needed). Valid until the next call.
  // REQUIRES: length <= max(chunk_bytes_, kWalRecordHeaderBytes) (so the
  // buffer never exceeds that), offset <= file_size_.
  absl::StatusOr<std::string_view> Peek(uint64_t offset, size_t length);
  // Fills out from offset; IOError if the file ends first. REQUIRES: the
  // range lies within file_size_.
  absl::Status ReadFully(uint64_t offset, std::span<char> out);
  // Forgets the buffered bytes, so the next Peek reads the file again.
  void DiscardBuffer();
  std::string Describe(uint64_t offset, std::string_view what) const;

  File& file_;
  const std::string path_;
  const uint64_t log_number_;
  const LogReaderOptions options_;
  // kWalReadChunkBytes, or much less under buggify to exercise chunk edges.
  const size_t chunk_bytes_;
  char log_number_bytes_[8];

  bool started_ = false;
  bool at_end_ = false;
  absl::Status error_;
  // Taken once, when reading starts; nothing past it is read.
  uint64_t file_size_ = 0;
  uint64_t next_offset_ = 0;

  uint64_t valid_end_offset_ = 0;
  bool saw_torn_tail_ = false;
  uint64_t dropped_bytes_ = 0;
  uint64_t records_read_ = 0;
  uint64_t last_record_durable_offset_ = 0;
  uint64_t damage_rereads_ = 0;

  // File bytes [buffer_offset_, buffer_offset_ + buffer_.size()).
  std::string buffer_;
  uint64_t buffer_offset_ = 0;
};

}  // namespace kiln

#endif  // KILN_WAL_LOG_READER_H_
