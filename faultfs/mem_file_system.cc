// MemFileSystem's FileSystem and File operations on the current view; each
// directory change is also recorded as a pending directory operation, each
// data change as a pending data operation (mem_state.h).
#include "faultfs/mem_file_system.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "faultfs/mem_state.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::faultfs {
namespace {

using internal::DataOp;
using internal::DirOp;
using internal::Inode;
using internal::kNoInode;
using internal::kRootInode;
using internal::Located;
using internal::MemState;

absl::Status NotFound(std::string_view what, std::string_view path) {
  return absl::NotFoundError(std::string(what).append(": ").append(path));
}

absl::Status Precondition(std::string_view what, std::string_view path) {
  return absl::FailedPreconditionError(std::string(what).append(": ").append(path));
}

bool IsWritable(OpenMode mode) { return mode != OpenMode::kRead; }

// Applies op to the current view and records it as pending. REQUIRES: mutex held.
absl::Status AddDataOp(MemState& state, Inode& inode, DataOp op, std::string_view path) {
  KILN_ASSERT(!inode.is_dir);
  const uint64_t end =
      op.kind == PendingDataOpKind::kWrite ? op.offset + op.bytes.size() : op.offset;
  if (op.offset > kMaxFileSizeBytes || end > kMaxFileSizeBytes) {
    return NoSpace(
        std::string("MemFileSystem: file would exceed kMaxFileSizeBytes: ").append(path));
  }
  if (op.kind == PendingDataOpKind::kWrite && op.bytes.empty()) return absl::OkStatus();
  if (inode.pending.size() >= kMaxPendingDataOpsPerInode) {
    return NoSpace(
        std::string("MemFileSystem: more than kMaxPendingDataOpsPerInode unsynced operations "
                    "(Sync the file): ")
            .append(path));
  }
  state.stats.bytes_written += op.bytes.size();
  internal::ApplyDataOp(op, inode.data);
  inode.pending.push_back(std::move(op));
  return absl::OkStatus();
}

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<MemState> state, uint64_t inode_id, std::string path, bool writable)
      : state_(std::move(state)),
        inode_id_(inode_id),
        generation_(state_->generation),
        path_(std::move(path)),
        writable_(writable) {}

  ~MemFile() override { (void)Close(); }

  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/false);
    if (!inode.ok()) return inode.status();
    const std::string& data = (*inode)->data;
    if (offset >= data.size()) return size_t{0};
    const size_t count = std::min<uint64_t>(out.size(), data.size() - offset);
    std::memcpy(out.data(), data.data() + offset, count);
    return count;
  }

  absl::Status Write(uint64_t offset, std::string_view data) override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/true);
    if (!inode.ok()) return inode.status();
    return AddOp(
        **inode,
        DataOp{.kind = PendingDataOpKind::kWrite, .offset = offset, .bytes = std::string(data)});
  }

  absl::Status Append(std::string_view data) override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/true);
    if (!inode.ok()) return inode.status();
    KILN_RETURN_IF_ERROR(AddOp(**inode, DataOp{.kind = PendingDataOpKind::kWrite,
                                               .offset = (*inode)->data.size(),
                                               .bytes = std::string(data)}));
    const uint64_t end = (*inode)->data.size();
    if (reserve_step_ > 0 && end > (*inode)->reserved_end) {
      (*inode)->reserved_end =
          std::min(kMaxFileSizeBytes, (end + reserve_step_ - 1) / reserve_step_ * reserve_step_);
    }
    return absl::OkStatus();
  }

  // The model of a reserved, mapped file (env.h): appends as usual, plus
  // the zeros up to the reservation that a crash leaves while the handle is
  // open (mem_crash_image.cc). Reserves at most kMaxReserveStepBytes at a
  // time, which the contract allows and keeps crash images small. Write and
  // Truncate stay allowed, unlike on POSIX: FaultFileSystem's misdirected
  // appends land through Write, as a device's would under a map too.
  absl::Status MapAppends(uint64_t reserve_bytes) override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/true);
    if (!inode.ok()) return inode.status();
    if (reserve_step_ > 0) return Precondition("appends are already mapped", path_);
    if (reserve_bytes == 0) return absl::InvalidArgumentError("MapAppends of 0 bytes: " + path_);
    reserve_step_ = std::min(reserve_bytes, kMaxReserveStepBytes);
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size_bytes) override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/true);
    if (!inode.ok()) return inode.status();
    return AddOp(**inode, DataOp{.kind = PendingDataOpKind::kTruncate, .offset = size_bytes});
  }

  absl::Status Sync() override { return SyncData(); }

  absl::Status SyncData() override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/false);
    if (!inode.ok()) return inode.status();
    state_->SyncData(**inode);
    ++state_->stats.data_syncs;
    synced_ = true;
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/false);
    if (!inode.ok()) return inode.status();
    return (*inode)->data.size();
  }

  absl::Status Close() override {
    std::lock_guard lock(state_->mutex);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    if (generation_ != state_->generation) return Stale();
    Inode& inode = state_->Get(inode_id_);
    KILN_ASSERT(inode.open_handles > 0);
    --inode.open_handles;
    // A synced handle's Close makes the trimmed size durable (env.h).
    if (reserve_step_ > 0 && synced_) inode.reserved_end = 0;
    state_->MaybeSweep();
    return absl::OkStatus();
  }

  absl::Status DropUnsyncedData() override {
    std::lock_guard lock(state_->mutex);
    absl::StatusOr<Inode*> inode = Usable(/*for_write=*/false);
    if (!inode.ok()) return inode.status();
    (*inode)->pending.clear();
    (*inode)->data = (*inode)->durable_data;
    ++state_->stats.unsynced_drops;
    return absl::OkStatus();
  }

 private:
  static absl::Status Stale() { return IOError("stale handle from before a crash"); }

  // The inode, if this handle may be used now. REQUIRES: mutex held.
  absl::StatusOr<Inode*> Usable(bool for_write) {
    if (closed_) return Precondition("file handle is closed", path_);
    if (generation_ != state_->generation) return Stale();
    if (for_write && !writable_) return Precondition("file opened read-only", path_);
    return &state_->Get(inode_id_);
  }

  // REQUIRES: mutex held.
  absl::Status AddOp(Inode& inode, DataOp op) {
    return AddDataOp(*state_, inode, std::move(op), path_);
  }

  const std::shared_ptr<MemState> state_;
  const uint64_t inode_id_;
  const uint64_t generation_;
  const std::string path_;
  const bool writable_;
  bool closed_ = false;
  // > 0 once MapAppends succeeded: the reservation step.
  uint64_t reserve_step_ = 0;
  // A Sync or SyncData of this handle succeeded.
  bool synced_ = false;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<MemState> state, uint64_t inode_id)
      : state_(std::move(state)), inode_id_(inode_id), generation_(state_->generation) {}

  ~MemFileLock() override {
    std::lock_guard lock(state_->mutex);
    // A crash already released every lock of its generation.
    if (generation_ == state_->generation) state_->locked_inodes.erase(inode_id_);
  }

 private:
  const std::shared_ptr<MemState> state_;
  const uint64_t inode_id_;
  const uint64_t generation_;
};

