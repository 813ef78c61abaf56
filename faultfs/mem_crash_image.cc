#include "faultfs/mem_crash_image.h"

#include <algorithm>
#include <cstring>

#include "kiln/random.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::faultfs::internal {
namespace {

absl::Status BadChoice(std::string_view why) {
  return absl::InvalidArgumentError(std::string("crash choice does not fit: ").append(why));
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
      ApplyDataOp(inode.pending[i], data);
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

}  // namespace

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
    ApplyDirOp(op, [&](uint64_t id) -> Entries& {
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

absl::StatusOr<CrashImage> BuildCrashImage(const MemState& state, const CrashChoice& choice) {
  CrashImage image;
  KILN_ASSIGN_OR_RETURN(image.tree, BuildCrashTree(state, choice.kept_dir_ops));
  KILN_RETURN_IF_ERROR(ValidateInodeChoices(state, choice));
  for (uint64_t id : image.tree.files) {
    const Inode& inode = state.Get(id);
    const InodeCrashChoice* inode_choice = FindInodeChoice(choice, id);
    if (inode_choice == nullptr && inode.reserved_end <= inode.durable_data.size()) continue;
    std::string bytes = CrashedBytes(inode, inode_choice);
    // A reservation (mapped appends) shows as zeros after what survived.
    if (inode.reserved_end > bytes.size()) bytes.resize(inode.reserved_end, '\0');
    image.chosen_bytes.emplace(id, std::move(bytes));
  }
  return image;
}

uint64_t HashImage(const MemState& state, const CrashImage& image) {
  return HashTree(
      [&](uint64_t id) -> const Entries* {
        return state.Get(id).is_dir ? &image.tree.EntriesOf(state, id) : nullptr;
      },
      [&](uint64_t id) -> std::string_view {
        auto it = image.chosen_bytes.find(id);
        return it != image.chosen_bytes.end() ? it->second : state.Get(id).durable_data;
      });
}

}  // namespace kiln::faultfs::internal
