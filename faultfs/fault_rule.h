// The vocabulary of fault injection (DESIGN.md, "The crash and fault model"):
// which operations a fault can hit (FileOp), what it does (FaultKind), when it
// fires (FaultPredicate), the rule that binds them (FaultRule), and the record
// of a fault that fired (FaultRecord). FaultFileSystem applies them.
//
// The names of FileOp and FaultKind values are stable: scenario files, traces
// and logs spell them, so a name never changes once published.
#ifndef KILN_FAULTFS_FAULT_RULE_H_
#define KILN_FAULTFS_FAULT_RULE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "db/file_names.h"

namespace kiln::faultfs {

// Every FileSystem and File call a fault can hit.
enum class FileOp : uint8_t {
  kOpen,        // FileSystem::OpenFile
  kRead,        // File::Read
  kWrite,       // File::Write
  kAppend,      // File::Append
  kTruncate,    // File::Truncate
  kSync,        // File::Sync
  kSyncData,    // File::SyncData
  kSize,        // File::Size
  kClose,       // File::Close (explicit calls only, not the destructor)
  kCreateDir,   // FileSystem::CreateDir
  kRemoveDir,   // FileSystem::RemoveDir
  kRemoveFile,  // FileSystem::RemoveFile
  kRename,      // FileSystem::Rename
  kSyncDir,     // FileSystem::SyncDir
  kListDir,     // FileSystem::ListDir
  kFileSize,    // FileSystem::FileSize
  kExists,      // FileSystem::Exists
  kLock,        // FileSystem::LockFile
};
inline constexpr size_t kFileOpCount = 18;

// "open", "read", "write", "append", "truncate", "sync", "sync_data", "size",
// "close", "create_dir", "remove_dir", "remove_file", "rename", "sync_dir",
// "list_dir", "file_size", "exists", "lock".
std::string_view FileOpName(FileOp op);
std::optional<FileOp> FileOpFromName(std::string_view name);

// What an injected fault does. The exact semantics are in fault_file_system.h.
enum class FaultKind : uint8_t {
  kEio,                // the op fails with IOError; the base is untouched
  kNoSpace,            // the op fails with NoSpace; the base is untouched
  kShortRead,          // OK with fewer bytes than were available
  kShortWrite,         // a strict prefix reaches the base, then IOError
  kBitFlipOnRead,      // OK, but one bit of the returned bytes is flipped
  kLatentSectorError,  // the read's sectors go bad until rewritten (sticky)
  kMisdirectedWrite,   // OK, but the data lands at another sector-aligned offset
  kLatency,            // sleeps on the Clock, then performs the op normally
  kSyncLosesData,      // sync fails and the file's unsynced writes are dropped
};
inline constexpr size_t kFaultKindCount = 9;

// "eio", "no_space", "short_read", "short_write", "bit_flip_on_read",
// "latent_sector_error", "misdirected_write", "latency", "sync_loses_data".
std::string_view FaultKindName(FaultKind kind);
std::optional<FaultKind> FaultKindFromName(std::string_view name);

// Whether a fault of this kind means something for this op: kShortRead,
// kBitFlipOnRead and kLatentSectorError hit reads; kShortWrite and
// kMisdirectedWrite hit writes and appends; kSyncLosesData hits sync and
// sync_data; kNoSpace hits ops that may allocate (open, write, append,
// truncate, sync, sync_data, create_dir, rename, sync_dir, lock); kEio and
// kLatency hit every op.
bool FaultKindAppliesTo(FaultKind kind, FileOp op);

// How a predicate's nth occurrence filter reads.
enum class OccurrenceMode : uint8_t {
  kOnlyNth,      // fires on the nth matching op only
  kNthAndLater,  // fires on the nth matching op and every one after it
};

// When a rule fires. Every filter must pass; an empty filter passes anything.
// Filters are checked in order: ops, file kinds and path select the matching
// ops; matching ops are counted (1, 2, 3, ...) and the nth filter looks at
// that count; only then is the probability rolled.
struct FaultPredicate {
  // Empty: every op the rule's FaultKind applies to (FaultKindAppliesTo).
  std::vector<FileOp> ops = {};
  // kiln::ClassifyFileName of the op's path. Empty: any kind.
  std::vector<FileKind> file_kinds = {};
  // GlobMatch pattern over the op's whole path as the caller spelled it.
  // Empty: any path.
  std::string path_glob = {};
  // 1-based count among matching ops; 0: no occurrence filter.
  uint64_t nth = 0;
  OccurrenceMode occurrence = OccurrenceMode::kOnlyNth;
  // Chance, in [0, 1], that a matching op that passed the nth filter fires.
  double probability = 1.0;
};

inline constexpr uint64_t kDefaultFaultSectorSizeBytes = 512;
inline constexpr uint64_t kMaxFaultSectorSizeBytes = uint64_t{1} << 20;

struct FaultRule {
  // Shown in the fault log; need not be unique.
  std::string name = {};
  FaultPredicate when = {};
  FaultKind kind = FaultKind::kEio;
  // kLatency only: how long the op sleeps on the Clock first; must be > 0.
  uint64_t latency_ns = 0;
  // kLatentSectorError and kMisdirectedWrite: the device's sector size, in
  // [1, kMaxFaultSectorSizeBytes].
  uint64_t sector_size_bytes = kDefaultFaultSectorSizeBytes;
};

// InvalidArgument naming the problem if the rule cannot mean anything: an op
// its kind does not apply to, a probability outside [0, 1], a latency rule
// with latency 0 or without a clock, a sector size out of range.
[[nodiscard]] absl::Status ValidateFaultRule(const FaultRule& rule, bool have_clock);

// Whether an op on path (and, for a rename, target_path, else empty) passes
// the rule's op, file-kind and path filters. A rename passes the file-kind
// and path filters if its source or its target does, so a rule can aim at
// "renames onto CURRENT".
// REQUIRES: ValidateFaultRule(rule, ...) is OK.
bool RuleSelects(const FaultRule& rule, FileOp op, std::string_view path,
                 std::string_view target_path);

// One injected fault, as the log and the observer see it.
struct FaultRecord {
  uint64_t sequence = 0;  // 0 for the first fault this filesystem injected
  FileOp op = FileOp::kOpen;
  std::string path = {};  // for a rename: "source -> target"
  FaultKind kind = FaultKind::kEio;
  std::string rule_name = {};
  std::string detail = {};  // what happened, e.g. "wrote 37 of 100 bytes"

  // "#12 append /db/000003.log short_write [wal-tear]: wrote 37 of 100 bytes"
  std::string ToString() const;

  friend bool operator==(const FaultRecord&, const FaultRecord&) = default;
};

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_FAULT_RULE_H_
