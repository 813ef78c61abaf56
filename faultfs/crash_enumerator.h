// Exhaustive crash-state enumeration (the ALICE / B3 idea): every legal
// post-crash state of a MemFileSystem's current pending state, deduplicated
// by the content hash of the resulting tree, each with a CrashChoice that
// reproduces it. A checker can then Clone the filesystem, ApplyCrash each
// choice, and run recovery against every state.
//
// "Legal" is the union of what the policies in crash_policy.h can produce:
// any subset of each file's pending data operations, any subset of pending
// directory operations closed under prerequisites, and (include_torn) a
// prefix plus one write torn at sector granularity with zero or garbage fill.
// Garbage uses options.garbage_seed, so a torn_garbage ChooseCrash lies in the
// enumerated set only after its seed is replaced by that one.
#ifndef KILN_FAULTFS_CRASH_ENUMERATOR_H_
#define KILN_FAULTFS_CRASH_ENUMERATOR_H_

#include <cstdint>
#include <vector>

#include "faultfs/crash_choice.h"
#include "faultfs/mem_file_system.h"

namespace kiln::faultfs {

// Bounds on the options themselves: 2^16 subsets, 3^8 sector patterns.
inline constexpr uint64_t kMaxEnumeratedSubsetOps = 16;
inline constexpr uint64_t kMaxEnumeratedTornSectors = 8;

struct EnumerateOptions {
  // Stop once this many distinct states are found.
  uint64_t max_states = 4096;
  // Stop once this many choices were examined, duplicates included.
  uint64_t max_candidates = uint64_t{1} << 18;
  // Also enumerate torn writes (zero fill and garbage fill).
  bool include_torn = false;
  // With more pending operations than this (per file, or directory operations
  // in total), enumerate only prefixes. REQUIRES: <= kMaxEnumeratedSubsetOps.
  uint64_t max_subset_ops = 10;
  // Writes covering more sectors than this are not torn.
  // REQUIRES: <= kMaxEnumeratedTornSectors.
  uint64_t max_torn_sectors = 4;
  uint32_t sector_size_bytes = 512;
  uint64_t garbage_seed = 0;
};

struct CrashEnumeration {
  // Each yields a distinct post-crash state; state_hashes[i] is its
  // MemFileSystem::CrashContentHash (equal to ContentHash after ApplyCrash).
  std::vector<CrashChoice> states = {};
  std::vector<uint64_t> state_hashes = {};
  uint64_t distinct_states = 0;
  // Choices examined whose state an earlier choice already produced.
  uint64_t duplicates_removed = 0;
  // Choices in the requested space never examined because a bound was hit.
  uint64_t skipped_by_bound = 0;
  // Files with more than max_subset_ops pending operations (prefixes only).
  uint64_t inodes_prefix_only = 0;
  // More than max_subset_ops pending directory operations (prefixes only).
  bool dir_ops_prefix_only = false;
  // Pending writes (include_torn) wider than max_torn_sectors, never torn.
  uint64_t torn_writes_too_wide = 0;
  // Every legal state was produced: no bound hit and no fallback above.
  bool complete = false;
};

// Reads fs only. REQUIRES: fs is not changed concurrently.
CrashEnumeration EnumerateCrashStates(const MemFileSystem& fs, const EnumerateOptions& options);

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_CRASH_ENUMERATOR_H_
