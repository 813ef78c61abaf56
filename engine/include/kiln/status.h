// Error kinds used across Kiln. Each kind maps onto one absl::StatusCode so a
// caller can switch on status.code(); the helpers below make the intent read.
//
//   Corruption       kDataLoss           not retryable; names the file and offset
//   IOError          kInternal           the storage failed an operation
//   NoSpace          kResourceExhausted  an IOError kind: the device is full
//   Busy             kUnavailable        e.g. another writer holds the lock
//   Conflict         kAborted            a transaction lost a validation race
//   NotFound         kNotFound
//   InvalidArgument  kInvalidArgument    bad input from the caller
#ifndef KILN_STATUS_H_
#define KILN_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kiln {

absl::Status Corruption(std::string_view message);
absl::Status IOError(std::string_view message);
absl::Status NoSpace(std::string_view message);
absl::Status Busy(std::string_view message);
absl::Status Conflict(std::string_view message);

bool IsCorruption(const absl::Status& status);
// True for IOError and NoSpace.
bool IsIOError(const absl::Status& status);
bool IsNoSpace(const absl::Status& status);
bool IsBusy(const absl::Status& status);
bool IsConflict(const absl::Status& status);

}  // namespace kiln

#endif  // KILN_STATUS_H_