// Finds or creates the file at path as OpenFile(mode) would. REQUIRES: mutex held.
absl::StatusOr<uint64_t> OpenInode(MemState& state, std::string_view path, OpenMode mode) {
  KILN_ASSIGN_OR_RETURN(const Located located, state.Locate(path));
  if (located.inode_id != kNoInode) {
    if (mode == OpenMode::kCreateNew)
      return absl::AlreadyExistsError("exists: " + std::string(path));
    if (state.Get(located.inode_id).is_dir) return Precondition("is a directory", path);
    return located.inode_id;
  }
  if (mode == OpenMode::kRead || mode == OpenMode::kReadWrite) {
    return NotFound("file does not exist", path);
  }
  KILN_RETURN_IF_ERROR(state.CheckDirOpRoom());
  KILN_ASSIGN_OR_RETURN(const uint64_t id, state.NewInode(/*is_dir=*/false));
  state.Get(located.parent_id).entries[located.name] = id;
  state.AppendDirOp(DirOp{.kind = DirOpKind::kCreate,
                          .dir_id = located.parent_id,
                          .name = located.name,
                          .inode_id = id,
                          .description = "create " + JoinPath(located.components)});
  return id;
}

// The existing directory at path. REQUIRES: mutex held.
absl::StatusOr<uint64_t> LocateDir(const MemState& state, std::string_view path) {
  KILN_ASSIGN_OR_RETURN(const Located located, state.Locate(path));
  if (located.inode_id == kNoInode) return NotFound("directory does not exist", path);
  if (!state.Get(located.inode_id).is_dir) return Precondition("not a directory", path);
  return located.inode_id;
}

}  // namespace

MemFileSystem::MemFileSystem() : MemFileSystem(std::make_shared<MemState>()) {}

MemFileSystem::MemFileSystem(std::shared_ptr<internal::MemState> state) : state_(std::move(state)) {
  KILN_ASSERT(state_ != nullptr);
}

MemFileSystem::~MemFileSystem() = default;

absl::StatusOr<std::unique_ptr<File>> MemFileSystem::OpenFile(std::string_view path,
                                                              OpenMode mode) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const uint64_t id, OpenInode(*state_, path, mode));
  Inode& inode = state_->Get(id);
  if (mode == OpenMode::kTruncate) {
    KILN_RETURN_IF_ERROR(
        AddDataOp(*state_, inode, DataOp{.kind = PendingDataOpKind::kTruncate, .offset = 0}, path));
  }
  ++inode.open_handles;
  return std::make_unique<MemFile>(state_, id, std::string(path), IsWritable(mode));
}

absl::Status MemFileSystem::CreateDir(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const Located located, state_->Locate(path));
  if (located.inode_id != kNoInode) return absl::AlreadyExistsError("exists: " + std::string(path));
  KILN_RETURN_IF_ERROR(state_->CheckDirOpRoom());
  KILN_ASSIGN_OR_RETURN(const uint64_t id, state_->NewInode(/*is_dir=*/true));
  state_->Get(located.parent_id).entries[located.name] = id;
  state_->AppendDirOp(DirOp{.kind = DirOpKind::kMkdir,
                            .dir_id = located.parent_id,
                            .name = located.name,
                            .inode_id = id,
                            .description = "mkdir " + JoinPath(located.components)});
  return absl::OkStatus();
}

