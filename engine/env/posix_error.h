// Helpers shared by the POSIX filesystem's files: errno to Status, EINTR
// retries, and turning a path into a C string.
#ifndef KILN_ENV_POSIX_ERROR_H_
#define KILN_ENV_POSIX_ERROR_H_

#include <cerrno>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kiln::internal {

// A call interrupted this many times in a row is reported as an IOError
// (EINTR) rather than retried forever.
inline constexpr int kMaxInterruptedRetries = 1000;

// The Status for a failed system call. The kind follows error_number
// (see PosixFileSystem); the message reads "<operation> <path>: <strerror>".
absl::Status ErrnoStatus(std::string_view operation, std::string_view path, int error_number);

// path as a NUL-terminated string; InvalidArgument if it holds a NUL byte,
// which the kernel would silently treat as the end of the path.
absl::StatusOr<std::string> CPath(std::string_view path);

// Runs call() again while it fails with EINTR, at most kMaxInterruptedRetries
// times. Returns call()'s last result; errno is meaningful when it is -1.
template <typename Call>
auto RetryOnInterrupt(Call call) -> decltype(call()) {
  for (int attempt = 0;; ++attempt) {
    const auto result = call();
    if (result != -1 || errno != EINTR || attempt == kMaxInterruptedRetries) return result;
  }
}

}  // namespace kiln::internal

#endif  // KILN_ENV_POSIX_ERROR_H_
