// Appends records to one write-ahead log file (format: wal/log_format.h).
//
// Each record is written with one File::Append (also when AddRecords gets
// several), so a record's bytes are never interleaved with another's, a
// crash can damage only the records that were not yet synced, and damage
// inside a record is never followed by an intact record of the same write
// (DESIGN.md, "The crash and fault model"; wal_format.md, "Reading").
//
// After any failed Append or Sync the writer is broken: the file may now hold
// a partial record, or (after a failed fsync) may have lost unsynced data, so
// every later AddRecord and Sync returns that first error. The database must
// then stop writing to this log (STYLE.md: a failed WAL sync is sticky).
//
// Thread-safety: not thread-safe; one task at a time (the commit leader).
#ifndef KILN_WAL_LOG_WRITER_H_
#define KILN_WAL_LOG_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kiln/env.h"

namespace kiln {

enum class WalSyncMode : uint8_t {
  kSyncData,  // File::SyncData (fdatasync): data and size
  kSyncAll,   // File::Sync (fsync): data and all metadata
};

class LogWriter {
 public:
  // Writes log log_number into file, whose current size is start_offset: 0
  // for a new log (the first record then carries the file header), or the
  // end of a valid prefix of the same log to continue it (truncate a torn
  // tail to LogReader::valid_end_offset() first).
  // REQUIRES: start_offset == 0 || start_offset >= kWalFileHeaderBytes.
  LogWriter(std::unique_ptr<File> file, uint64_t log_number, uint64_t start_offset);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends one record. InvalidArgument (and nothing written) if the payload
  // exceeds kMaxWalRecordBytes. Not durable until a later Sync returns OK.
  // REQUIRES: not closed. May yield.
  [[nodiscard]] absl::Status AddRecord(std::string_view payload);

  // Appends one record per payload, in order, one File::Append each.
  // Checks every payload first: InvalidArgument, and nothing written, if one
  // exceeds kMaxWalRecordBytes. A failed Append leaves the records before it
  // written and the writer broken. REQUIRES: not closed; payloads not empty.
  // May yield.
  [[nodiscard]] absl::Status AddRecords(absl::Span<const std::string_view> payloads);

  // Makes every record added so far durable. REQUIRES: not closed. May yield.
  [[nodiscard]] absl::Status Sync(WalSyncMode mode);

  // Releases the file without syncing it. Idempotent. May yield.
  [[nodiscard]] absl::Status Close();

  // The file's size: start_offset plus every record appended.
  uint64_t size_bytes() const { return size_bytes_; }
  // How far the file is known durable (the end of the last successful Sync).
  uint64_t synced_bytes() const { return durable_offset_; }
  uint64_t log_number() const { return log_number_; }

  // Every this many appended bytes the writer asks the file to start writing
  // them back (File::StartWriteback), while hints are on, so that a Sync
  // finds little left to write.
  static constexpr uint64_t kWritebackChunkBytes = uint64_t{1} << 20;

  // Whether to hint writeback (on at construction). A log that no Sync will
  // need soon is better left to the page cache: the database turns hints
  // off until writes sync, since unsynced WALs mostly become obsolete
  // before the kernel would write them at all. Turning them on hints
  // everything appended since the last hint or Sync at the next append.
  void set_writeback_hints(bool enabled) { writeback_hints_ = enabled; }

 private:
  // Appends past this capacity release the staging buffer afterwards, so one
  // huge record does not pin its size for the log's lifetime.
  static constexpr size_t kMaxRetainedBufferBytes = size_t{1} << 20;

  std::unique_ptr<File> file_;
  const uint64_t log_number_;
  uint64_t size_bytes_;
  // Bytes [0, durable_offset_) were made durable by a Sync of this writer.
  // Starts at 0 even when continuing a log: the writer cannot know whether
  // the existing prefix was synced, and claiming less is always safe.
  uint64_t durable_offset_ = 0;
  // Bytes before this were handed to StartWriteback (or synced).
  uint64_t writeback_offset_ = 0;
  bool writeback_hints_ = true;
  // The first failed Append or Sync; OK while the writer works.
  absl::Status sticky_error_;
  bool closed_ = false;
  // The header and payload of the record being appended, staged.
  std::string buffer_;
};

}  // namespace kiln

#endif  // KILN_WAL_LOG_WRITER_H_
