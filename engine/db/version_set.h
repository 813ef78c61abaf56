// The VersionSet owns the database's current Version and the MANIFEST that
// makes it durable (engine/docs/manifest_format.md): a log of VersionEdits,
// named by CURRENT. It creates a new database's manifest, recovers the state
// from an existing one, appends edits (LogAndApply) and rolls to a fresh
// manifest when the current one grows too large.
//
// Changing the version is split in three steps so the database can release
// its mutex around the manifest I/O:
//
//   mutex held:     auto prepared = versions.PrepareEdit(std::move(edit));
//   mutex released: status = versions.WriteEdit(*prepared);      // may yield
//   mutex held:     if (status.ok()) versions.InstallEdit(std::move(*prepared));
//
// LogAndApply does all three (and, given the mutex, releases it around the
// write). A failed manifest write is sticky: the manifest may now end in a
// partial record or have lost unsynced data, so every later PrepareEdit and
// WriteEdit returns that first error, and the database must reopen.
//
// Thread-safety: externally synchronised. Every method REQUIRES the caller's
// lock (the database mutex) except WriteEdit, which must be called WITHOUT
// it. The caller also serialises edits: at most one edit is between
// PrepareEdit and InstallEdit at a time (LogAndApply calls must not overlap).
// While WriteEdit runs unlocked, other tasks may, under the lock, call the
// accessors, NewFileNumber, MarkFileNumberUsed and SetLastSequence: WriteEdit
// touches only the manifest writer, which nothing else reads.
#ifndef KILN_DB_VERSION_SET_H_
#define KILN_DB_VERSION_SET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/compaction_picker.h"
#include "db/dbformat.h"
#include "db/version.h"
#include "db/version_edit.h"
#include "kiln/env.h"
#include "kiln/options.h"
#include "wal/log_writer.h"

namespace kiln {

// Roll to a new manifest once the current one reaches this size, or twice
// the size of the snapshot that started it, whichever is larger (so a large
// state does not roll on every edit).
inline constexpr uint64_t kDefaultManifestRollBytes = uint64_t{4} << 20;
// A snapshot (the first records of a new manifest) is split into records of
// about this many bytes, so no state is too large for one log record.
inline constexpr size_t kManifestSnapshotRecordBytes = size_t{1} << 20;
// CURRENT holds "MANIFEST-" + at most 20 digits + "\n".
inline constexpr size_t kMaxCurrentFileBytes = 64;

// The manifest number CURRENT's contents name. contents must be exactly
// "MANIFEST-NNNNNN\n" as ManifestFileName spells it (manifest_format.md,
// "CURRENT"); anything else is Corruption "<current_path> at offset 0: ...".
// Never yields.
[[nodiscard]] absl::StatusOr<uint64_t> ParseCurrentFile(std::string_view contents,
                                                        std::string_view current_path);

struct VersionSetLimits {
  uint64_t manifest_roll_bytes = kDefaultManifestRollBytes;
};

// What replaying a manifest yields: the Version and the logged counters.
struct ManifestState {
  std::shared_ptr<const Version> version = std::make_shared<const Version>();
  std::optional<uint64_t> next_file_number;
  std::optional<SequenceNumber> last_sequence;
  std::optional<uint64_t> log_number;
  uint32_t next_bucket_id = 0;

  // Applies edit: counters may only grow, added bucket ids must be at least
  // next_bucket_id, and the files and buckets must fit (Version::Apply).
  // FailedPrecondition or Internal (from Version::Apply) otherwise; *this is
  // unchanged on error.
  [[nodiscard]] absl::Status Apply(const VersionEdit& edit);
  // Whether every counter a recovered database needs has been set.
  bool complete() const { return next_file_number && last_sequence && log_number; }
};

class VersionSet;

// An edit between PrepareEdit and InstallEdit. Move-only; opaque.
class PreparedEdit {
 public:
  PreparedEdit(PreparedEdit&&) = default;
  PreparedEdit& operator=(PreparedEdit&&) = default;
  PreparedEdit(const PreparedEdit&) = delete;
  PreparedEdit& operator=(const PreparedEdit&) = delete;

  // The edit as it will be logged (counters filled in).
  const VersionEdit& edit() const { return edit_; }
  // The Version InstallEdit will make current.
  const std::shared_ptr<const Version>& version() const { return state_.version; }

 private:
  friend class VersionSet;
  PreparedEdit() = default;

  VersionEdit edit_;
  std::shared_ptr<const Version> base_;
  ManifestState state_;
  // Set when this edit rolls to a new manifest with this number.
  std::optional<uint64_t> new_manifest_number_;
  bool written_ = false;
};

class VersionSet {
 public:
  // dbname: the database directory. env and options must outlive the set.
  VersionSet(const Env& env, std::string dbname, const Options& options,
             VersionSetLimits limits = {});
  ~VersionSet();
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;

  // Creates a new database: MANIFEST-000001 holding the default bucket
  // (id 0, "default", options.default_bucket), then CURRENT naming it.
  // AlreadyExists if CURRENT exists. REQUIRES: the directory exists; neither
  // Create nor Recover was called. May yield.
  [[nodiscard]] absl::Status Create();

