// The simulation's view of a filesystem: every FileSystem and File call is a
// scheduling point (the seeded scheduler may run another fiber first), is
// folded into the trace (operation, path, sizes, a hash of the bytes, the
// result), and fails with IOError while the runtime is crashing, so the disk
// is frozen at the crash instant while the engine's code winds down.
//
// Calls from the driver (outside every fiber) are allowed for setup and
// checks; they are traced but not scheduling points.
#ifndef KILN_SIM_SIM_FILE_SYSTEM_H_
#define KILN_SIM_SIM_FILE_SYSTEM_H_

#include <memory>
#include <string_view>

#include "kiln/env.h"
#include "sim/runtime.h"

namespace kiln::sim {

class SimFileSystem final : public FileSystem {
 public:
  // REQUIRES: base and runtime outlive this filesystem and its files.
  SimFileSystem(FileSystem& base, Runtime& runtime) : base_(base), runtime_(runtime) {}

  // Each may yield.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(std::string_view path,
                                                               OpenMode mode) override;
  [[nodiscard]] absl::Status CreateDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveFile(std::string_view path) override;
  [[nodiscard]] absl::Status Rename(std::string_view source, std::string_view target) override;
  [[nodiscard]] absl::Status SyncDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<uint64_t> FileSize(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<bool> Exists(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<FileLock>> LockFile(std::string_view path) override;

 private:
  friend class SimFile;

  // The scheduling point before an operation. Returns false if the runtime
  // is crashing (the caller then fails the operation without touching base).
  bool Enter();
  // Folds "op path detail -> result" into the trace.
  void Record(std::string_view op, std::string_view path, std::string_view detail,
              const absl::Status& result);

  FileSystem& base_;
  Runtime& runtime_;
};

// IOError returned by every I/O call while the runtime is crashing.
absl::Status CrashedDiskError();

}  // namespace kiln::sim

#endif  // KILN_SIM_SIM_FILE_SYSTEM_H_
