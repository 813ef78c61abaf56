#include "env/posix_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
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

// How far ahead of the appends a sync of mapped appends writes zeros.
constexpr size_t kZeroAheadBytes = size_t{64} << 10;

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
    if (append_map_.has_value()) {
      // The reserved zeros past the appended bytes are not part of the file.
      const uint64_t end = *end_offset_;
      out = out.first(offset >= end ? 0 : std::min<uint64_t>(out.size(), end - offset));
    }
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
    KILN_RETURN_IF_ERROR(CheckNotMappedAppends("map"));
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
    // Mapped appends start the writeback asked for when Reserve unmaps the
    // range: writing back a page that is still mapped writable first
    // write-protects it, which costs every CPU a TLB flush.
    if (append_map_.has_value()) {
      append_map_->writeback_wanted_end =
          std::max(append_map_->writeback_wanted_end, offset + size_bytes);
      return absl::OkStatus();
    }
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
    KILN_RETURN_IF_ERROR(CheckNotMappedAppends("write"));
    return WriteAt(offset, data);
  }

  absl::Status Append(std::string_view data) override {
    KILN_RETURN_IF_ERROR(CheckWritable("append"));
    if (append_map_.has_value()) return AppendMapped(data);
    if (!end_offset_.has_value()) {
      KILN_ASSIGN_OR_RETURN(end_offset_, Size());
    }
    return WriteAt(*end_offset_, data);
  }

  absl::Status MapAppends(uint64_t reserve_bytes) override {
    KILN_RETURN_IF_ERROR(CheckWritable("map appends"));
    KILN_RETURN_IF_ERROR(CheckNotMappedAppends("map appends"));
    const long page_bytes = ::sysconf(_SC_PAGESIZE);
    KILN_ASSERT(page_bytes > 0);
    const uint64_t page = static_cast<uint64_t>(page_bytes);
    if (reserve_bytes == 0 || reserve_bytes > kMaxTransferBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("map appends ", path_, ": reserve of ", reserve_bytes, " bytes"));
    }
    if (!end_offset_.has_value()) {
      KILN_ASSIGN_OR_RETURN(end_offset_, Size());
    }
    append_map_ = AppendMap{.page_bytes = page,
                            .reserve_bytes = RoundUp(reserve_bytes, page),
                            .reserved_end = *end_offset_};
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size_bytes) override {
    KILN_RETURN_IF_ERROR(CheckWritable("truncate"));
    KILN_RETURN_IF_ERROR(CheckNotMappedAppends("truncate"));
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
    // No zeros ahead: fsync writes the inode anyway (the appends changed
    // its times), and a retired WAL's fsync comes right before its close,
    // which would trim them away.
    UnmapWrittenPages();
    if (RetryOnInterrupt([&] { return ::fsync(fd_); }) != 0) {
      return ErrnoStatus("sync", path_, errno);
    }
    if (append_map_.has_value()) append_map_->synced = true;
    return absl::OkStatus();
  }

  absl::Status SyncData() override {
    KILN_RETURN_IF_ERROR(CheckOpen("sync data"));
    WriteZerosAhead();
    UnmapWrittenPages();
    if (RetryOnInterrupt([&] { return ::fdatasync(fd_); }) != 0) {
      return ErrnoStatus("sync data", path_, errno);
    }
    if (append_map_.has_value()) append_map_->synced = true;
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    KILN_RETURN_IF_ERROR(CheckOpen("size"));
    if (append_map_.has_value()) return *end_offset_;
    struct stat info = {};
    if (::fstat(fd_, &info) != 0) return ErrnoStatus("size", path_, errno);
    return static_cast<uint64_t>(info.st_size);
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    absl::Status status = append_map_.has_value() ? TrimReservation() : absl::OkStatus();
    const int fd = fd_;
    fd_ = -1;
    // Never retry close: on Linux the descriptor is gone even after EINTR, and
    // a retry could close a descriptor another thread has just been given.
    if (::close(fd) != 0 && status.ok()) status = ErrnoStatus("close", path_, errno);
    return status;
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

  absl::Status CheckNotMappedAppends(std::string_view operation) const {
    if (append_map_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat(absl::string_view(operation.data(), operation.size()), " ", path_,
                       ": the file only appends, through a map"));
    }
    return absl::OkStatus();
  }

  static uint64_t RoundUp(uint64_t value, uint64_t multiple) {
    KILN_ASSERT(multiple > 0);
    KILN_ASSERT(value <= UINT64_MAX - multiple);
    return (value + multiple - 1) / multiple * multiple;
  }

  // Copies data into the map after the appended bytes, first reserving
  // (fallocate, so a page fault can never find the disk full) and mapping
  // more of the file if data does not fit.
  absl::Status AppendMapped(std::string_view data) {
    AppendMap& map = *append_map_;
    const uint64_t end = *end_offset_;
    KILN_RETURN_IF_ERROR(CheckRange("append", end, data.size()));
    // Nothing is mapped before the first append and after a failed Reserve.
    if (map.address == nullptr || data.size() > map.reserved_end - end) {
      KILN_RETURN_IF_ERROR(
          Reserve(std::max(map.reserved_end, RoundUp(end + data.size(), map.reserve_bytes))));
    }
    KILN_ASSERT(map.address != nullptr);
    KILN_ASSERT(end + data.size() <= map.map_offset + map.map_bytes);
    uint64_t at = end;
    if (at < map.map_offset) {
      // The rest of a page a sync unmapped (see UnmapWrittenPages): written,
      // not mapped again, so the syncs that follow in this page find no
      // mapped dirty page to write-protect.
      const size_t head_bytes =
          static_cast<size_t>(std::min<uint64_t>(data.size(), map.map_offset - at));
      const absl::Status written = WriteAt(at, data.substr(0, head_bytes));
      // Within the reservation the end stays known even if the write failed.
      end_offset_ = end;
      KILN_RETURN_IF_ERROR(written);
      at += head_bytes;
      data.remove_prefix(head_bytes);
    }
    std::memcpy(static_cast<char*>(map.address) + (at - map.map_offset), data.data(), data.size());
    end_offset_ = at + data.size();
    return absl::OkStatus();
  }

  // Grows the file to new_end (zeros) if it is shorter and maps it from the
  // appended end's page. On failure nothing is mapped; the next append
  // tries again.
  absl::Status Reserve(uint64_t new_end) {
    AppendMap& map = *append_map_;
    KILN_ASSERT(new_end >= map.reserved_end);
    KILN_ASSERT(new_end > *end_offset_);
    const bool was_mapped = map.address != nullptr;
    const uint64_t unmapped_from = map.map_offset;
    Unmap();
    // posix_fallocate returns its error rather than setting errno.
    int error_number = new_end > map.reserved_end ? EINTR : 0;
    for (int attempt = 0; error_number == EINTR && attempt <= kMaxInterruptedRetries; ++attempt) {
      error_number = ::posix_fallocate(fd_, static_cast<off_t>(map.reserved_end),
                                       static_cast<off_t>(new_end - map.reserved_end));
    }
    if (error_number != 0) return ErrnoStatus("reserve", path_, error_number);
    map.reserved_end = new_end;
    const uint64_t map_offset = *end_offset_ / map.page_bytes * map.page_bytes;
    const size_t map_bytes = static_cast<size_t>(new_end - map_offset);
    void* address = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                           static_cast<off_t>(map_offset));
    if (address == MAP_FAILED) return ErrnoStatus("map for appends", path_, errno);
    map.address = address;
    map.map_offset = map_offset;
    map.map_bytes = map_bytes;
    // Fault the whole map in now, in one call: page by page, the faults on a
    // fresh reservation (allocating and zero-filling page-cache pages) were
    // 5% of the fillrandom writer thread (kvbench fillrandom +6%). Read, not
    // write: the reserved zeros stay clean, so no sync writes them back and
    // no sync write-protects them; an append's first write to a page takes
    // only a minor fault. Only a hint: an older kernel refuses it (EINVAL)
    // and the appends fault as before.
    (void)::madvise(address, map_bytes, MADV_POPULATE_READ);
    const uint64_t writeback_end = std::min(map_offset, map.writeback_wanted_end);
    if (was_mapped && writeback_end > unmapped_from) {
      // Only a hint (see StartWriteback); a real I/O problem surfaces at Sync.
      (void)RetryOnInterrupt([&] {
        return ::sync_file_range(fd_, static_cast<off_t>(unmapped_from),
                                 static_cast<off_t>(writeback_end - unmapped_from),
                                 SYNC_FILE_RANGE_WRITE);
      });
    }
    return absl::OkStatus();
  }

  // The reservation is fallocated, which ext4 keeps as unwritten extents:
  // the first append into each block converts it, and the fdatasync after
  // must then write the inode as well, a second synchronous write (every
  // 4.5th sync under eight sync writers appending 900 bytes per sync). So
  // when a SyncData finds the appends past the blocks already written, it
  // writes zeros over the next kZeroAheadBytes first: one conversion, in
  // this sync, covers the syncs of the next 64 KiB of appends. Only a hint:
  // a failed write leaves those blocks to be converted one by one, as before.
  void WriteZerosAhead() {
    if (!append_map_.has_value()) return;
    AppendMap& map = *append_map_;
    const uint64_t end = *end_offset_;
    if (end <= map.zeroed_end) return;
    const uint64_t from = RoundUp(end, map.page_bytes);
    const uint64_t to = std::min(map.reserved_end, from + kZeroAheadBytes);
    map.zeroed_end = std::max(end, to);
    if (to <= from) return;
    static const char kZeros[kZeroAheadBytes] = {};
    // Not WriteAt: these bytes are not appended, end_offset_ stays.
    (void)RetryOnInterrupt([&] {
      return ::pwrite(fd_, kZeros, static_cast<size_t>(to - from), static_cast<off_t>(from));
    });
  }

  // Before a sync: unmaps the pages appends have written, the last one too
  // if they ended mid-page, so writing them back needs no per-page
  // write-protect and TLB-flush IPI to the other cores running this
  // process; one munmap flushes them all at once. The rest of a page cut
  // off mid-way is written by pwrite (AppendMapped), so the next syncs in
  // that page, the common case for small synced writes, find nothing mapped
  // and dirty: one IPI per page, not one per sync. At a memtable switch's
  // fsync those IPIs were 4% of the overwrite writer thread; under eight
  // sync writers, 4% of all CPU, inside the sync every group waits on.
  void UnmapWrittenPages() {
    if (!append_map_.has_value() || append_map_->address == nullptr) return;
    AppendMap& map = *append_map_;
    const uint64_t written_end = RoundUp(*end_offset_, map.page_bytes);
    if (written_end <= map.map_offset) return;
    const size_t unmap_bytes = static_cast<size_t>(written_end - map.map_offset);
    KILN_ASSERT(unmap_bytes <= map.map_bytes);
    if (unmap_bytes == map.map_bytes) {
      Unmap();
      return;
    }
    const int unmapped = ::munmap(map.address, unmap_bytes);
    KILN_ASSERT(unmapped == 0);
    map.address = static_cast<char*>(map.address) + unmap_bytes;
    map.map_offset = written_end;
    map.map_bytes -= unmap_bytes;
  }

  void Unmap() {
    AppendMap& map = *append_map_;
    if (map.address == nullptr) return;
    const int unmapped = ::munmap(map.address, map.map_bytes);
    KILN_ASSERT(unmapped == 0);
    map.address = nullptr;
    map.map_bytes = 0;
  }

  // Close's part for mapped appends: drops the map and the reserved zeros,
  // and makes the trim durable if any of the reservation may be.
  absl::Status TrimReservation() {
    Unmap();
    AppendMap& map = *append_map_;
    const uint64_t end = *end_offset_;
    if (map.reserved_end == end) return absl::OkStatus();
    if (RetryOnInterrupt([&] { return ::ftruncate(fd_, static_cast<off_t>(end)); }) != 0) {
      return ErrnoStatus("trim reservation", path_, errno);
    }
    map.reserved_end = end;
    if (map.synced && RetryOnInterrupt([&] { return ::fdatasync(fd_); }) != 0) {
      return ErrnoStatus("sync trimmed reservation", path_, errno);
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
  // Where Append writes next; empty when a failure left it uncertain (never
  // while appends are mapped).
  std::optional<uint64_t> end_offset_;

  // Set by MapAppends. The file's size on disk is reserved_end: the appended
  // bytes, then zeros. [map_offset, map_offset + map_bytes) is mapped at
  // address (null: nothing mapped) and always ends at reserved_end. The
  // appended end may lie below map_offset, in the page a sync unmapped.
  struct AppendMap {
    uint64_t page_bytes = 0;
    uint64_t reserve_bytes = 0;  // a multiple of page_bytes
    uint64_t reserved_end = 0;
    void* address = nullptr;
    uint64_t map_offset = 0;
    size_t map_bytes = 0;
    // A Sync or SyncData succeeded: the reserved size may be durable.
    bool synced = false;
    // Blocks before it hold appends or zeros written ahead of them (see
    // WriteZerosAhead).
    uint64_t zeroed_end = 0;
    // StartWriteback asked for bytes before it to be written back.
    uint64_t writeback_wanted_end = 0;
  };
  std::optional<AppendMap> append_map_;
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
