#include "fuzz/string_file.h"

#include <algorithm>
#include <cstring>

namespace kiln::fuzz {

absl::StatusOr<size_t> StringFile::Read(uint64_t offset, std::span<char> out) {
  if (offset >= bytes_.size()) return size_t{0};
  const size_t count = std::min<size_t>(out.size(), bytes_.size() - offset);
  if (count > 0) std::memcpy(out.data(), bytes_.data() + offset, count);
  return count;
}

absl::Status StringFile::Write(uint64_t, std::string_view) {
  return absl::FailedPreconditionError("StringFile is read-only");
}

absl::Status StringFile::Append(std::string_view) {
  return absl::FailedPreconditionError("StringFile is read-only");
}

absl::Status StringFile::Truncate(uint64_t) {
  return absl::FailedPreconditionError("StringFile is read-only");
}

}  // namespace kiln::fuzz
