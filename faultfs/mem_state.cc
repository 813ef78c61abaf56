#include "faultfs/mem_state.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "kiln/status.h"
#include "util/assert.h"
#include "xxhash.h"

namespace kiln::faultfs::internal {
namespace {

// The inodes and (directory, name) entries an operation involves.
std::vector<uint64_t> InvolvedInodes(const DirOp& op) {
  std::vector<uint64_t> ids = {op.inode_id};
  if (op.replaced_inode_id != kNoInode) ids.push_back(op.replaced_inode_id);
  return ids;
}

std::vector<std::pair<uint64_t, std::string>> InvolvedNames(const DirOp& op) {
  std::vector<std::pair<uint64_t, std::string>> names = {{op.dir_id, op.name}};
  if (op.kind == DirOpKind::kRename) names.emplace_back(op.target_dir_id, op.target_name);
  return names;
}

void HashU64(XXH3_state_t& state, uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  XXH3_64bits_update(&state, bytes, sizeof(bytes));
}

void HashBytes(XXH3_state_t& state, std::string_view bytes) {
  HashU64(state, bytes.size());
  XXH3_64bits_update(&state, bytes.data(), bytes.size());
}

struct TreeHashWalk {
  const std::function<const Entries*(uint64_t)>& entries_of;
  const std::function<std::string_view(uint64_t)>& bytes_of;
  XXH3_state_t& state;

  // Depth is bounded by the path length bound: every level adds a component.
  void Visit(uint64_t id, std::string& path, size_t depth) {
    KILN_ASSERT(depth <= kMaxPathLengthBytes);
    const Entries* entries = entries_of(id);
    if (entries == nullptr) {
      HashU64(state, 'f');
      HashBytes(state, path);
      HashBytes(state, bytes_of(id));
      return;
    }
    HashU64(state, 'd');
    HashBytes(state, path);
    for (const auto& [name, child] : *entries) {
      const size_t length = path.size();
      path.append("/").append(name);
      Visit(child, path, depth + 1);
      path.resize(length);
    }
  }
};

}  // namespace

void ApplyDataOp(const DataOp& op, std::string& data) {
  switch (op.kind) {
    case PendingDataOpKind::kTruncate:
      data.resize(op.offset, '\0');
      return;
    case PendingDataOpKind::kWrite: {
      const uint64_t end = op.offset + op.bytes.size();
      if (data.size() < end) data.resize(end, '\0');
      std::memcpy(data.data() + op.offset, op.bytes.data(), op.bytes.size());
      return;
    }
  }
}

bool TouchesDir(const DirOp& op, uint64_t dir_id) {
  return op.dir_id == dir_id || (op.kind == DirOpKind::kRename && op.target_dir_id == dir_id);
}

uint64_t HashTree(const std::function<const Entries*(uint64_t)>& entries_of,
                  const std::function<std::string_view(uint64_t)>& bytes_of) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  std::string path;
  TreeHashWalk walk{entries_of, bytes_of, state};
  walk.Visit(kRootInode, path, 0);
  return XXH3_64bits_digest(&state);
}

MemState::MemState() {
  Inode root;
  root.id = kRootInode;
  root.is_dir = true;
  inodes.emplace(kRootInode, std::move(root));
}

MemState::MemState(const MemState& other)
    : inodes(other.inodes),
      dir_ops(other.dir_ops),
      last_dir_op_on_name(other.last_dir_op_on_name),
      last_dir_op_on_inode(other.last_dir_op_on_inode),
      next_inode_id(other.next_inode_id),
      next_dir_op_seq(other.next_dir_op_seq),
      generation(other.generation),
      stats(other.stats) {
  for (auto& [id, inode] : inodes) inode.open_handles = 0;
  Sweep();
}

Inode& MemState::Get(uint64_t id) {
  auto it = inodes.find(id);
  KILN_ASSERT_MSG(it != inodes.end(), "MemFileSystem: dangling inode id");
  return it->second;
}

const Inode& MemState::Get(uint64_t id) const {
  auto it = inodes.find(id);
  KILN_ASSERT_MSG(it != inodes.end(), "MemFileSystem: dangling inode id");
  return it->second;
}

absl::StatusOr<Located> MemState::Locate(std::string_view path) const {
  absl::StatusOr<std::vector<std::string>> components = SplitPath(path);
  if (!components.ok()) return components.status();
  Located located;
  located.components = *std::move(components);
  if (located.components.empty()) {
    located.inode_id = kRootInode;
    return located;
  }
  uint64_t dir_id = kRootInode;
  const size_t parent_count = located.components.size() - 1;
  for (size_t i = 0; i < parent_count; ++i) {
    const Inode& dir = Get(dir_id);
    auto it = dir.entries.find(located.components[i]);
    if (it == dir.entries.end()) {
      return absl::NotFoundError("parent directory does not exist: " + std::string(path));
    }
    if (!Get(it->second).is_dir) {
      return absl::FailedPreconditionError("a path component is a file: " + std::string(path));
    }
    dir_id = it->second;
  }
  located.parent_id = dir_id;
  located.name = located.components.back();
  const Inode& parent = Get(dir_id);
  auto it = parent.entries.find(located.name);
  if (it != parent.entries.end()) located.inode_id = it->second;
  return located;
}

