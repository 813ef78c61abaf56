#include "kiln/status.h"

#include <string>

namespace kiln {
namespace {

// Debian's Abseil keeps its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW 0).
absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

absl::Status Corruption(std::string_view message) {
  return absl::DataLossError(std::string("corruption: ").append(message));
}
absl::Status IOError(std::string_view message) { return absl::InternalError(AbslView(message)); }
absl::Status NoSpace(std::string_view message) { return absl::ResourceExhaustedError(AbslView(message)); }
absl::Status Busy(std::string_view message) { return absl::UnavailableError(AbslView(message)); }
absl::Status Conflict(std::string_view message) { return absl::AbortedError(AbslView(message)); }

bool IsCorruption(const absl::Status& status) { return absl::IsDataLoss(status); }
bool IsIOError(const absl::Status& status) {
  return absl::IsInternal(status) || absl::IsResourceExhausted(status);
}
bool IsNoSpace(const absl::Status& status) { return absl::IsResourceExhausted(status); }
bool IsBusy(const absl::Status& status) { return absl::IsUnavailable(status); }
bool IsConflict(const absl::Status& status) { return absl::IsAborted(status); }

}  // namespace kiln
