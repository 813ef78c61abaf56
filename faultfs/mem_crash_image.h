// The state a crash would leave: the durable tree with some pending directory
// operations applied, and the bytes of the files whose pending data a
// CrashChoice keeps. Shared by ApplyCrash (which installs it) and
// CrashContentHash / CrashSurvivors (which only look). Internal to faultfs.
#ifndef KILN_FAULTFS_MEM_CRASH_IMAGE_H_
#define KILN_FAULTFS_MEM_CRASH_IMAGE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "faultfs/crash_choice.h"
#include "faultfs/mem_state.h"

namespace kiln::faultfs::internal {

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

// InvalidArgument unless kept has one entry per pending directory operation
// and keeps every kept operation's prerequisites. REQUIRES: state.mutex held.
absl::StatusOr<CrashTree> BuildCrashTree(const MemState& state, const std::vector<bool>& kept);

struct CrashImage {
  CrashTree tree;
  // Post-crash bytes of the surviving files the choice names or a
  // reservation extends (mem_state.h, Inode::reserved_end); every other
  // surviving file keeps its durable bytes.
  std::map<uint64_t, std::string> chosen_bytes;
};

// InvalidArgument if choice does not fit the pending state (see
// MemFileSystem::ApplyCrash). REQUIRES: state.mutex held.
absl::StatusOr<CrashImage> BuildCrashImage(const MemState& state, const CrashChoice& choice);

// What ContentHash will return once image is installed. REQUIRES: state.mutex held.
uint64_t HashImage(const MemState& state, const CrashImage& image);

}  // namespace kiln::faultfs::internal

#endif  // KILN_FAULTFS_MEM_CRASH_IMAGE_H_
