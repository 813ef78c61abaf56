// MemFileSystem: an in-memory kiln::FileSystem that remembers what a real disk
// would lose in a crash. DESIGN.md, "The crash and fault model", is the spec.
//
// Model:
//  1. Files and directories are inodes, numbered in creation order from 1 (the
//     root). Ids never repeat, so a CrashChoice can name them in text.
//  2. A file has durable bytes and an ordered list of pending data operations
//     (write at an offset; truncate to a size; Append is a write at the end).
//     Its current bytes are the durable bytes with every pending operation
//     applied. Sync/SyncData make the current bytes durable.
//  3. A directory has durable entries and current entries. Every entry change
//     (create file, remove, rename, mkdir, rmdir) is appended to ONE global
//     ordered list of pending directory operations; each names the
//     directories it touches (a rename may touch two) and the inodes involved.
//     An operation's prerequisites are the earlier pending operations on the
//     same entry name or the same inode; it never becomes durable (by SyncDir
//     or a crash) without them. SyncDir(d) makes durable every pending operation touching d, with
//     its prerequisites, applying them to the durable entries in order.
//  4. A crash (ApplyCrash) keeps the durable state plus the pending state a
//     CrashChoice selects; the result becomes the new durable state with
//     nothing pending. An inode survives only if a durable name reachable from
//     the root refers to it, so a directory whose mkdir never became durable
//     vanishes with everything under it.
//  5. A handle with mapped appends (File::MapAppends) reserves its file
//     ahead; while the reservation stands (until a Close after a Sync of that
//     handle), a crash leaves the file zero-extended to it.
//  6. Handles and locks belong to a crash generation. A crash bumps it: every
//     older handle then fails with IOError, and every lock is released.
//
// Renaming a directory is not supported (FailedPrecondition); the engine never
// does it, and it would let crash states form cycles.
//
// This filesystem never yields or schedules; the simulator wraps it to add
// scheduling points. Thread-safety: every method is safe to call concurrently
// (one internal std::mutex; this is test infrastructure, not engine code).
#ifndef KILN_FAULTFS_MEM_FILE_SYSTEM_H_
#define KILN_FAULTFS_MEM_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultfs/crash_choice.h"
#include "faultfs/crash_policy.h"
#include "faultfs/mem_path.h"
#include "kiln/env.h"
#include "kiln/random.h"

namespace kiln::faultfs {

// Bounds. Exceeding one is an operating error (NoSpace), never an assertion.
inline constexpr uint64_t kMaxFileSizeBytes = uint64_t{1} << 30;
inline constexpr size_t kMaxPendingDataOpsPerInode = size_t{1} << 20;
inline constexpr size_t kMaxPendingDirOps = size_t{1} << 14;
inline constexpr size_t kMaxInodes = size_t{1} << 20;
// A file with mapped appends (File::MapAppends) reserves at most this much
// at a time, so the zeros a crash leaves after it stay small.
inline constexpr uint64_t kMaxReserveStepBytes = uint64_t{8} << 10;

struct MemFileSystemStats {
  uint64_t bytes_written = 0;   // Write and Append payload bytes
  uint64_t data_syncs = 0;      // Sync and SyncData calls that succeeded
  uint64_t dir_syncs = 0;       // SyncDir calls that succeeded
  // Directory operations (create, remove, rename, mkdir, rmdir) performed,
  // each pending until a SyncDir; a crash trigger counts these.
  uint64_t dir_ops = 0;
  uint64_t unsynced_drops = 0;  // DropUnsyncedData calls that succeeded
  uint64_t crashes = 0;         // ApplyCrash calls that succeeded
};

// A read-only description of the pending state, for the crash enumerator and
// for reports.
enum class PendingDataOpKind : uint8_t { kWrite, kTruncate };
struct PendingDataOp {
  PendingDataOpKind kind = PendingDataOpKind::kWrite;
  // kWrite: the byte range written. kTruncate: offset is the new size, length 0.
  uint64_t offset = 0;
  uint64_t length = 0;
};
struct PendingInode {
  uint64_t inode_id = 0;
  std::vector<PendingDataOp> ops = {};
};
enum class DirOpKind : uint8_t { kCreate, kRemove, kRename, kMkdir, kRmdir };
struct PendingDirOp {
  DirOpKind kind = DirOpKind::kCreate;
  std::string description = {};  // e.g. "rename /db/a.tmp -> /db/CURRENT"
  // Indices (into PendingState::dir_ops) of the earlier operations this one
  // directly depends on (the latest earlier one on each of its names and
  // inodes): a crash keeps it only if it keeps them, hence transitively all
  // earlier operations on its names and inodes.
  std::vector<uint64_t> prerequisites = {};
};
struct PendingState {
  std::vector<PendingInode> inodes = {};   // only inodes with pending data, by id
  std::vector<PendingDirOp> dir_ops = {};  // global order
};

namespace internal {
struct MemState;
}  // namespace internal

class MemFileSystem final : public kiln::FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;
  MemFileSystem(const MemFileSystem&) = delete;
  MemFileSystem& operator=(const MemFileSystem&) = delete;

