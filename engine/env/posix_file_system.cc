#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "env/posix_env.h"
#include "env/posix_error.h"
#include "env/posix_file.h"
#include "kiln/status.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

using internal::CPath;
using internal::ErrnoStatus;
using internal::RetryOnInterrupt;

constexpr mode_t kNewDirMode = 0755;

// A database directory holds a few thousand files at most; a listing far past
// that means the path is not one of ours, and is refused rather than buffered.
constexpr size_t kMaxDirEntries = size_t{1} << 20;

absl::Status SyncDirAt(const std::string& path) {
  const int fd =
      RetryOnInterrupt([&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return ErrnoStatus("sync dir", path, errno);
  const int result = RetryOnInterrupt([&] { return ::fsync(fd); });
  const int error_number = errno;
  ::close(fd);
  if (result != 0) return ErrnoStatus("sync dir", path, error_number);
  return absl::OkStatus();
}

// REQUIRES: dir is open. Appends the names in dir, except "." and "..".
absl::Status ReadNames(DIR* dir, const std::string& path, std::vector<std::string>& names) {
  // Each pass consumes one entry; kMaxDirEntries bounds the passes that keep one.
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) return ErrnoStatus("list dir", path, errno);
      return absl::OkStatus();
    }
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    if (names.size() >= kMaxDirEntries) {
      return IOError(absl::StrCat("list dir ", path, ": more than ", kMaxDirEntries, " entries"));
    }
    names.emplace_back(name);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<File>> PosixFileSystem::OpenFile(std::string_view path,
                                                                OpenMode mode) {
  return internal::OpenPosixFile(path, mode);
}

absl::Status PosixFileSystem::CreateDir(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  if (::mkdir(c_path.c_str(), kNewDirMode) != 0) return ErrnoStatus("create dir", path, errno);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::RemoveDir(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  if (::rmdir(c_path.c_str()) != 0) {
    // POSIX lets rmdir report a non-empty directory as EEXIST.
    return ErrnoStatus("remove dir", path, errno == EEXIST ? ENOTEMPTY : errno);
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::RemoveFile(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  if (::unlink(c_path.c_str()) != 0) return ErrnoStatus("remove file", path, errno);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::Rename(std::string_view source, std::string_view target) {
  KILN_ASSIGN_OR_RETURN(const std::string c_source, CPath(source));
  KILN_ASSIGN_OR_RETURN(const std::string c_target, CPath(target));
  if (std::rename(c_source.c_str(), c_target.c_str()) != 0) {
    return ErrnoStatus("rename", absl::StrCat(c_source, " -> ", c_target), errno);
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::SyncDir(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  return SyncDirAt(c_path);
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::ListDir(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  // open + fdopendir rather than opendir, to say O_CLOEXEC explicitly.
  const int fd =
      RetryOnInterrupt([&] { return ::open(c_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return ErrnoStatus("list dir", path, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int error_number = errno;
    ::close(fd);
    return ErrnoStatus("list dir", path, error_number);
  }
  std::vector<std::string> names;
  const absl::Status status = ReadNames(dir, c_path, names);
  ::closedir(dir);  // also closes fd
  KILN_RETURN_IF_ERROR(status);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<uint64_t> PosixFileSystem::FileSize(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  struct stat info = {};
  if (::stat(c_path.c_str(), &info) != 0) return ErrnoStatus("file size", path, errno);
  if (S_ISDIR(info.st_mode)) return ErrnoStatus("file size", path, EISDIR);
  return static_cast<uint64_t>(info.st_size);
}

absl::StatusOr<bool> PosixFileSystem::Exists(std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const std::string c_path, CPath(path));
  struct stat info = {};
  if (::stat(c_path.c_str(), &info) == 0) return true;
  // ENOTDIR: a component of the path is a file, so nothing can be below it.
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ErrnoStatus("exists", path, errno);
}

absl::StatusOr<std::unique_ptr<FileLock>> PosixFileSystem::LockFile(std::string_view path) {
  return internal::LockPosixFile(path);
}

}  // namespace kiln
