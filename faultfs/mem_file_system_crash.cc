// MemFileSystem's crash machinery (choose, check and apply a CrashChoice) and
// its inspection methods (hashes, dumps, clones).
#include <algorithm>
#include <utility>

#include "faultfs/mem_crash_image.h"
#include "faultfs/mem_file_system.h"
#include "faultfs/mem_state.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::faultfs {
namespace {

using internal::BuildCrashImage;
using internal::BuildCrashTree;
using internal::CrashImage;
using internal::CrashTree;
using internal::DataOp;
using internal::DirOp;
using internal::Entries;
using internal::HashImage;
using internal::Inode;
using internal::kRootInode;
using internal::MemState;

struct DumpWalk {
  const MemState& state;
  std::string& out;

  // Depth is bounded by the path length bound.
  void Visit(uint64_t id, const std::string& path, bool name_durable, size_t depth) {
    KILN_ASSERT(depth <= kMaxPathLengthBytes);
    const Inode& inode = state.Get(id);
    out.append(path.empty() ? "/" : path);
    if (inode.is_dir) {
      out.append(" dir id=").append(std::to_string(id));
    } else {
      out.append(" file id=").append(std::to_string(id));
      out.append(" size=").append(std::to_string(inode.data.size()));
      out.append(" durable_size=").append(std::to_string(inode.durable_data.size()));
      out.append(" pending_ops=").append(std::to_string(inode.pending.size()));
    }
    if (!name_durable) out.append(" [path not durable]");
    out.append("\n");
    if (!inode.is_dir) return;
    for (const auto& [name, child] : inode.entries) {
      auto durable = inode.durable_entries.find(name);
      const bool durable_here = durable != inode.durable_entries.end() && durable->second == child;
      Visit(child, path + "/" + name, name_durable && durable_here, depth + 1);
    }
  }
};

}  // namespace

CrashChoice MemFileSystem::ChooseCrash(const CrashPolicy& policy, Random& random) const {
  KILN_ASSERT(policy.sector_size_bytes >= kMinSectorSizeBytes);
  KILN_ASSERT(policy.sector_size_bytes <= kMaxSectorSizeBytes);
  std::lock_guard lock(state_->mutex);
  const MemState& state = *state_;
  CrashChoice choice;
  const size_t dir_count = state.dir_ops.size();
  choice.kept_dir_ops.assign(dir_count, false);
  switch (policy.dirs) {
    case DirLoss::kDropUnsynced:
      break;
    case DirLoss::kKeepPrefix: {
      const uint64_t prefix = random.Uniform(dir_count + 1);
      for (uint64_t i = 0; i < prefix; ++i) choice.kept_dir_ops[i] = true;
      break;
    }
    case DirLoss::kKeepSubset:
      for (size_t i = 0; i < dir_count; ++i) {
        // Draw for every operation, so one decision never shifts the others.
        bool keep = random.OneIn(2);
        for (uint64_t seq : state.dir_ops[i].prerequisite_seqs) {
          const size_t index = state.DirOpIndex(seq);
          if (index < dir_count && !choice.kept_dir_ops[index]) keep = false;
        }
        choice.kept_dir_ops[i] = keep;
      }
      break;
  }
  for (const auto& [id, inode] : state.inodes) {
    if (inode.pending.empty()) continue;
    const uint64_t count = inode.pending.size();
    InodeCrashChoice inode_choice{.inode_id = id};
    switch (policy.data) {
      case DataLoss::kDropUnsynced:
        break;
      case DataLoss::kKeepPrefix: {
        const uint64_t prefix = random.Uniform(count + 1);
        for (uint64_t i = 0; i < prefix; ++i) inode_choice.kept_ops.push_back(i);
        break;
      }
      case DataLoss::kKeepSubset:
        for (uint64_t i = 0; i < count; ++i) {
          if (random.OneIn(2)) inode_choice.kept_ops.push_back(i);
        }
        break;
      case DataLoss::kTornWrite: {
        const uint64_t prefix = random.Uniform(count + 1);
        for (uint64_t i = 0; i < prefix; ++i) inode_choice.kept_ops.push_back(i);
        if (prefix == count || inode.pending[prefix].kind != PendingDataOpKind::kWrite) break;
        const DataOp& write = inode.pending[prefix];
        TornWriteChoice torn{.op_index = prefix,
                             .sector_size_bytes = policy.sector_size_bytes,
                             .fill = policy.torn_fill};
        if (policy.torn_fill == TornFill::kGarbage) torn.garbage_seed = random.Next();
        const uint64_t sectors =
            CoveredSectorCount(write.offset, write.bytes.size(), policy.sector_size_bytes);
        for (uint64_t s = 0; s < sectors; ++s) {
          torn.sectors.push_back(static_cast<SectorOutcome>(random.Uniform(3)));
        }
        inode_choice.torn = std::move(torn);
        break;
      }
    }
    if (!inode_choice.kept_ops.empty() || inode_choice.torn) {
      choice.inodes.push_back(std::move(inode_choice));
    }
  }
  return choice;
}

