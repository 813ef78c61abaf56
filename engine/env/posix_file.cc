#include "env/posix_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "env/posix_error.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::internal {
namespace {

constexpr mode_t kNewFileMode = 0644;

// One transfer is capped so the byte count always fits ssize_t, and below
// Linux's own per-call limit (0x7ffff000), which would shorten it anyway.
constexpr size_t kMaxTransferBytes = size_t{1} << 30;

int OpenFlags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kRead:
      return O_RDONLY;
    case OpenMode::kReadWrite:
      return O_RDWR;
    case OpenMode::kCreate:
      return O_RDWR | O_CREAT;
    case OpenMode::kCreateNew:
      return O_RDWR | O_CREAT | O_EXCL;
    case OpenMode::kTruncate:
      return O_RDWR | O_CREAT | O_TRUNC;
  }
  KILN_UNREACHABLE("unknown OpenMode");
}

// An mmap of a file's first size bytes; unmapped when the last holder drops it.
class PosixMappedFile final : public MappedFile {
 public:
  PosixMappedFile(void* address, size_t size) : address_(address), size_(size) {}
  ~PosixMappedFile() override {
    if (size_ == 0) return;
    const int unmapped = ::munmap(address_, size_);
    KILN_ASSERT(unmapped == 0);
  }
  PosixMappedFile(const PosixMappedFile&) = delete;
  PosixMappedFile& operator=(const PosixMappedFile&) = delete;
  std::string_view bytes() const override {
    return std::string_view(static_cast<const char*>(address_), size_);
  }

 private:
  void* const address_;
  const size_t size_;
};