absl::Status MemFileSystem::RemoveDir(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const Located located, state_->Locate(path));
  if (located.inode_id == kRootInode) {
    return absl::InvalidArgumentError("cannot remove the root directory");
  }
  if (located.inode_id == kNoInode) return NotFound("directory does not exist", path);
  const Inode& dir = state_->Get(located.inode_id);
  if (!dir.is_dir) return Precondition("not a directory", path);
  if (!dir.entries.empty()) return Precondition("directory not empty", path);
  KILN_RETURN_IF_ERROR(state_->CheckDirOpRoom());
  state_->Get(located.parent_id).entries.erase(located.name);
  state_->AppendDirOp(DirOp{.kind = DirOpKind::kRmdir,
                            .dir_id = located.parent_id,
                            .name = located.name,
                            .inode_id = located.inode_id,
                            .description = "rmdir " + JoinPath(located.components)});
  state_->MaybeSweep();
  return absl::OkStatus();
}

absl::Status MemFileSystem::RemoveFile(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const Located located, state_->Locate(path));
  if (located.inode_id == kNoInode) return NotFound("file does not exist", path);
  if (state_->Get(located.inode_id).is_dir) return Precondition("is a directory", path);
  KILN_RETURN_IF_ERROR(state_->CheckDirOpRoom());
  state_->Get(located.parent_id).entries.erase(located.name);
  state_->AppendDirOp(DirOp{.kind = DirOpKind::kRemove,
                            .dir_id = located.parent_id,
                            .name = located.name,
                            .inode_id = located.inode_id,
                            .description = "remove " + JoinPath(located.components)});
  state_->MaybeSweep();
  return absl::OkStatus();
}

absl::Status MemFileSystem::Rename(std::string_view source, std::string_view target) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const Located from, state_->Locate(source));
  KILN_ASSIGN_OR_RETURN(const Located to, state_->Locate(target));
  if (from.inode_id == kRootInode || to.inode_id == kRootInode) {
    return absl::InvalidArgumentError("cannot rename the root directory");
  }
  if (from.inode_id == kNoInode) return NotFound("rename source does not exist", source);
  if (state_->Get(from.inode_id).is_dir) {
    return Precondition("MemFileSystem does not rename directories", source);
  }
  if (to.inode_id != kNoInode && state_->Get(to.inode_id).is_dir) {
    return Precondition("rename target is a directory", target);
  }
  // POSIX: renaming a file onto itself succeeds and changes nothing.
  if (from.inode_id == to.inode_id) return absl::OkStatus();
  KILN_RETURN_IF_ERROR(state_->CheckDirOpRoom());
  state_->Get(from.parent_id).entries.erase(from.name);
  state_->Get(to.parent_id).entries[to.name] = from.inode_id;
  state_->AppendDirOp(DirOp{
      .kind = DirOpKind::kRename,
      .dir_id = from.parent_id,
      .name = from.name,
      .target_dir_id = to.parent_id,
      .target_name = to.name,
      .inode_id = from.inode_id,
      .replaced_inode_id = to.inode_id,
      .description = "rename " + JoinPath(from.components) + " -> " + JoinPath(to.components)});
  state_->MaybeSweep();
  return absl::OkStatus();
}

absl::Status MemFileSystem::SyncDir(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const uint64_t id, LocateDir(*state_, path));
  state_->SyncDirOps(id);
  ++state_->stats.dir_syncs;
  state_->MaybeSweep();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemFileSystem::ListDir(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const uint64_t id, LocateDir(*state_, path));
  std::vector<std::string> names;
  // Entries is a std::map<std::string, ...>: already sorted bytewise.
  for (const auto& [name, child] : state_->Get(id).entries) names.push_back(name);
  return names;
}

absl::StatusOr<uint64_t> MemFileSystem::FileSize(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const Located located, state_->Locate(path));
  if (located.inode_id == kNoInode) return NotFound("file does not exist", path);
  const Inode& inode = state_->Get(located.inode_id);
  if (inode.is_dir) return Precondition("is a directory", path);
  return inode.data.size();
}

absl::StatusOr<bool> MemFileSystem::Exists(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  absl::StatusOr<Located> located = state_->Locate(path);
  if (located.ok()) return located->inode_id != kNoInode;
  // A missing parent, or a file where a parent should be: nothing is there.
  if (absl::IsNotFound(located.status()) || absl::IsFailedPrecondition(located.status())) {
    return false;
  }
  return located.status();
}

absl::StatusOr<std::unique_ptr<FileLock>> MemFileSystem::LockFile(std::string_view path) {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const uint64_t id, OpenInode(*state_, path, OpenMode::kCreate));
  if (!state_->locked_inodes.insert(id).second) {
    return Busy(std::string("lock is held: ").append(path));
  }
  return std::make_unique<MemFileLock>(state_, id);
}

}  // namespace kiln::faultfs
