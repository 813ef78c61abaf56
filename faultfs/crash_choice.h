// CrashChoice: one explicit, replayable decision about which pending state a
// crash keeps. A CrashPolicy plus a seed picks one (MemFileSystem::ChooseCrash);
// the exhaustive enumerator lists them all; MemFileSystem::ApplyCrash applies
// one. Scenario files embed its one-line text form, so it names inodes by
// their creation-order id and pending operations by their index, never by an
// address.
//
// Text form (ToText / FromText), groups separated by "; ":
//   dirs=1011; inode=3 keep=0,1; inode=5 keep=- torn=1 sector_size=4 fill=zeros seed=0 sectors=NOF
// "dirs" has one digit per pending directory operation in global order (1 =
// kept, "-" when there are none). Each inode group lists the kept pending
// data operations ("-" for none) and optionally one torn write; sector
// outcomes are N (new bytes), O (old bytes), F (fill).
#ifndef KILN_FAULTFS_CRASH_CHOICE_H_
#define KILN_FAULTFS_CRASH_CHOICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "faultfs/crash_policy.h"

namespace kiln::faultfs {

enum class SectorOutcome : uint8_t { kNew, kOld, kFill };

// A pending write that reaches the device only partly.
struct TornWriteChoice {
  // Index of the write among its inode's pending data operations.
  uint64_t op_index = 0;
  uint32_t sector_size_bytes = 512;
  TornFill fill = TornFill::kZeros;
  // Garbage bytes derive from (seed, file offset); unused for kZeros.
  uint64_t garbage_seed = 0;
  // One per sector the write overlaps, first to last (sectors are aligned to
  // multiples of sector_size_bytes in the file; the first and last may be
  // partly covered, and only the covered bytes change). Unless every sector
  // is kOld (then nothing changes), the file grows to the write's end, and a
  // kOld part past the old end reads as zeros.
  std::vector<SectorOutcome> sectors = {};

  friend bool operator==(const TornWriteChoice&, const TornWriteChoice&) = default;
};

struct InodeCrashChoice {
  uint64_t inode_id = 0;
  // Indices of the pending data operations that survive, strictly increasing.
  std::vector<uint64_t> kept_ops = {};
  std::optional<TornWriteChoice> torn = {};

  friend bool operator==(const InodeCrashChoice&, const InodeCrashChoice&) = default;
};

struct CrashChoice {
  // One per pending directory operation, in global order.
  std::vector<bool> kept_dir_ops = {};
  // Sorted by inode_id, each at most once. An inode with pending data that is
  // not listed keeps none of it.
  std::vector<InodeCrashChoice> inodes = {};

  std::string ToText() const;
  // InvalidArgument if text is not what ToText produces (modulo spacing).
  static absl::StatusOr<CrashChoice> FromText(std::string_view text);

  friend bool operator==(const CrashChoice&, const CrashChoice&) = default;
};

// Number of sectors of size sector_size_bytes that [offset, offset + length)
// overlaps. REQUIRES: sector_size_bytes > 0.
uint64_t CoveredSectorCount(uint64_t offset, uint64_t length, uint32_t sector_size_bytes);

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_CRASH_CHOICE_H_