  // kiln::FileSystem. Errors as on a POSIX filesystem: NotFound (missing file
  // or parent), AlreadyExists, FailedPrecondition (non-empty RemoveDir, write
  // on a kRead handle, use after Close, a directory where a file is expected
  // or the reverse), Busy (lock held), InvalidArgument (malformed path, see
  // mem_path.h), NoSpace (a bound above). Handles and locks may outlive the
  // filesystem object safely (they share its state).
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

  // --- Crashes -------------------------------------------------------------

  // Picks which pending state survives a crash under policy, drawing only
  // from random (directory operations first, then inodes by id), so the same
  // filesystem state and seed give the same choice.
  CrashChoice ChooseCrash(const CrashPolicy& policy, Random& random) const;
  // Replaces the filesystem with durable state + the pending state choice
  // selects, which becomes durable with nothing pending; bumps the crash
  // generation (stale handles, released locks). InvalidArgument, changing
  // nothing, if choice does not fit the current pending state (wrong number
  // of directory operations, unknown inode or operation index, a kept
  // directory operation without its prerequisites, a torn write whose sector
  // list does not match the write).
  [[nodiscard]] absl::Status ApplyCrash(const CrashChoice& choice);
  // ChooseCrash then ApplyCrash; returns the choice for logs and scenarios.
  CrashChoice Crash(const CrashPolicy& policy, Random& random);

  // ContentHash() of the state ApplyCrash(choice) would produce; changes nothing.
  [[nodiscard]] absl::StatusOr<uint64_t> CrashContentHash(const CrashChoice& choice) const;
  // Ids of the files with pending data that would survive a crash keeping
  // exactly kept_dir_ops (one per pending directory operation), by id.
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> CrashSurvivors(
      const std::vector<bool>& kept_dir_ops) const;
  PendingState DescribePending() const;
  bool HasPendingState() const;
  // Starts at 0; ApplyCrash adds one.
  uint64_t crash_generation() const;

  // --- Inspection ----------------------------------------------------------

  // A deep copy, pending state included; open handles and locks are not copied.
  std::unique_ptr<MemFileSystem> Clone() const;
  // XXH3 of the current view: every path in sorted order with its kind and
  // bytes. Inode ids, pending structure and generation do not contribute.
  uint64_t ContentHash() const;
  // ContentHash of what a crash keeping nothing pending would leave.
  uint64_t DurableContentHash() const;
  // Paths, sizes, durable sizes and pending counts; deterministic.
  std::string DebugDump() const;
  MemFileSystemStats Stats() const;

 private:
  explicit MemFileSystem(std::shared_ptr<internal::MemState> state);

  std::shared_ptr<internal::MemState> state_;
};

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_MEM_FILE_SYSTEM_H_
