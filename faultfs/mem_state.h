// MemFileSystem's internal state: inodes, pending operations and the helpers
// shared by the filesystem operations (mem_file_system.cc) and the crash
// machinery (mem_file_system_crash.cc). Not part of faultfs's API.
//
// Invariants (with the mutex held, between calls):
//  1. inodes[kRootInode] exists and is a directory.
//  2. For every file, data == durable_data with every op in pending applied in
//     order, and pending.size() <= kMaxPendingDataOpsPerInode.
//  3. dir_ops is sorted by seq; every prerequisite seq is smaller than the op's.
//     A pending operation's prerequisites are pending or durable; if one is
//     durable, so is everything it depends on.
//  4. last_dir_op_on_name / last_dir_op_on_inode name only pending operations.
//  5. Every inode named by a current entry, a durable entry of an inode in the
//     map, a pending directory operation or an open handle is in the map
//     (Sweep removes only inodes none of these name).
#ifndef KILN_FAULTFS_MEM_STATE_H_
#define KILN_FAULTFS_MEM_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "faultfs/mem_file_system.h"

namespace kiln::faultfs::internal {

inline constexpr uint64_t kNoInode = 0;
inline constexpr uint64_t kRootInode = 1;
// Sweep when the inode map has grown past twice its size after the last sweep,
// but never for fewer than this many inodes.
inline constexpr size_t kMinSweepThreshold = 64;

struct DataOp {
  PendingDataOpKind kind = PendingDataOpKind::kWrite;
  uint64_t offset = 0;     // kWrite: where; kTruncate: the new size
  std::string bytes = {};  // kWrite only
};

// Applies op to data, zero-extending as a write past the end or a growing
// truncate does.
void ApplyDataOp(const DataOp& op, std::string& data);

// A directory's entries: name -> inode id, sorted bytewise.
using Entries = std::map<std::string, uint64_t>;

struct Inode {
  uint64_t id = kNoInode;
  bool is_dir = false;
  // Files.
  std::string data = {};  // current view
  std::string durable_data = {};
  std::vector<DataOp> pending = {};
  // > data.size(): a handle with mapped appends (File::MapAppends) has
  // reserved the file up to here, so a crash leaves zeros up to it after
  // whatever bytes survive. 0 after a synced Close trims the reservation.
  uint64_t reserved_end = 0;
  // Directories.
  Entries entries = {};  // current view
  Entries durable_entries = {};
  // Handles of the current generation open on this inode.
  uint32_t open_handles = 0;
};

struct DirOp {
  uint64_t seq = 0;
  DirOpKind kind = DirOpKind::kCreate;
  // The directory and name created, removed or (rename) renamed from.
  uint64_t dir_id = kNoInode;
  std::string name = {};
  // Rename only: where to.
  uint64_t target_dir_id = kNoInode;
  std::string target_name = {};
  // The inode created, removed or renamed; for a rename, the inode the target
  // name referred to before (kNoInode if none).
  uint64_t inode_id = kNoInode;
  uint64_t replaced_inode_id = kNoInode;
  // For each name and inode the operation involves, the latest earlier
  // operation involving it: keeping this operation requires keeping those,
  // and (transitively) theirs, so operations on one name or inode stay in
  // order.
  std::vector<uint64_t> prerequisite_seqs = {};
  std::string description = {};
};

bool TouchesDir(const DirOp& op, uint64_t dir_id);

// Applies op to durable directory entries. entries_of(dir_id) returns the
// mutable Entries of that directory.
template <typename EntriesOf>
void ApplyDirOp(const DirOp& op, EntriesOf&& entries_of) {
  switch (op.kind) {
    case DirOpKind::kCreate:
    case DirOpKind::kMkdir:
      entries_of(op.dir_id)[op.name] = op.inode_id;
      return;
    case DirOpKind::kRemove:
    case DirOpKind::kRmdir:
    case DirOpKind::kRename: {
      Entries& source = entries_of(op.dir_id);
      // Erase only our own entry: if the operation that created it was not
      // kept, the name is absent (prerequisites keep it from naming another).
      auto it = source.find(op.name);
      if (it != source.end() && it->second == op.inode_id) source.erase(it);
      if (op.kind == DirOpKind::kRename) entries_of(op.target_dir_id)[op.target_name] = op.inode_id;
      return;
    }
  }
}

// Streams a directory tree into XXH3: each path in sorted order with its kind
// and, for files, its bytes. entries_of(id) returns const Entries* (nullptr
// for a file); bytes_of(id) returns a file's std::string_view.
uint64_t HashTree(const std::function<const Entries*(uint64_t)>& entries_of,
                  const std::function<std::string_view(uint64_t)>& bytes_of);

// Where a path points, from the current view.
struct Located {
  std::vector<std::string> components = {};
  uint64_t parent_id = kNoInode;  // kNoInode for the root
  std::string name = {};          // empty for the root
  uint64_t inode_id = kNoInode;   // kNoInode if the name is free
};

struct MemState {
  MemState();
  // Copies everything except the mutex, handles and locks. REQUIRES: other's
  // mutex held by the caller.
  explicit MemState(const MemState& other);
  MemState& operator=(const MemState&) = delete;

  // Everything below REQUIRES: mutex held.

  Inode& Get(uint64_t id);
  const Inode& Get(uint64_t id) const;
  // InvalidArgument (malformed), NotFound (a parent is missing),
  // FailedPrecondition (a parent is a file).
  absl::StatusOr<Located> Locate(std::string_view path) const;
  // NoSpace past kMaxInodes.
  absl::StatusOr<uint64_t> NewInode(bool is_dir);
  // NoSpace if one more pending directory operation would pass kMaxPendingDirOps.
  absl::Status CheckDirOpRoom() const;
  // Records a directory operation already applied to the current view.
  // REQUIRES: CheckDirOpRoom() was OK.
  void AppendDirOp(DirOp op);
  // Makes durable every pending operation that touches dir_id, and their
  // prerequisites, in order.
  void SyncDirOps(uint64_t dir_id);
  // Makes a file's current bytes durable.
  void SyncData(Inode& inode);
  // Frees unreachable inodes once the map has doubled since the last sweep.
  void MaybeSweep();
  void Sweep();
  // The position of the pending op with this seq, or dir_ops.size().
  size_t DirOpIndex(uint64_t seq) const;

  mutable std::mutex mutex;
  std::map<uint64_t, Inode> inodes;
  std::vector<DirOp> dir_ops;
  std::set<uint64_t> locked_inodes;
  // The latest pending directory operation involving each (directory, name)
  // and each inode: the source of new operations' prerequisites.
  std::map<std::pair<uint64_t, std::string>, uint64_t> last_dir_op_on_name;
  std::map<uint64_t, uint64_t> last_dir_op_on_inode;
  uint64_t next_inode_id = kRootInode + 1;
  uint64_t next_dir_op_seq = 0;
  uint64_t generation = 0;
  size_t sweep_threshold = kMinSweepThreshold;
  MemFileSystemStats stats;
};

}  // namespace kiln::faultfs::internal

#endif  // KILN_FAULTFS_MEM_STATE_H_
