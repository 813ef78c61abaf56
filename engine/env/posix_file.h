// The File and FileLock behind PosixFileSystem (contracts in posix_env.h).
#ifndef KILN_ENV_POSIX_FILE_H_
#define KILN_ENV_POSIX_FILE_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "kiln/env.h"

namespace kiln::internal {

// Opens path in mode. Directories are refused (EISDIR) so that every handle
// can be read and sized like a regular file.
absl::StatusOr<std::unique_ptr<File>> OpenPosixFile(std::string_view path, OpenMode mode);

// Creates path if missing and locks it exclusively; Busy if this process or
// another holds it.
absl::StatusOr<std::unique_ptr<FileLock>> LockPosixFile(std::string_view path);

}  // namespace kiln::internal

#endif  // KILN_ENV_POSIX_FILE_H_
