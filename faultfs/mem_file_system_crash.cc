// MemFileSystem's crash machinery (choose, check and apply a CrashChoice) and
// its inspection methods (hashes, dumps, clones).
#include <algorithm>
#include <cstring>
#include <utility>

#include "faultfs/mem_file_system.h"
#include "faultfs/mem_state.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::faultfs {
namespace {

using internal::DataOp;
using internal::DirOp;
using internal::Entries;
using internal::Inode;
using internal::kRootInode;
using internal::MemState;

absl::Status BadChoice(std::string_view why) {
  return absl::InvalidArgumentError(std::string("crash choice does not fit: ").append(why));
}

// The durable tree after keeping some pending directory operations: entries
// of the directories those operations change, and what is reachable.
struct CrashTree {
  std::map<uint64_t, Entries> changed_entries;
  std::set<uint64_t> dirs;
  std::set<uint64_t> files;

  const Entries& EntriesOf(const MemState& state, uint64_t id) const {
    auto it = changed_entries.find(id);
    return it != changed_entries.end() ? it->second : state.Get(id).durable_entries;
  }
};

// REQUIRES: state.mutex held.
absl::StatusOr<CrashTree> BuildCrashTree(const MemState& state, const std::vector<bool>& kept) {
  const size_t count = state.dir_ops.size();
  if (kept.size() != count) {
    return BadChoice("it has " + std::to_string(kept.size()) + " directory operations, " +
                     std::to_string(count) + " are pending");
  }
  CrashTree tree;
  for (size_t i = 0; i < count; ++i) {
    if (!kept[i]) continue;
    const DirOp& op = state.dir_ops[i];
    for (uint64_t seq : op.prerequisite_seqs) {
      const size_t index = state.DirOpIndex(seq);
      if (index < count && !kept[index]) {
        return BadChoice("keeps \"" + op.description + "\" without its prerequisite \"" +
                         state.dir_ops[index].description + "\"");
      }
    }
    internal::ApplyDirOp(op, [&](uint64_t id) -> Entries& {
      auto it = tree.changed_entries.find(id);
      if (it == tree.changed_entries.end()) {
        it = tree.changed_entries.emplace(id, state.Get(id).durable_entries).first;
      }
      return it->second;
    });
  }
  // Every inode is expanded at most once.
  std::vector<uint64_t> work = {kRootInode};
  while (!work.empty()) {
    const uint64_t id = work.back();
    work.pop_back();
    if (!state.Get(id).is_dir) {
      tree.files.insert(id);
      continue;
    }
    if (!tree.dirs.insert(id).second) continue;
    for (const auto& [name, child] : tree.EntriesOf(state, id)) work.push_back(child);
  }
  return tree;
}

// REQUIRES: state.mutex held.
absl::Status ValidateInodeChoices(const MemState& state, const CrashChoice& choice) {
  uint64_t previous_id = 0;
  for (const InodeCrashChoice& inode_choice : choice.inodes) {
    const std::string label = "inode " + std::to_string(inode_choice.inode_id);
    if (inode_choice.inode_id <= previous_id) return BadChoice("inodes not in increasing id order");
    previous_id = inode_choice.inode_id;
    auto it = state.inodes.find(inode_choice.inode_id);
    if (it == state.inodes.end() || it->second.is_dir || it->second.pending.empty()) {
      return BadChoice(label + " has no pending data");
    }
    const std::vector<DataOp>& pending = it->second.pending;
    for (size_t i = 0; i < inode_choice.kept_ops.size(); ++i) {
      if (inode_choice.kept_ops[i] >= pending.size() ||
          (i > 0 && inode_choice.kept_ops[i] <= inode_choice.kept_ops[i - 1])) {
        return BadChoice(label + ": kept operations out of range or not increasing");
      }
    }
    if (!inode_choice.torn) continue;
    const TornWriteChoice& torn = *inode_choice.torn;
    if (torn.op_index >= pending.size() ||
        pending[torn.op_index].kind != PendingDataOpKind::kWrite) {
      return BadChoice(label + ": torn operation is not a pending write");
    }
    if (std::binary_search(inode_choice.kept_ops.begin(), inode_choice.kept_ops.end(),
                           torn.op_index)) {
      return BadChoice(label + ": torn operation is also kept whole");
    }
    if (torn.sector_size_bytes < kMinSectorSizeBytes ||
        torn.sector_size_bytes > kMaxSectorSizeBytes) {
      return BadChoice(label + ": sector size out of range");
    }
    const DataOp& write = pending[torn.op_index];
    if (torn.sectors.size() !=
        CoveredSectorCount(write.offset, write.bytes.size(), torn.sector_size_bytes)) {
      return BadChoice(label + ": sector outcomes do not match the torn write");
    }
  }
  return absl::OkStatus();
}

char GarbageByte(uint64_t seed, uint64_t offset) {
  return static_cast<char>(MixSeed(seed, offset / 8) >> (8 * (offset % 8)));
}

// Applies part of write to data, sector by sector. Bytes outside the write's
// range never change, though the file grows to the write's end (with zeros)
// once any sector changed; a write of which no sector reached the device
// changes nothing, so "torn" includes "dropped".
void ApplyTornWrite(const DataOp& write, const TornWriteChoice& torn, std::string& data) {
  KILN_ASSERT(write.kind == PendingDataOpKind::kWrite);
  if (std::all_of(torn.sectors.begin(), torn.sectors.end(),
                  [](SectorOutcome outcome) { return outcome == SectorOutcome::kOld; })) {
    return;
  }
  const uint64_t end = write.offset + write.bytes.size();
  if (data.size() < end) data.resize(end, '\0');
  const uint64_t sector_bytes = torn.sector_size_bytes;
  const uint64_t first_sector = write.offset / sector_bytes;
  for (size_t s = 0; s < torn.sectors.size(); ++s) {
    const uint64_t sector_begin = (first_sector + s) * sector_bytes;
    const uint64_t begin = std::max(write.offset, sector_begin);
    const uint64_t stop = std::min(end, sector_begin + sector_bytes);
    KILN_ASSERT(begin < stop);
    switch (torn.sectors[s]) {
      case SectorOutcome::kNew:
        std::memcpy(data.data() + begin, write.bytes.data() + (begin - write.offset), stop - begin);
        break;
      case SectorOutcome::kOld:
        break;
      case SectorOutcome::kFill:
        for (uint64_t p = begin; p < stop; ++p) {
          data[p] = torn.fill == TornFill::kZeros ? '\0' : GarbageByte(torn.garbage_seed, p);
        }
        break;
    }
  }
}

// The bytes a file keeps after a crash. REQUIRES: choice validated.
std::string CrashedBytes(const Inode& inode, const InodeCrashChoice* choice) {
  std::string data = inode.durable_data;
  if (choice == nullptr) return data;
  size_t next_kept = 0;
  for (size_t i = 0; i < inode.pending.size(); ++i) {
    const bool kept = next_kept < choice->kept_ops.size() && choice->kept_ops[next_kept] == i;
    if (kept) {
      ++next_kept;
      internal::ApplyDataOp(inode.pending[i], data);
    } else if (choice->torn && choice->torn->op_index == i) {
      ApplyTornWrite(inode.pending[i], *choice->torn, data);
    }
  }
  return data;
}

const InodeCrashChoice* FindInodeChoice(const CrashChoice& choice, uint64_t id) {
  auto it = std::lower_bound(
      choice.inodes.begin(), choice.inodes.end(), id,
      [](const InodeCrashChoice& entry, uint64_t value) { return entry.inode_id < value; });
  return it != choice.inodes.end() && it->inode_id == id ? &*it : nullptr;
}

// The post-crash tree and the bytes of its files with a choice.
// REQUIRES: state.mutex held.
struct CrashImage {
  CrashTree tree;
  std::map<uint64_t, std::string> chosen_bytes;
};

absl::StatusOr<CrashImage> BuildCrashImage(const MemState& state, const CrashChoice& choice) {
  CrashImage image;
  KILN_ASSIGN_OR_RETURN(image.tree, BuildCrashTree(state, choice.kept_dir_ops));
  KILN_RETURN_IF_ERROR(ValidateInodeChoices(state, choice));
  for (uint64_t id : image.tree.files) {
    if (const InodeCrashChoice* inode_choice = FindInodeChoice(choice, id)) {
      image.chosen_bytes.emplace(id, CrashedBytes(state.Get(id), inode_choice));
    }
  }
  return image;
}

uint64_t HashImage(const MemState& state, const CrashImage& image) {
  return internal::HashTree(
      [&](uint64_t id) -> const Entries* {
        return state.Get(id).is_dir ? &image.tree.EntriesOf(state, id) : nullptr;
      },
      [&](uint64_t id) -> std::string_view {
        auto it = image.chosen_bytes.find(id);
        return it != image.chosen_bytes.end() ? it->second : state.Get(id).durable_data;
      });
}

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
    file.durable_data = it != image.chosen_bytes.end() ? std::move(it->second)
                                                       : state.Get(id).durable_data;
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
      entry.ops.push_back(PendingDataOp{.kind = op.kind, .offset = op.offset,
                                        .length = op.bytes.size()});
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
