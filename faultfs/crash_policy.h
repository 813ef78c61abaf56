// Crash policies: which part of a filesystem's unsynced (pending) state a
// simulated crash keeps. DESIGN.md, "The crash and fault model", is the spec.
//
//   data (per file's pending data operations, in issue order):
//     kDropUnsynced  none survive (strict: only what Sync made durable).
//     kKeepPrefix    a random prefix survives.
//     kKeepSubset    any subset survives, applied in order (POSIX lets the
//                    page cache write back dirty data in any order).
//     kTornWrite     a random prefix survives, and the next pending write is
//                    torn at sector granularity: each sector it covers
//                    independently gets the new bytes, keeps the old ones, or
//                    is filled (zeros or seeded garbage). Bytes outside the
//                    torn write's range never change (the size may grow to
//                    the write's end). Includes every kKeepPrefix state.
//   dirs (the one global list of pending directory operations):
//     kDropUnsynced  none survive.
//     kKeepPrefix    a random prefix survives.
//     kKeepSubset    each survives or not, except that an operation survives
//                    only with every earlier operation on the same name or
//                    inode. A rename is one operation: all or nothing.
//
// Every policy has a canonical text form ("data=torn_write dirs=keep_subset
// sector_size=512 fill=zeros") and the presets below have short names
// ("torn"); ParseCrashPolicy accepts either, so scenario files stay readable.
#ifndef KILN_FAULTFS_CRASH_POLICY_H_
#define KILN_FAULTFS_CRASH_POLICY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kiln::faultfs {

enum class DataLoss : uint8_t { kDropUnsynced, kKeepPrefix, kKeepSubset, kTornWrite };
enum class DirLoss : uint8_t { kDropUnsynced, kKeepPrefix, kKeepSubset };
enum class TornFill : uint8_t { kZeros, kGarbage };

// Sector sizes a policy may name; real devices use 512 or 4096, tests use 4.
inline constexpr uint32_t kMinSectorSizeBytes = 1;
inline constexpr uint32_t kMaxSectorSizeBytes = 1u << 16;

struct CrashPolicy {
  DataLoss data = DataLoss::kDropUnsynced;
  DirLoss dirs = DirLoss::kDropUnsynced;
  // Granularity of torn writes (only used by DataLoss::kTornWrite).
  uint32_t sector_size_bytes = 512;
  TornFill torn_fill = TornFill::kZeros;

  friend bool operator==(const CrashPolicy&, const CrashPolicy&) = default;
};

struct NamedCrashPolicy {
  std::string_view name;
  CrashPolicy policy;
};

// Presets, from strictest to most permissive:
//   strict        drop everything unsynced
//   prefix        keep a prefix of data and of directory operations
//   reorder       keep any subset of both
//   torn          torn writes (zero fill), any subset of directory operations
//   torn_garbage  torn writes (garbage fill), any subset of directory operations
std::span<const NamedCrashPolicy> CrashPolicyPresets();
// The preset with this name, if any.
std::optional<CrashPolicy> FindCrashPolicyPreset(std::string_view name);

std::string_view DataLossName(DataLoss loss);
std::string_view DirLossName(DirLoss loss);
std::string_view TornFillName(TornFill fill);
absl::StatusOr<DataLoss> ParseDataLoss(std::string_view name);
absl::StatusOr<DirLoss> ParseDirLoss(std::string_view name);
absl::StatusOr<TornFill> ParseTornFill(std::string_view name);

// Canonical text: every field, "data=... dirs=... sector_size=... fill=...".
std::string CrashPolicyToText(const CrashPolicy& policy);
// Accepts a preset name, or space-separated key=value fields (any subset, in
// any order, each at most once; missing fields keep their defaults).
// InvalidArgument on anything else.
absl::StatusOr<CrashPolicy> ParseCrashPolicy(std::string_view text);

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_CRASH_POLICY_H_