class PosixFile final : public File {
 public:
  // REQUIRES: fd is an open descriptor of a regular file whose size is size_bytes.
  PosixFile(int fd, std::string path, bool writable, uint64_t size_bytes)
      : fd_(fd), path_(std::move(path)), writable_(writable), end_offset_(size_bytes) {
    KILN_ASSERT(fd_ >= 0);
  }
  ~PosixFile() override { (void)Close(); }

  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    KILN_RETURN_IF_ERROR(CheckOpen("read"));
    KILN_RETURN_IF_ERROR(CheckRange("read", offset, out.size()));
    size_t done_bytes = 0;
    // Each pass moves at least one byte or stops, so out.size() bounds it.
    while (done_bytes < out.size()) {
      const size_t want_bytes = std::min(out.size() - done_bytes, kMaxTransferBytes);
      const ssize_t got = RetryOnInterrupt([&] {
        return ::pread(fd_, out.data() + done_bytes, want_bytes,
                       static_cast<off_t>(offset + done_bytes));
      });
      if (got < 0) return ErrnoStatus("read", path_, errno);
      if (got == 0) break;  // end of file
      done_bytes += static_cast<size_t>(got);
    }
    return done_bytes;
  }

  absl::StatusOr<std::shared_ptr<const MappedFile>> Map(uint64_t size_bytes) override {
    KILN_RETURN_IF_ERROR(CheckOpen("map"));
    KILN_RETURN_IF_ERROR(CheckRange("map", 0, size_bytes));
    KILN_ASSIGN_OR_RETURN(const uint64_t file_bytes, Size());
    if (size_bytes > file_bytes) {
      // Touching a mapped page past the end would raise SIGBUS.
      return absl::OutOfRangeError(absl::StrCat("map ", path_, ": ", size_bytes,
                                                " bytes asked of a file of ", file_bytes));
    }
    if (size_bytes == 0) return std::make_shared<const PosixMappedFile>(nullptr, 0);
    void* address = ::mmap(nullptr, static_cast<size_t>(size_bytes), PROT_READ, MAP_SHARED, fd_, 0);
    if (address == MAP_FAILED) return ErrnoStatus("map", path_, errno);
    return std::make_shared<const PosixMappedFile>(address, static_cast<size_t>(size_bytes));
  }

  absl::Status StartWriteback(uint64_t offset, uint64_t size_bytes) override {
    KILN_RETURN_IF_ERROR(CheckOpen("start writeback"));
    KILN_RETURN_IF_ERROR(CheckRange("start writeback", offset, size_bytes));
    if (RetryOnInterrupt([&] {
          return ::sync_file_range(fd_, static_cast<off_t>(offset),
                                   static_cast<off_t>(size_bytes), SYNC_FILE_RANGE_WRITE);
        }) != 0) {
      return ErrnoStatus("start writeback", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, std::string_view data) override {
    KILN_RETURN_IF_ERROR(CheckWritable("write"));
    return WriteAt(offset, data);
  }

  absl::Status Append(std::string_view data) override {
    KILN_RETURN_IF_ERROR(CheckWritable("append"));
    if (!end_offset_.has_value()) {
      KILN_ASSIGN_OR_RETURN(end_offset_, Size());
    }
    return WriteAt(*end_offset_, data);
  }

  absl::Status Truncate(uint64_t size_bytes) override {
    KILN_RETURN_IF_ERROR(CheckWritable("truncate"));
    KILN_RETURN_IF_ERROR(CheckRange("truncate", size_bytes, 0));
    if (RetryOnInterrupt([&] { return ::ftruncate(fd_, static_cast<off_t>(size_bytes)); }) != 0) {
      end_offset_.reset();
      return ErrnoStatus("truncate", path_, errno);
    }
    end_offset_ = size_bytes;
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    KILN_RETURN_IF_ERROR(CheckOpen("sync"));
    if (RetryOnInterrupt([&] { return ::fsync(fd_); }) != 0) {
      return ErrnoStatus("sync", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status SyncData() override {
    KILN_RETURN_IF_ERROR(CheckOpen("sync data"));
    if (RetryOnInterrupt([&] { return ::fdatasync(fd_); }) != 0) {
      return ErrnoStatus("sync data", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    KILN_RETURN_IF_ERROR(CheckOpen("size"));
    struct stat info = {};
    if (::fstat(fd_, &info) != 0) return ErrnoStatus("size", path_, errno);
    return static_cast<uint64_t>(info.st_size);
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int fd = fd_;
    fd_ = -1;
    // Never retry close: on Linux the descriptor is gone even after EINTR, and
    // a retry could close a descriptor another thread has just been given.
    if (::close(fd) != 0) return ErrnoStatus("close", path_, errno);
    return absl::OkStatus();
  }

 private:
  absl::Status CheckOpen(std::string_view operation) const {
    if (fd_ < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          absl::string_view(operation.data(), operation.size()), " ", path_, ": file is closed"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckWritable(std::string_view operation) const {
    KILN_RETURN_IF_ERROR(CheckOpen(operation));
    if (!writable_) {
      return absl::FailedPreconditionError(
          absl::StrCat(absl::string_view(operation.data(), operation.size()), " ", path_,
                       ": file is open read-only"));
    }
    return absl::OkStatus();
  }

  // off_t is signed: a range ending past its maximum would wrap to a negative offset.
  absl::Status CheckRange(std::string_view operation, uint64_t offset, size_t size_bytes) const {
    constexpr uint64_t kMaxOffset = static_cast<uint64_t>(std::numeric_limits<off_t>::max());
    if (offset > kMaxOffset || size_bytes > kMaxOffset - offset) {
      return absl::InvalidArgumentError(
          absl::StrCat(absl::string_view(operation.data(), operation.size()), " ", path_,
                       ": range at ", offset, " of ", size_bytes, " bytes is too large"));
    }
    return absl::OkStatus();
  }

  // Writes all of data at offset and keeps end_offset_ in step.
  absl::Status WriteAt(uint64_t offset, std::string_view data) {
    KILN_RETURN_IF_ERROR(CheckRange("write", offset, data.size()));
    size_t done_bytes = 0;
    // Each pass moves at least one byte or fails, so data.size() bounds it.
    while (done_bytes < data.size()) {
      const size_t want_bytes = std::min(data.size() - done_bytes, kMaxTransferBytes);
      const ssize_t put = RetryOnInterrupt([&] {
        return ::pwrite(fd_, data.data() + done_bytes, want_bytes,
                        static_cast<off_t>(offset + done_bytes));
      });
      if (put <= 0) {
        // A failed write may have extended the file partway: ask fstat next time.
        end_offset_.reset();
        return ErrnoStatus("write", path_, put < 0 ? errno : EIO);
      }
      done_bytes += static_cast<size_t>(put);
    }
    if (end_offset_.has_value()) end_offset_ = std::max(*end_offset_, offset + data.size());
    return absl::OkStatus();
  }

  int fd_;  // -1 once closed
  const std::string path_;
  const bool writable_;
  // Where Append writes next; empty when a failure left it uncertain.
  std::optional<uint64_t> end_offset_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<File>> OpenPosixFile(std::string_view path, OpenMode mode) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  const int fd = RetryOnInterrupt(
      [&] { return ::open(c_path.c_str(), OpenFlags(mode) | O_CLOEXEC, kNewFileMode); });
  if (fd < 0) return ErrnoStatus("open", path, errno);
  struct stat info = {};
  if (::fstat(fd, &info) != 0) {
    const int error_number = errno;
    ::close(fd);
    return ErrnoStatus("open", path, error_number);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return ErrnoStatus("open", path, S_ISDIR(info.st_mode) ? EISDIR : EINVAL);
  }
  const bool writable = mode != OpenMode::kRead;
  return std::make_unique<PosixFile>(fd, c_path, writable, static_cast<uint64_t>(info.st_size));
}

}  // namespace kiln::internal
