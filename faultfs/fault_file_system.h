// FaultFileSystem wraps any FileSystem (the in-memory one or the real POSIX
// one) and injects the faults of DESIGN.md's fault model into the calls that
// pass through it, as chosen by rules (fault_rule.h).
//
// Each op, before it reaches the base, is offered to the enabled rules in
// insertion order. Every rule whose op / file-kind / path filters select the
// op counts it; the first whose nth filter and probability roll then pass
// fires, and the others only count. So "the 3rd WAL append" means the 3rd WAL
// append whatever other rules did. A disabled rule neither counts nor fires.
//
// What a fault does (the base is untouched unless said otherwise):
//   kEio               the op fails with IOError.
//   kNoSpace           the op fails with NoSpace.
//   kShortRead         the base read runs; OK with a seeded count in [0, n) of
//                      the n bytes it returned (0 if n is 0); the bytes past
//                      the count are zeroed.
//   kShortWrite        a seeded strict prefix [0, n) of the data goes to the
//                      base (Write at the same offset, or Append), then IOError.
//   kBitFlipOnRead     the base read runs; OK, with one seeded bit of the
//                      returned bytes flipped (none if it returned 0 bytes).
//   kLatentSectorError the sectors (rule's sector_size_bytes) under the read's
//                      requested range go bad and the read fails with IOError.
//                      Sticky: every later read through this filesystem that
//                      overlaps a bad sector fails with IOError (logged as
//                      kLatentSectorError under the rule that made the sector
//                      bad; rules are not consulted), until a write through
//                      this filesystem covers the whole sector. Bad sectors
//                      follow Rename, vanish on RemoveFile, on opening with
//                      kTruncate / kCreateNew and when truncated away.
//   kMisdirectedWrite  the data is written at a seeded sector-aligned offset
//                      whose range does not overlap the intended one (so the
//                      intended bytes keep their old contents, and an append
//                      does not land at the end); OK.
//   kLatency           Clock::SleepNs(latency_ns), then the op runs normally.
//   kSyncLosesData     Sync / SyncData fail with IOError after the base File's
//                      DropUnsyncedData() (Linux drops the dirty pages a failed
//                      fsync could not write). If the base cannot drop them
//                      (Unimplemented, e.g. POSIX), the sync still fails and
//                      the log's detail says the data was kept.
// Seeded choices come from the rule's own stream, derived from the options'
// seed, the rule's id and name: the same seed, rules and sequence of ops give
// the same faults and the same log.
//
// Every fault that takes effect is logged (FaultRecord), counted per kind and
// passed to the observer. A fault whose op the base fails anyway (the base
// read under a short read fails, say) returns the base's error and is not
// logged.
//
// Paths are compared as the caller spells them: "/db/x" and "/db//x" are
// different files to the rules and to the bad-sector tracking.
//
// Thread-safety: all methods are safe to call concurrently (FileSystem). One
// mutex guards the rules, the log and the per-file state; it is never held
// while calling the base, the clock or the observer.
#ifndef KILN_FAULTFS_FAULT_FILE_SYSTEM_H_
#define KILN_FAULTFS_FAULT_FILE_SYSTEM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "faultfs/bad_sector_map.h"
#include "faultfs/fault_rule.h"
#include "kiln/env.h"
#include "kiln/random.h"

namespace kiln::faultfs {

struct FaultFileSystemOptions {
  // Needed only by kLatency rules. Not owned; must outlive the filesystem.
  Clock* clock = nullptr;
  // Every probability roll and seeded choice derives from it.
  uint64_t seed = 0;
};

// Names a rule of one FaultFileSystem; ids are never reused.
using RuleId = uint64_t;

inline constexpr size_t kMaxFaultRules = 256;
// The log keeps the most recent records; fault_count() counts them all.
inline constexpr size_t kMaxFaultLogRecords = 4096;

class FaultFileSystem final : public FileSystem {
 public:
  // REQUIRES: base outlives this filesystem; every File this filesystem
  // returns is destroyed before it.
  explicit FaultFileSystem(FileSystem& base, FaultFileSystemOptions options = {});
  ~FaultFileSystem() override;
  FaultFileSystem(const FaultFileSystem&) = delete;
  FaultFileSystem& operator=(const FaultFileSystem&) = delete;

