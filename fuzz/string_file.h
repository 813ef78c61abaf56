// A read-only kiln::File over bytes in memory, for targets that hand a parser
// a file without a filesystem. Never yields; writes fail with
// FailedPrecondition, as on a handle opened kRead.
#ifndef KILN_FUZZ_STRING_FILE_H_
#define KILN_FUZZ_STRING_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kiln/env.h"

namespace kiln::fuzz {

class StringFile final : public File {
 public:
  // REQUIRES: bytes outlives the file.
  explicit StringFile(std::string_view bytes) : bytes_(bytes) {}

  [[nodiscard]] absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override;
  [[nodiscard]] absl::Status Write(uint64_t offset, std::string_view data) override;
  [[nodiscard]] absl::Status Append(std::string_view data) override;
  [[nodiscard]] absl::Status Truncate(uint64_t size_bytes) override;
  [[nodiscard]] absl::Status Sync() override { return absl::OkStatus(); }
  [[nodiscard]] absl::Status SyncData() override { return absl::OkStatus(); }
  [[nodiscard]] absl::StatusOr<uint64_t> Size() override { return bytes_.size(); }
  [[nodiscard]] absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string_view bytes_;
};

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_STRING_FILE_H_
