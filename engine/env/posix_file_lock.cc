// LockPosixFile (declared in posix_file.h): flock plus a process-wide set of
// held paths; why both is explained on PosixFileSystem in posix_env.h.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "env/posix_error.h"
#include "env/posix_file.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::internal {
namespace {

constexpr mode_t kLockFileMode = 0644;

// The paths this process holds locks on, exactly as they were passed.
class HeldPaths {
 public:
  static HeldPaths& Get() {
    // Never destroyed: a lock may be released after static destructors run.
    static HeldPaths* const held = new HeldPaths();
    return *held;
  }

  // False if path is already held.
  bool Insert(const std::string& path) {
    std::lock_guard<std::mutex> guard(mutex_);
    return paths_.insert(path).second;
  }

  void Erase(const std::string& path) {
    std::lock_guard<std::mutex> guard(mutex_);
    const size_t erased = paths_.erase(path);
    KILN_ASSERT(erased == 1);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> paths_;  // guarded by mutex_
};

class PosixFileLock final : public FileLock {
 public:
  // REQUIRES: fd holds flock(LOCK_EX) on path, and path is in HeldPaths.
  PosixFileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    KILN_ASSERT(fd_ >= 0);
  }

  // Closing the only descriptor of the open file description drops the flock.
  // Forget the path only afterwards, so a new LockFile in this process cannot
  // slip in and find the file still locked by us.
  ~PosixFileLock() override {
    ::close(fd_);
    HeldPaths::Get().Erase(path_);
  }

  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  const int fd_;
  const std::string path_;
};

absl::StatusOr<int> OpenAndLock(const std::string& path) {
  const int fd = RetryOnInterrupt(
      [&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kLockFileMode); });
  if (fd < 0) return ErrnoStatus("lock", path, errno);
  if (RetryOnInterrupt([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
    const int error_number = errno;
    ::close(fd);
    if (error_number == EWOULDBLOCK || error_number == EAGAIN || error_number == EACCES) {
      return Busy(absl::StrCat("lock ", path, ": locked by another holder"));
    }
    return ErrnoStatus("lock", path, error_number);
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileLock>> LockPosixFile(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(std::string c_path, CPath(path));
  // Claim the path before opening the file: a second open in this process is
  // harmless for flock, but it would drop the lock where flock is emulated
  // with fcntl locks, which belong to the process and die with any close.
  if (!HeldPaths::Get().Insert(c_path)) {
    return Busy(absl::StrCat("lock ", c_path, ": held by this process"));
  }
  absl::StatusOr<int> fd = OpenAndLock(c_path);
  if (!fd.ok()) {
    HeldPaths::Get().Erase(c_path);
    return fd.status();
  }
  return std::make_unique<PosixFileLock>(*fd, std::move(c_path));
}

}  // namespace kiln::internal