  // FileSystem. Each may yield (the base's call, or a latency fault's sleep).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(std::string_view path,
                                                               OpenMode mode) override;
  [[nodiscard]] absl::Status CreateDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveFile(std::string_view path) override;
  [[nodiscard]] absl::Status Rename(std::string_view source, std::string_view target) override;
  [[nodiscard]] absl::Status SyncDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<uint64_t> FileSize(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<bool> Exists(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<FileLock>> LockFile(std::string_view path) override;

  // Adds a rule after the existing ones, enabled. InvalidArgument if
  // ValidateFaultRule rejects it; FailedPrecondition past kMaxFaultRules.
  [[nodiscard]] absl::StatusOr<RuleId> AddRule(FaultRule rule);
  // Switches a rule on or off (fault windows); its occurrence count is kept.
  // REQUIRES: id names a rule of this filesystem that was not removed.
  void SetRuleEnabled(RuleId id, bool enabled);
  // REQUIRES: as SetRuleEnabled.
  void RemoveRule(RuleId id);
  // Removes every rule. Bad sectors stay bad: they belong to the device.
  void ClearRules();

  // A copy of the last kMaxFaultLogRecords faults, oldest first. (A copy,
  // not a reference, so a reader never races a faulting op.)
  std::vector<FaultRecord> log() const;
  // Every fault injected so far, and those of one kind.
  uint64_t fault_count() const;
  uint64_t fault_count(FaultKind kind) const;
  // Called once per fault, after it is logged, on the faulting op's task,
  // without this filesystem's lock held (it may call log()). Empty: none.
  void SetObserver(std::function<void(const FaultRecord&)> observer);

  FileSystem& base() const { return base_; }

 private:
  class FaultFile;
  struct Rule;
  struct Decision;
  struct Node;

  // Offers the op to the rules (see the top of this file).
  Decision Decide(FileOp op, std::string_view path, std::string_view target_path = {});
  // Carries out what every op handles alike: kEio and kNoSpace return the
  // error to fail the op with; kLatency sleeps and returns nullopt, as does
  // "no fault". Any other kind: nullopt, for the caller to apply. May yield.
  std::optional<absl::Status> ApplyCommonFault(FileOp op, std::string_view path,
                                               const Decision& decision);
  void Record(FileOp op, std::string_view path, FaultKind kind, std::string_view rule_name,
              std::string detail);

  // Per-file state, for FaultFile. Each takes the lock.
  std::shared_ptr<Node> AcquireNode(std::string_view path, OpenMode mode);
  void ReleaseNode(const std::shared_ptr<Node>& node);
  std::string PathOf(const Node& node) const;
  std::optional<BadSectorMap::Sector> FindBadSector(const Node& node, uint64_t offset,
                                                    uint64_t length) const;
  bool HasBadSectors(const Node& node) const;
  size_t MarkBadSectors(Node& node, uint64_t offset, uint64_t length, const Decision& decision);
  void RemapBadSectors(Node& node, uint64_t offset, uint64_t length);
  void TruncateBadSectors(Node& node, uint64_t size_bytes);
  // The path's file lost its name (removed, or replaced by a rename).
  void UnlinkLocked(std::string_view path);

  FileSystem& base_;
  const FaultFileSystemOptions options_;

  mutable std::mutex mutex_;
  // Guarded by mutex_:
  std::vector<Rule> rules_;  // in insertion order
  RuleId next_rule_id_ = 1;
  std::deque<FaultRecord> log_;
  uint64_t fault_count_ = 0;
  std::array<uint64_t, kFaultKindCount> fault_count_by_kind_{};
  std::function<void(const FaultRecord&)> observer_;
  // Files that have an open handle or a bad sector, by current name.
  std::map<std::string, std::shared_ptr<Node>, std::less<>> nodes_;
};

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_FAULT_FILE_SYSTEM_H_