absl::Status MemFileSystem::ApplyCrash(const CrashChoice& choice) {
  std::lock_guard lock(state_->mutex);
  MemState& state = *state_;
  KILN_ASSIGN_OR_RETURN(CrashImage image, BuildCrashImage(state, choice));
  std::map<uint64_t, Inode> survivors;
  for (uint64_t id : image.tree.dirs) {
    Inode dir{.id = id, .is_dir = true};
    dir.durable_entries = image.tree.EntriesOf(state, id);
    dir.entries = dir.durable_entries;
    survivors.emplace(id, std::move(dir));
  }
  for (uint64_t id : image.tree.files) {
    Inode file{.id = id, .is_dir = false};
    auto it = image.chosen_bytes.find(id);
    file.durable_data =
        it != image.chosen_bytes.end() ? std::move(it->second) : state.Get(id).durable_data;
    file.data = file.durable_data;
    survivors.emplace(id, std::move(file));
  }
  state.inodes = std::move(survivors);
  state.dir_ops.clear();
  state.last_dir_op_on_name.clear();
  state.last_dir_op_on_inode.clear();
  state.locked_inodes.clear();
  ++state.generation;
  ++state.stats.crashes;
  state.sweep_threshold = std::max(internal::kMinSweepThreshold, 2 * state.inodes.size());
  return absl::OkStatus();
}

CrashChoice MemFileSystem::Crash(const CrashPolicy& policy, Random& random) {
  CrashChoice choice = ChooseCrash(policy, random);
  const absl::Status status = ApplyCrash(choice);
  KILN_ASSERT_MSG(status.ok(), "a chosen crash must apply (was the filesystem used concurrently?)");
  return choice;
}

absl::StatusOr<uint64_t> MemFileSystem::CrashContentHash(const CrashChoice& choice) const {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const CrashImage image, BuildCrashImage(*state_, choice));
  return HashImage(*state_, image);
}

absl::StatusOr<std::vector<uint64_t>> MemFileSystem::CrashSurvivors(
    const std::vector<bool>& kept_dir_ops) const {
  std::lock_guard lock(state_->mutex);
  KILN_ASSIGN_OR_RETURN(const CrashTree tree, BuildCrashTree(*state_, kept_dir_ops));
  std::vector<uint64_t> ids;
  for (uint64_t id : tree.files) {
    if (!state_->Get(id).pending.empty()) ids.push_back(id);
  }
  return ids;
}

PendingState MemFileSystem::DescribePending() const {
  std::lock_guard lock(state_->mutex);
  PendingState pending;
  for (const auto& [id, inode] : state_->inodes) {
    if (inode.pending.empty()) continue;
    PendingInode entry{.inode_id = id};
    for (const DataOp& op : inode.pending) {
      entry.ops.push_back(
          PendingDataOp{.kind = op.kind, .offset = op.offset, .length = op.bytes.size()});
    }
    pending.inodes.push_back(std::move(entry));
  }
  for (const DirOp& op : state_->dir_ops) {
    PendingDirOp entry{.kind = op.kind, .description = op.description};
    for (uint64_t seq : op.prerequisite_seqs) {
      const size_t index = state_->DirOpIndex(seq);
      if (index < state_->dir_ops.size()) entry.prerequisites.push_back(index);
    }
    pending.dir_ops.push_back(std::move(entry));
  }
  return pending;
}

bool MemFileSystem::HasPendingState() const {
  std::lock_guard lock(state_->mutex);
  if (!state_->dir_ops.empty()) return true;
  return std::any_of(state_->inodes.begin(), state_->inodes.end(),
                     [](const auto& item) { return !item.second.pending.empty(); });
}

uint64_t MemFileSystem::crash_generation() const {
  std::lock_guard lock(state_->mutex);
  return state_->generation;
}

std::unique_ptr<MemFileSystem> MemFileSystem::Clone() const {
  std::lock_guard lock(state_->mutex);
  return std::unique_ptr<MemFileSystem>(new MemFileSystem(std::make_shared<MemState>(*state_)));
}

uint64_t MemFileSystem::ContentHash() const {
  std::lock_guard lock(state_->mutex);
  const MemState& state = *state_;
  return internal::HashTree(
      [&](uint64_t id) -> const Entries* {
        const Inode& inode = state.Get(id);
        return inode.is_dir ? &inode.entries : nullptr;
      },
      [&](uint64_t id) -> std::string_view { return state.Get(id).data; });
}

uint64_t MemFileSystem::DurableContentHash() const {
  std::lock_guard lock(state_->mutex);
  CrashChoice keep_nothing;
  keep_nothing.kept_dir_ops.assign(state_->dir_ops.size(), false);
  absl::StatusOr<CrashImage> image = BuildCrashImage(*state_, keep_nothing);
  KILN_ASSERT_MSG(image.ok(), "keeping nothing pending is always a valid crash");
  return HashImage(*state_, *image);
}

std::string MemFileSystem::DebugDump() const {
  std::lock_guard lock(state_->mutex);
  const MemState& state = *state_;
  std::string out = "generation=" + std::to_string(state.generation) +
                    " inodes=" + std::to_string(state.inodes.size()) +
                    " pending_dir_ops=" + std::to_string(state.dir_ops.size()) + "\n";
  DumpWalk walk{state, out};
  walk.Visit(kRootInode, "", /*name_durable=*/true, 0);
  for (size_t i = 0; i < state.dir_ops.size(); ++i) {
    out.append("pending ").append(std::to_string(i)).append(": ");
    out.append(state.dir_ops[i].description).append("\n");
  }
  return out;
}

MemFileSystemStats MemFileSystem::Stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace kiln::faultfs
