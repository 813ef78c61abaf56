#include "wal/log_writer.h"

#include <utility>

#include "util/assert.h"
#include "util/checksum.h"
#include "util/sim_hooks.h"
#include "wal/log_format.h"

namespace kiln {

LogWriter::LogWriter(std::unique_ptr<File> file, uint64_t log_number, uint64_t start_offset)
    : file_(std::move(file)), log_number_(log_number), size_bytes_(start_offset) {
  KILN_ASSERT(file_ != nullptr);
  KILN_ASSERT(start_offset == 0 || start_offset >= kWalFileHeaderBytes);
  writeback_offset_ = start_offset;
}

absl::Status LogWriter::AddRecord(std::string_view payload) {
  return AddRecords(absl::MakeConstSpan(&payload, 1));
}

absl::Status LogWriter::AddRecords(absl::Span<const std::string_view> payloads) {
  KILN_ASSERT(!closed_);
  KILN_ASSERT(!payloads.empty());
  for (const std::string_view payload : payloads) {
    if (payload.size() > kMaxWalRecordBytes) {
      return absl::InvalidArgumentError("WAL record of " + std::to_string(payload.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(kMaxWalRecordBytes));
    }
  }
  if (!sticky_error_.ok()) return sticky_error_;

  // One Append per record: the reader's crash model (wal_format.md) is that
  // a crash tears at most the last write it keeps, so damage inside a
  // record is followed by nothing but zeros. Two records in one write could
  // come back with the first torn and the second intact, which reads as
  // corruption in the middle of the log (dst seed 739 found exactly that).
  // Bounded by payloads.size().
  for (const std::string_view payload : payloads) {
    buffer_.clear();
    if (size_bytes_ == 0) {
      buffer_.resize(kWalFileHeaderBytes);
      EncodeWalFileHeader(log_number_, buffer_.data());
    }
    const uint64_t record_offset = size_bytes_ + buffer_.size();
    KILN_ASSERT(record_offset <= UINT64_MAX - kWalRecordHeaderBytes - payload.size());
    const size_t header_at = buffer_.size();
    buffer_.resize(header_at + kWalRecordHeaderBytes);
    EncodeWalRecordHeader(WalRecordHeader{.payload_length = static_cast<uint32_t>(payload.size()),
                                          .payload_checksum = Checksum64(payload),
                                          .log_number = log_number_,
                                          .record_offset = record_offset,
                                          .durable_offset = durable_offset_},
                          buffer_.data() + header_at);
    buffer_.append(payload);
    const size_t append_bytes = buffer_.size();
    absl::Status status = file_->Append(buffer_);
    if (buffer_.capacity() > kMaxRetainedBufferBytes) {
      std::string().swap(buffer_);
    }
    if (!status.ok()) {
      sticky_error_ = status;
      return status;
    }
    size_bytes_ += append_bytes;
  }
  if (writeback_hints_ && size_bytes_ - writeback_offset_ >= kWritebackChunkBytes) {
    // Only a hint: a failure here changes no durability promise, and a real
    // I/O problem surfaces at the next Sync.
    const absl::Status hinted =
        file_->StartWriteback(writeback_offset_, size_bytes_ - writeback_offset_);
    KILN_PROBE(!hinted.ok(), "wal: a writeback hint failed");
    writeback_offset_ = size_bytes_;
  }
  return absl::OkStatus();
}

absl::Status LogWriter::Sync(WalSyncMode mode) {
  KILN_ASSERT(!closed_);
  if (!sticky_error_.ok()) return sticky_error_;
  absl::Status status = mode == WalSyncMode::kSyncData ? file_->SyncData() : file_->Sync();
  if (!status.ok()) {
    sticky_error_ = status;
    return status;
  }
  durable_offset_ = size_bytes_;
  writeback_offset_ = size_bytes_;
  return absl::OkStatus();
}

absl::Status LogWriter::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  return file_->Close();
}

}  // namespace kiln
