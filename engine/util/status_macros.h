// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef KILN_UTIL_STATUS_MACROS_H_
#define KILN_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KILN_RETURN_IF_ERROR(expression)              \
  do {                                                \
    ::absl::Status kiln_status_ = (expression);       \
    if (!kiln_status_.ok()) [[unlikely]]              \
      return kiln_status_;                            \
  } while (0)

#define KILN_STATUS_CONCAT_INNER_(a, b) a##b
#define KILN_STATUS_CONCAT_(a, b) KILN_STATUS_CONCAT_INNER_(a, b)

// KILN_ASSIGN_OR_RETURN(auto file, fs.OpenFile(path, mode));
#define KILN_ASSIGN_OR_RETURN(lhs, expression) \
  KILN_ASSIGN_OR_RETURN_IMPL_(KILN_STATUS_CONCAT_(kiln_statusor_, __LINE__), lhs, expression)

#define KILN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expression) \
  auto statusor = (expression);                                \
  if (!statusor.ok()) [[unlikely]]                             \
    return std::move(statusor).status();                       \
  lhs = std::move(statusor).value()

#endif  // KILN_UTIL_STATUS_MACROS_H_
