// BarrierFileSystem: a pass-through FileSystem that calls a hook just before
// each durability barrier reaches the filesystem below it, so a test can look
// at (and copy) the disk's pending state at exactly the instants where what a
// crash may keep changes shape:
//   File::Sync, File::SyncData   a file's data becomes durable;
//   FileSystem::SyncDir          a directory's entry operations become durable;
//   Rename onto a file whose base name is CURRENT
//                                the atomic switch that makes a new manifest
//                                the database's (a barrier for the manifest,
//                                though the filesystem treats it as any rename).
// Every other call is forwarded untouched and calls no hook.
//
// The hook may also make a sync or sync_dir a lie (BarrierAction::kIgnore):
// success is reported and nothing becomes durable, like a disk that ignores
// flushes. Self-checks use this to show that lost durability is caught.
//
// Place it directly above the crash-simulating disk (below the simulator's
// SimFileSystem), so no other fiber runs between the hook and the barrier.
//
// Thread-safety: as the base filesystem's; the hook runs on the caller's task.
#ifndef KILN_PROPS_BARRIER_FILE_SYSTEM_H_
#define KILN_PROPS_BARRIER_FILE_SYSTEM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/env.h"

namespace kiln::props {

enum class BarrierKind : uint8_t { kSync, kSyncData, kSyncDir, kRenameCurrent };

std::string_view BarrierKindName(BarrierKind kind);

// What happens to a barrier once the hook has seen it.
enum class BarrierAction : uint8_t {
  kPass,    // it reaches the base filesystem
  kIgnore,  // sync / sync_dir: OK is returned, the base never sees it;
            // a rename onto CURRENT still happens (it is not only a barrier)
};

struct BarrierEvent {
  BarrierKind kind = BarrierKind::kSync;
  // The file synced, the directory synced, or the rename's target.
  std::string path;

  // e.g. "sync_dir /db"; for reports.
  std::string ToString() const;
};

class BarrierFileSystem final : public FileSystem {
 public:
  // Called before the barrier is passed to the base. It must not call back
  // into this filesystem.
  using Hook = std::function<BarrierAction(const BarrierEvent&)>;

  // REQUIRES: base outlives this filesystem and every File it returns.
  BarrierFileSystem(FileSystem& base, Hook hook);

  // Each may yield (if the base does).
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
  friend class BarrierFile;

  // Calls the hook; true if the barrier should reach the base.
  bool Notify(BarrierKind kind, std::string_view path) const;

  FileSystem& base_;
  const Hook hook_;
};

}  // namespace kiln::props

#endif  // KILN_PROPS_BARRIER_FILE_SYSTEM_H_
