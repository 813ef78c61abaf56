// Small helpers for faultfs's one-line text formats (crash policies, crash
// choices). Internal to faultfs.
#ifndef KILN_FAULTFS_TEXT_FIELDS_H_
#define KILN_FAULTFS_TEXT_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace kiln::faultfs::internal {

// Splits on runs of `separator`, dropping empty pieces. Views point into text.
std::vector<std::string_view> SplitFields(std::string_view text, char separator);
// Strips leading and trailing spaces.
std::string_view TrimSpaces(std::string_view text);
// A decimal unsigned integer with no sign, spaces or overflow.
std::optional<uint64_t> ParseDecimal(std::string_view text);
// InvalidArgument("<what>: <detail>") without the absl::string_view dance.
absl::Status TextError(std::string_view what, std::string_view detail);

}  // namespace kiln::faultfs::internal

#endif  // KILN_FAULTFS_TEXT_FIELDS_H_
