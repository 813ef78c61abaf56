#include "env/posix_error.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "kiln/status.h"

namespace kiln::internal {
namespace {

// strerror_r comes in a GNU form (returns the message) and an XSI form
// (returns 0 and fills the buffer); these overloads accept either.
[[maybe_unused]] const char* StrErrorResult(const char* message, const char* /*buffer*/) {
  return message;
}
[[maybe_unused]] const char* StrErrorResult(int result, const char* buffer) {
  return result == 0 ? buffer : "unknown error";
}

std::string ErrorMessage(std::string_view operation, std::string_view path, int error_number) {
  char buffer[256] = {};
  const char* text = StrErrorResult(strerror_r(error_number, buffer, sizeof(buffer)), buffer);
  return absl::StrCat(absl::string_view(operation.data(), operation.size()), " ",
                      absl::string_view(path.data(), path.size()), ": ", text);
}

}  // namespace

absl::Status ErrnoStatus(std::string_view operation, std::string_view path, int error_number) {
  const std::string message = ErrorMessage(operation, path, error_number);
  switch (error_number) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    case ENOSPC:
    case EDQUOT:
      return NoSpace(message);
    case ENOTEMPTY:
    case EISDIR:   // a directory where a file was expected
    case ENOTDIR:  // a file where a directory was expected
      // Same kinds as faultfs::MemFileSystem: the caller's mistake, not the device's.
      return absl::FailedPreconditionError(message);
    default:
      return IOError(message);
  }
}

absl::StatusOr<std::string> CPath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("path contains a NUL byte");
  }
  return std::string(path);
}

}  // namespace kiln::internal
