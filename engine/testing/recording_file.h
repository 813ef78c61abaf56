// A File for tests of writers (the WAL, tables) that keeps each successful
// Append's bytes and each writeback hint in memory, and fails every Append
// from the fail_from-th successful one on, to test sticky write errors.
// Reads return nothing; Write is refused (writers only append).
#ifndef KILN_TESTING_RECORDING_FILE_H_
#define KILN_TESTING_RECORDING_FILE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kiln/env.h"
#include "kiln/status.h"

namespace kiln::testing {

class RecordingFile final : public File {
 public:
  explicit RecordingFile(size_t fail_from = SIZE_MAX) : fail_from_(fail_from) {}

  absl::StatusOr<size_t> Read(uint64_t, std::span<char>) override { return size_t{0}; }
  absl::Status Write(uint64_t, std::string_view) override {
    return absl::FailedPreconditionError("a recording file is only appended to");
  }
  absl::Status Append(std::string_view data) override {
    ++append_calls_;
    if (appends_.size() >= fail_from_) return IOError("injected append failure");
    appends_.emplace_back(data);
    size_bytes_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Truncate(uint64_t) override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status SyncData() override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> Size() override { return size_bytes_; }
  absl::Status Close() override { return absl::OkStatus(); }
  absl::Status StartWriteback(uint64_t offset, uint64_t size_bytes) override {
    writebacks_.emplace_back(offset, size_bytes);
    return absl::OkStatus();
  }

  // Every Append call, the failed ones too.
  int append_calls() const { return append_calls_; }
  // The successful appends' bytes, in order.
  const std::vector<std::string>& appends() const { return appends_; }
  const std::vector<std::pair<uint64_t, uint64_t>>& writebacks() const { return writebacks_; }

 private:
  const size_t fail_from_;
  int append_calls_ = 0;
  uint64_t size_bytes_ = 0;
  std::vector<std::string> appends_;
  std::vector<std::pair<uint64_t, uint64_t>> writebacks_;
};

}  // namespace kiln::testing

#endif  // KILN_TESTING_RECORDING_FILE_H_