absl::StatusOr<uint64_t> MemState::NewInode(bool is_dir) {
  // Garbage not swept yet must not count against the bound.
  if (inodes.size() >= kMaxInodes) Sweep();
  if (inodes.size() >= kMaxInodes) {
    return NoSpace("MemFileSystem: more than kMaxInodes files and directories");
  }
  const uint64_t id = next_inode_id++;
  Inode inode;
  inode.id = id;
  inode.is_dir = is_dir;
  inodes.emplace(id, std::move(inode));
  return id;
}

absl::Status MemState::CheckDirOpRoom() const {
  if (dir_ops.size() >= kMaxPendingDirOps) {
    return NoSpace(
        "MemFileSystem: more than kMaxPendingDirOps unsynced directory operations (SyncDir)");
  }
  return absl::OkStatus();
}

void MemState::AppendDirOp(DirOp op) {
  KILN_ASSERT(dir_ops.size() < kMaxPendingDirOps);
  op.seq = next_dir_op_seq++;
  op.prerequisite_seqs.clear();
  for (auto& name : InvolvedNames(op)) {
    auto [it, inserted] = last_dir_op_on_name.try_emplace(std::move(name), op.seq);
    if (!inserted) op.prerequisite_seqs.push_back(std::exchange(it->second, op.seq));
  }
  for (uint64_t id : InvolvedInodes(op)) {
    auto [it, inserted] = last_dir_op_on_inode.try_emplace(id, op.seq);
    if (!inserted) op.prerequisite_seqs.push_back(std::exchange(it->second, op.seq));
  }
  std::sort(op.prerequisite_seqs.begin(), op.prerequisite_seqs.end());
  op.prerequisite_seqs.erase(std::unique(op.prerequisite_seqs.begin(), op.prerequisite_seqs.end()),
                             op.prerequisite_seqs.end());
  dir_ops.push_back(std::move(op));
  ++stats.dir_ops;
}

size_t MemState::DirOpIndex(uint64_t seq) const {
  auto it = std::lower_bound(dir_ops.begin(), dir_ops.end(), seq,
                             [](const DirOp& op, uint64_t value) { return op.seq < value; });
  if (it == dir_ops.end() || it->seq != seq) return dir_ops.size();
  return static_cast<size_t>(it - dir_ops.begin());
}

void MemState::SyncDirOps(uint64_t dir_id) {
  std::vector<bool> durable(dir_ops.size(), false);
  // Latest first, so marking an operation's prerequisites (all earlier) is
  // seen before they are visited themselves: the closure in one pass.
  for (size_t i = dir_ops.size(); i-- > 0;) {
    if (TouchesDir(dir_ops[i], dir_id)) durable[i] = true;
    if (!durable[i]) continue;
    for (uint64_t seq : dir_ops[i].prerequisite_seqs) {
      const size_t index = DirOpIndex(seq);
      if (index < dir_ops.size()) durable[index] = true;
    }
  }
  std::vector<DirOp> still_pending;
  for (size_t i = 0; i < dir_ops.size(); ++i) {
    if (!durable[i]) {
      still_pending.push_back(std::move(dir_ops[i]));
      continue;
    }
    const DirOp& op = dir_ops[i];
    ApplyDirOp(op, [this](uint64_t id) -> Entries& { return Get(id).durable_entries; });
    // Forget index entries that name this (now durable) operation.
    for (auto& name : InvolvedNames(op)) {
      auto it = last_dir_op_on_name.find(name);
      if (it != last_dir_op_on_name.end() && it->second == op.seq) last_dir_op_on_name.erase(it);
    }
    for (uint64_t id : InvolvedInodes(op)) {
      auto it = last_dir_op_on_inode.find(id);
      if (it != last_dir_op_on_inode.end() && it->second == op.seq) last_dir_op_on_inode.erase(it);
    }
  }
  dir_ops = std::move(still_pending);
}

void MemState::SyncData(Inode& inode) {
  KILN_ASSERT(!inode.is_dir);
  for (const DataOp& op : inode.pending) ApplyDataOp(op, inode.durable_data);
  inode.pending.clear();
  KILN_DASSERT(inode.durable_data == inode.data);
}

void MemState::MaybeSweep() {
  if (inodes.size() < sweep_threshold) return;
  Sweep();
  sweep_threshold = std::max(kMinSweepThreshold, 2 * inodes.size());
}

void MemState::Sweep() {
  std::set<uint64_t> marked;
  std::vector<uint64_t> work = {kRootInode};
  for (const auto& [id, inode] : inodes) {
    if (inode.open_handles > 0) work.push_back(id);
  }
  for (const DirOp& op : dir_ops) {
    for (uint64_t id : {op.dir_id, op.target_dir_id, op.inode_id, op.replaced_inode_id}) {
      if (id != kNoInode) work.push_back(id);
    }
  }
  // Each inode is expanded once, so the loop runs at most inodes.size() times
  // past the initial work list.
  while (!work.empty()) {
    const uint64_t id = work.back();
    work.pop_back();
    if (!marked.insert(id).second) continue;
    const Inode& inode = Get(id);
    if (!inode.is_dir) continue;
    for (const auto& [name, child] : inode.entries) work.push_back(child);
    for (const auto& [name, child] : inode.durable_entries) work.push_back(child);
  }
  std::erase_if(inodes, [&marked](const auto& item) { return !marked.contains(item.first); });
}

}  // namespace kiln::faultfs::internal