  // Loads the state CURRENT's manifest records. NotFound if there is no
  // CURRENT. Corruption (naming file and offset) if CURRENT does not hold
  // exactly "MANIFEST-NNNNNN\n", the manifest is missing, a record before its
  // end is damaged or does not apply, required counters are missing, or a
  // live table file is missing or has another size. A torn tail of the
  // manifest is tolerated. Writes nothing (read-only opens use it); the
  // first edit afterwards starts a new manifest. REQUIRES: neither Create
  // nor Recover was called. May yield.
  [[nodiscard]] absl::Status Recover();

  // Step 1, under the lock, no I/O: fills in the edit's counters
  // (next_file_number, last_sequence: at least the set's; log_number: the
  // current one if unset), checks it against current() and builds the next
  // Version. FailedPrecondition/Internal if the edit does not fit (nothing
  // changes); the sticky manifest error if there is one.
  // REQUIRES: Create or Recover succeeded; no other edit in flight.
  [[nodiscard]] absl::StatusOr<PreparedEdit> PrepareEdit(VersionEdit edit);
  // Step 2, WITHOUT the lock: appends the edit to the manifest and syncs it
  // (SyncData), or rolls to a new manifest: a snapshot of the whole new
  // state, synced, then CURRENT replaced atomically (temp file, Sync,
  // Rename, SyncDir); the old manifest is then removed. Any failure is
  // sticky. REQUIRES: prepared came from the last PrepareEdit. May yield.
  [[nodiscard]] absl::Status WriteEdit(PreparedEdit& prepared);
  // Step 3, under the lock: makes the written edit's Version current.
  // REQUIRES: WriteEdit(prepared) returned OK.
  void InstallEdit(PreparedEdit prepared);

  // The three steps. mutex: if not null, held by the caller and released
  // around WriteEdit. May yield.
  [[nodiscard]] absl::Status LogAndApply(VersionEdit edit, Mutex* mutex = nullptr);

  std::shared_ptr<const Version> current() const { return current_; }
  // The same Version without a reference count: valid only until the next
  // LogAndApply, so only for a look under the DB mutex.
  const Version& current_ref() const { return *current_; }
  // Bucket ids, names and options are in current()->buckets().

  // A fresh file number (tables, WALs, manifests share one space).
  uint64_t NewFileNumber() { return next_file_number_++; }
  // Ensures number is never handed out (a WAL found on disk at recovery).
  void MarkFileNumberUsed(uint64_t number);
  uint64_t next_file_number() const { return next_file_number_; }

  SequenceNumber last_sequence() const { return last_sequence_; }
  // REQUIRES: sequence >= last_sequence(), <= kMaxSequenceNumber.
  void SetLastSequence(SequenceNumber sequence);

  // WALs numbered below it are obsolete.
  // REQUIRES: Create or Recover succeeded.
  uint64_t log_number() const;
  // The id the next added bucket must use (ids are never reused).
  uint32_t next_bucket_id() const { return state_.next_bucket_id; }
  // The manifest CURRENT names. Manifests with other numbers below it are
  // obsolete; ones above it may be a roll-over in progress.
  uint64_t manifest_number() const { return manifest_number_; }

  // Every table file number of every Version still referenced (the current
  // one and any a reader holds), ascending. A table not listed, and not
  // being written by a flush or compaction, may be removed.
  std::vector<uint64_t> LiveFileNumbers();

  // Where each level's next automatic compaction starts.
  CompactionPointers& compaction_pointers() { return compaction_pointers_; }

  // The logged counters, then current()->DebugString(): equal dumps, equal
  // recoverable states. REQUIRES: Create or Recover succeeded.
  std::string DebugString() const;

 private:
  // Writes manifest number's snapshot of state, syncs it and its directory
  // entry, and points CURRENT at it. Returns the writer to continue it.
  absl::StatusOr<std::unique_ptr<LogWriter>> WriteNewManifest(uint64_t number,
                                                              const ManifestState& state);
  absl::Status SetCurrentFile(uint64_t manifest_number);
  // Checks that every live table exists with its recorded size.
  absl::Status CheckTableFiles(const Version& version, const std::string& manifest_name);
  void Install(ManifestState state);

  const Env& env_;
  const std::string dbname_;
  const Options& options_;
  const uint64_t manifest_roll_bytes_;

  bool opened_ = false;
  bool edit_in_flight_ = false;
  // The logged state (counters as of the last edit).
  ManifestState state_;
  std::shared_ptr<const Version> current_;
  // Every Version installed that may still be alive, oldest first.
  std::vector<std::weak_ptr<const Version>> versions_;
  // Ahead of the logged values: allocated and committed since the last edit.
  uint64_t next_file_number_ = 1;
  SequenceNumber last_sequence_ = 0;
  uint64_t manifest_number_ = 0;
  CompactionPointers compaction_pointers_;

  // Touched only by the serialised edit steps (see the file comment).
  // Null after Recover: the next edit starts a new manifest.
  std::unique_ptr<LogWriter> manifest_writer_;
  uint64_t manifest_roll_threshold_bytes_ = 0;
  absl::Status manifest_error_;
};

}  // namespace kiln

#endif  // KILN_DB_VERSION_SET_H_
