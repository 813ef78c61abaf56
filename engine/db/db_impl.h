// DbImpl: the database core behind kiln::Db (kiln/db.h). Design notes and the
// proof sketch of recovery: engine/docs/db_design.md. The concerns live in
// separate files: db_open.cc (open, recovery, obsolete files), db_write.cc
// (group commit, backpressure, memtable/WAL switch), db_read.cc (Get,
// iterators), db_flush.cc (memtable -> L0 table), db_compaction.cc
// (background work, compactions), db_impl.cc (buckets, snapshots, stats,
// invariants, close).
//
// Invariants (CheckInvariants verifies those it can observe):
//   1. Sequences: every committed batch has one sequence; sequences are
//      published (last_sequence_) in commit order with no holes, and a reader
//      never sees a sequence above last_sequence_.
//   2. WALs: log_ is the only WAL written. Every write of a memtable
//      generation is in the WAL named by its log_number or in an older WAL
//      that is >= the manifest's log_number; the manifest's log_number only
//      moves past a WAL once every generation written to it is in tables.
//      A switch does not sync the WAL it retires: it joins
//      unsynced_retired_logs_ (oldest first, each the log of a generation in
//      imm_), and every sync of log_ first syncs and closes all of them, so
//      no WAL is synced while an older live one is not.
//   3. Memtables: all buckets switch memtables together when the WAL rolls;
//      imm_ holds the retired generations oldest first and at most
//      kMaxImmutableGenerations of them; they are flushed in that order.
//   4. Only the group-commit leader (the front of writers_) touches log_ and
//      inserts into mem_; it does WAL I/O without mutex_.
//   5. mutex_ is never held across file I/O except WAL-free bookkeeping; every
//      LogAndApply runs with manifest_busy_ set and mutex_ released.
//   6. A table file is removed only when no installed Version that a reader
//      may still hold lists it, and it is not a pending output.
//   7. After a failed WAL append or sync, or a failed flush, compaction or
//      manifest write, sticky_error_ is set and every later write returns it.
//
// Thread-safety: every public method may be called from any task; all may
// yield.
#ifndef KILN_DB_DB_IMPL_H_
#define KILN_DB_DB_IMPL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cache/cache.h"
#include "db/compaction_picker.h"
#include "db/dbformat.h"
#include "db/table_cache.h"
#include "db/version.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "db/write_batch_codec.h"
#include "kiln/db.h"
#include "kiln/env.h"
#include "memtable/memtable.h"
#include "table/table_builder.h"
#include "wal/log_writer.h"

namespace kiln {

// Retired memtable generations waiting for flush; a writer that would retire
// one more waits for a flush (background mode).
inline constexpr size_t kMaxImmutableGenerations = 4;
// Writers queued for the commit leader; more wait to join the queue.
inline constexpr size_t kMaxQueuedWriters = 4096;
// One commit group carries at most this many bytes of batches...
inline constexpr size_t kMaxCommitGroupBytes = size_t{1} << 20;
// ...and at most this many batches.
inline constexpr size_t kMaxCommitGroupBatches = 256;
// A sync-group leader yields at most this many times for the writers of the
// last sync group to queue again (DbImpl::GatherSyncGroup).
inline constexpr int kMaxSyncGatherYields = 16;
// A queued sync writer yields at most this many times, and for at most
// this long, before it sleeps until its leader wakes it (YieldBeforeParking).
inline constexpr int kMaxParkingYields = 64;
inline constexpr uint64_t kMaxParkingYieldNs = 200'000;
// A slowed writer sleeps this long, once per write.
inline constexpr uint64_t kSlowdownSleepNs = 1'000'000;

class BucketImpl;

// The live snapshots' sequences. Shared with every Snapshot so that one
// released after its Db died is caught (assert) rather than a use after free.
class SnapshotList {
 public:
  explicit SnapshotList(Scheduler& scheduler) : mutex_(scheduler.NewMutex()) {}

  void Add(SequenceNumber sequence) {
    MutexLock lock(*mutex_);
    sequences_.insert(sequence);
  }
  void Remove(SequenceNumber sequence) {
    MutexLock lock(*mutex_);
    KILN_ASSERT_MSG(db_alive_, "a Snapshot outlived its Db");
    auto it = sequences_.find(sequence);
    KILN_ASSERT(it != sequences_.end());
    sequences_.erase(it);
  }
  // Sorted ascending, duplicates kept.
  std::vector<SequenceNumber> Sequences() {
    MutexLock lock(*mutex_);
    return std::vector<SequenceNumber>(sequences_.begin(), sequences_.end());
  }
  void MarkDbDead() {
    MutexLock lock(*mutex_);
    db_alive_ = false;
  }

 private:
  std::unique_ptr<Mutex> mutex_;
  std::multiset<SequenceNumber> sequences_;
  bool db_alive_ = true;
};


// One generation of memtables: the memtable of every bucket, written while
// one WAL was current.
struct MemGeneration {
  // bucket id -> memtable; a bucket created later has none here (empty).
  std::map<uint32_t, std::shared_ptr<MemTable>> tables;
  // The WAL this generation's writes went to.
  uint64_t log_number = 0;
  // Increasing per generation, for waiters on a flush.
  uint64_t id = 0;

  bool Empty() const;
  size_t MemoryUsage() const;
};

// Inserts one WAL payload (write_batch_codec.h) into gen's memtables, as if
// its entries applied in order at one sequence: a later entry for the same
// key, or a later range deletion covering it, replaces an earlier one.
// Corruption if the payload is malformed or names a bucket gen lacks.
// REQUIRES: the caller serialises inserts into gen.
[[nodiscard]] absl::StatusOr<DecodedBatchHeader> InsertBatchPayload(std::string_view payload,
                                                                    MemGeneration& gen);
// Inserts one entry of a payload at its own sequence, as InsertBatchPayload
// does for each (Corruption under the same conditions).
[[nodiscard]] absl::Status InsertBatchEntry(MemGeneration& gen, SequenceNumber sequence,
                                            ValueType type, uint32_t bucket_id,
                                            std::string_view key, std::string_view value);

// The table layer's options for a bucket's tables.
TableBuilderOptions TableOptionsFor(const BucketOptions& options);
// InvalidArgument if a bucket's options are out of the table layer's bounds.
[[nodiscard]] absl::Status ValidateBucketOptionsForDb(const BucketOptions& options);

// Seek charges below this never wake the background tasks (NoteSeekCharges):
// 64 seeks at the default 16 KiB pay for compacting 1 MiB.
inline constexpr uint64_t kFirstSeekChargeSignal = 64;

class DbImpl final : public Db {
 public:
  DbImpl(const Options& options, std::string dbname);
  ~DbImpl() override;
  DbImpl(const DbImpl&) = delete;
  DbImpl& operator=(const DbImpl&) = delete;

  // Db.
  absl::StatusOr<CommitInfo> Put(std::string_view key, std::string_view value,
                                 const WriteOptions& options) override;
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key,
                                                 const ReadOptions& options) override;
  absl::StatusOr<CommitInfo> Delete(std::string_view key, const WriteOptions& options) override;
  absl::StatusOr<CommitInfo> DeleteRange(std::string_view begin, std::string_view end,
                                         const WriteOptions& options) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  absl::StatusOr<CommitInfo> Write(const WriteBatch& batch, const WriteOptions& options) override;
  absl::StatusOr<Bucket*> GetOrCreateBucket(std::string_view name,
                                            const BucketOptions& options) override;
  Bucket* DefaultBucket() override;
  std::unique_ptr<Snapshot> GetSnapshot() override;
  absl::Status Persist(Durability durability) override;
  absl::Status Flush() override;
  absl::Status CompactRange(std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) override;
  absl::StatusOr<bool> DoMaintenanceStep() override;
  Stats GetStats() override;
  absl::Status CheckInvariants() override;
  absl::Status Close() override;

  // For BucketImpl.
  // A batch of one entry (Put, Delete, DeleteRange), encoded without
  // building a WriteBatch.
  absl::StatusOr<CommitInfo> WriteOne(ValueType type, uint32_t bucket_id, std::string_view key,
                                      std::string_view value, const WriteOptions& options);
  absl::StatusOr<std::optional<std::string>> GetFromBucket(uint32_t bucket_id,
                                                           std::string_view key,
                                                           const ReadOptions& options);
  std::unique_ptr<Iterator> NewBucketIterator(uint32_t bucket_id, const ReadOptions& options);
  // An iterator's seek raised a bucket's L0 seek charges to total: now and
  // then (each power of two from kFirstSeekChargeSignal) the background
  // tasks are woken to see whether the charges pay for an L0 compaction.
  // REQUIRES: mutex_ not held. May yield.
  void NoteSeekCharges(uint64_t total);

  // Opens or creates the database (db_open.cc). May yield.
  [[nodiscard]] absl::Status OpenImpl();

 private:
  // A task waiting in the commit queue: a batch to commit, or a barrier that
  // needs exclusive use of the WAL (a sync, a forced memtable switch).
  struct Parking;
  struct Writer {
    enum class Kind : uint8_t { kBatch, kPersist, kSwitch, kBucket };
    Kind kind = Kind::kBatch;
    // kBatch: the entries in payload, each taking a sequence.
    size_t entries = 0;
    // The WAL payload; its sequence is filled in by the leader.
    std::string payload;
    // Put, Delete and DeleteRange: payload's one entry as the caller passed
    // it (alive while the caller waits), so the leader inserts it without
    // decoding payload back. type kValue, kDeletion (value empty) or
    // kRangeDeletion (key = begin, value = end).
    struct Entry {
      ValueType type = ValueType::kValue;
      uint32_t bucket_id = 0;
      std::string_view key;
      std::string_view value;
    };
    std::optional<Entry> single_entry;
    uint64_t user_bytes = 0;
    Durability durability = Durability::kBuffered;
    // Set by the leader that finishes this writer: under mutex_ for the
    // leader itself, under parking->mutex for a parked writer.
    bool done = false;
    absl::Status status;
    SequenceNumber sequence = 0;
    // Set, under parking->mutex, when this writer is handed the front.
    bool promoted = false;
    // Made, under mutex_, only by a writer that has to wait (see Parking).
    std::shared_ptr<Parking> parking;
  };
  // Where a writer waits for its group's leader. It waits without mutex_,
  // and is woken after the leader has released mutex_, so the writers of a
  // finished group return at once instead of taking mutex_ back one after
  // another (each handoff a wakeup). Shared with the waker, which may still
  // be signalling after the woken writer has returned and is gone.
  struct Parking {
    std::unique_ptr<Mutex> mutex;
    std::unique_ptr<CondVar> cv;  // made on mutex
  };
  // A writer to wake: done (its group committed) or promoted (it now leads).
  struct Wakeup {
    Writer* writer = nullptr;
    std::shared_ptr<Parking> parking;
    bool done = false;
  };
  using Wakeups = absl::InlinedVector<Wakeup, 8>;

  // Creates the bucket (or finds one of that name made meanwhile).
  // REQUIRES: mutex_ held; a kBucket writer at the front of writers_.
  absl::StatusOr<Bucket*> CreateBucketLocked(std::string_view name, const BucketOptions& options);

  // --- db_open.cc
  // REQUIRES: mutex_ not held. May yield.
  absl::Status RecoverWals(MemGeneration& recovered, SequenceNumber& max_sequence);
  // What replaying one WAL found.
  struct WalReplay {
    uint64_t records = 0;
    bool torn_tail = false;
    // The first record skipped sequences after the older WAL's last: that
    // WAL lost records, and nothing of this one was replayed.
    bool skipped_sequences = false;
    uint64_t end_offset = 0;  // of the last record replayed
  };
  // Replays WAL number into recovered, from last_replayed_sequence_ on;
  // expected_first (0: any) is the sequence its first record must carry.
  absl::StatusOr<WalReplay> ReplayWal(uint64_t number, SequenceNumber expected_first,
                                      MemGeneration& recovered, SequenceNumber& max_sequence);
  // Where the durable WAL history ended after a crash.
  struct WalCut {
    uint64_t number = 0;
    uint64_t end_offset = 0;
  };
  // Corruption if WAL number, newer than the cut one, shows it was synced.
  absl::Status CheckWalNeverSynced(uint64_t number, const WalCut& cut);
  // Creates WAL number and makes its name durable. May yield.
  absl::StatusOr<std::unique_ptr<LogWriter>> CreateWal(uint64_t number);
  // Removes files no Version or pending work needs (and, at open, temporary
  // files and old manifests a crash left). REQUIRES: mutex_ held (released
  // around the removals). May yield.
  void RemoveObsoleteFiles(bool at_open);

  // --- db_write.cc
  // Commits w (kind kBatch, payload, entries and user_bytes set) naming
  // bucket_ids (an error: the batch's encoding failed), through the queue.
  absl::StatusOr<CommitInfo> Commit(Writer& w, const WriteOptions& options,
                                    absl::StatusOr<absl::InlinedVector<uint32_t, 2>> bucket_ids);
  // Admission checks for a batch writer. REQUIRES: mutex_ held.
  absl::Status AdmitBatch(const Writer& w,
                          const absl::StatusOr<absl::InlinedVector<uint32_t, 2>>& bucket_ids);
  // Queues w and waits, without mutex_, until it is done or at the front.
  // Returns true when w is at the front (it leads), with mutex_ held; false
  // when a leader finished it, with mutex_ released. REQUIRES: mutex_ held.
  [[nodiscard]] bool EnqueueAndWait(Writer& w);
  // Part of EnqueueAndWait: a sync writer yields a bounded while, returning
  // early once w is done or promoted. REQUIRES: mutex_ not held; w.parking
  // made.
  void YieldBeforeParking(const Writer& w);
  // EnqueueAndWait for writers no leader takes into its group (kinds other
  // than kBatch): returns at the front, with mutex_ held.
  void WaitToLead(Writer& w);
  // Pops the first count writers (the first is the caller, the leader) and
  // marks the leader done. Returns the rest and the next front, to wake with
  // WakeWriters, best after releasing mutex_. REQUIRES: mutex_ held.
  [[nodiscard]] Wakeups FinishGroup(size_t count, const absl::Status& status);
  // Marks each writer done or promoted and wakes it. Needs no lock.
  static void WakeWriters(const Wakeups& wakeups);
  // The leader's work for a batch group; returns the writers to wake.
  // REQUIRES: mutex_ held; w is front.
  [[nodiscard]] Wakeups CommitGroup(Writer& leader);
  // Makes room in mem_ (stall, stop, switch) before a write. REQUIRES:
  // mutex_ held, caller is the leader. May release mutex_.
  absl::Status MakeRoomForWrite(bool force_switch);
  // Retires mem_ and rolls the WAL. REQUIRES: as MakeRoomForWrite.
  absl::Status SwitchMemTable();
  // Before a sync of log_: turns writeback hints on for log_ and every
  // later WAL (wal_writeback_hints_), and returns the retired WALs that must
  // be synced first (Invariant 2). REQUIRES: mutex_ held; the caller leads
  // the writer queue.
  std::deque<std::unique_ptr<LogWriter>> BeginWalSync();
  // Syncs log_'s predecessors taken by BeginWalSync (fsync, so
  // their trimmed size is durable too), then log_ with mode. The first
  // failure stops it. REQUIRES: mutex_ not held; the caller leads. May yield.
  absl::Status SyncWal(std::deque<std::unique_ptr<LogWriter>> retired, LogWriter& log,
                       WalSyncMode mode);
  // Fills w.payload and w.user_bytes; returns the distinct bucket ids the
  // batch names, for the caller to check under mutex_. Needs no lock.
  absl::StatusOr<absl::InlinedVector<uint32_t, 2>> PrepareBatch(const WriteBatch& batch,
                                                                Writer& w);
  void SetStickyError(const absl::Status& status);

  // --- db_flush.cc
  // Flushes the oldest retired generation. REQUIRES: mutex_ held,
  // !flush_running_. Releases mutex_ during I/O.
  absl::Status FlushOldestImmutable();
  // Writes one memtable to an L0 table. REQUIRES: mutex_ not held. May yield.
  absl::StatusOr<std::optional<FileMetaData>> WriteLevel0Table(const MemTable& mem,
                                                               uint32_t bucket_id,
                                                               const BucketOptions& options,
                                                               uint64_t number);
  // Applies edit to the manifest. REQUIRES: mutex_ held; releases it around
  // the manifest I/O.
  absl::Status ApplyEdit(VersionEdit& edit);

  // --- db_compaction.cc
  void MaybeScheduleWork();
  void BackgroundLoop();
  bool HasBackgroundWork();
  // One flush or one compaction; whether any was done. REQUIRES: mutex_ held.
  absl::StatusOr<bool> MaintenanceStepLocked();
  // Picks and runs one automatic compaction. REQUIRES: mutex_ held.
  absl::StatusOr<bool> CompactOnce();
  int Level0Files();
  // An empty memtable on this database's Env (random stream, memory hints).
  std::shared_ptr<MemTable> NewMemTable() const {
    const size_t filter_bytes =
        options_.memtable_filter
            ? std::max(MemTableFilter::kBlockBytes, memtable_budget_bytes_ / 2 / 128)
            : 0;
    return std::make_shared<MemTable>(env_.NewRandom("memtable"), env_.memory_hints, filter_bytes,
                                      arena_block_pool_);
  }
  // Bytes held by the retired memtables in imm_. REQUIRES: mutex_ held.
  size_t RetiredMemoryUsage() const;
  // Runs c (picked from the current Version). REQUIRES: mutex_ held,
  // compaction_running_ set by the caller; releases mutex_ during I/O.
  absl::Status RunCompaction(const Compaction& c);

  // --- db_read.cc helpers
  struct ReadView;
  ReadView AcquireReadView(uint32_t bucket_id, const ReadOptions& options);

  absl::Status CheckOpen();
  BucketOptions BucketOptionsOf(uint32_t bucket_id);
  uint64_t NewFileNumberLocked();

  const Options options_;
  const Env& env_;
  const std::string dbname_;
  // Before a leader that will sync forms its group: yields (the mutex
  // released) while fewer writers are queued than the last sync group had,
  // at most kMaxSyncGatherYields times. REQUIRES: mutex_ held, leader is
  // the front of writers_.
  void GatherSyncGroup(const Writer& leader);
  // Waits on writers_cv_ (counted, so FinishGroup signals only when someone
  // waits). REQUIRES: mutex_ held.
  void WaitForWriterQueue();
  // Options::memtable_budget_bytes, or tiny under buggify (flush often).
  size_t memtable_budget_bytes_ = 0;
  // The memtables' large arena blocks, reused across memtables (set at open;
  // shared with every memtable, which may outlive the database).
  std::shared_ptr<ArenaBlockPool> arena_block_pool_;
  std::atomic<uint64_t> bytes_read_{0};
  // Stats::tables_skipped_by_prefix.
  std::atomic<uint64_t> tables_skipped_by_prefix_{0};

  std::unique_ptr<Mutex> mutex_;
  std::unique_ptr<CondVar> bg_cv_;     // background work available / done
  std::unique_ptr<CondVar> writers_cv_;  // room in writers_, or writers_ empty
  int writers_cv_waiters_ = 0;           // tasks in writers_cv_->Wait()
  std::unique_ptr<Cache> block_cache_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<VersionSet> versions_;
  CompactionPicker picker_;
  std::unique_ptr<FileLock> lock_;
  std::shared_ptr<SnapshotList> snapshots_;

  // Guarded by mutex_.
  std::map<uint32_t, std::unique_ptr<BucketImpl>> buckets_;
  std::shared_ptr<MemGeneration> mem_;
  std::deque<std::shared_ptr<MemGeneration>> imm_;
  uint64_t next_generation_id_ = 1;
  // Writers in the last commit group that synced the WAL.
  size_t last_sync_group_size_ = 0;
  uint64_t flushed_generation_id_ = 0;
  std::unique_ptr<LogWriter> log_;  // the leader's (Invariant 4)
  // Retired WALs not yet synced (Invariant 2). A leader that syncs log_ takes
  // them all first (BeginWalSync); RemoveObsoleteFiles closes those the
  // manifest's log_number has passed, unsynced.
  std::deque<std::unique_ptr<LogWriter>> unsynced_retired_logs_;
  // Whether the WALs hint writeback (LogWriter::set_writeback_hints): off
  // until a write syncs (or the durability floor syncs every write), so that
  // buffered writes never pay to write WALs a flush makes obsolete, and on
  // from then on, so that a sync does not find whole WALs left to write.
  bool wal_writeback_hints_ = false;
  SequenceNumber last_sequence_ = 0;
  // Recovery only: the last sequence of the last WAL record replayed.
  SequenceNumber last_replayed_sequence_ = 0;
  std::deque<Writer*> writers_;
  absl::Status sticky_error_;
  bool closed_ = false;
  bool shutting_down_ = false;
  bool flush_running_ = false;
  bool compaction_running_ = false;
  bool manifest_busy_ = false;
  std::set<uint64_t> pending_outputs_;
  std::vector<std::unique_ptr<Task>> tasks_;
  Stats stats_;
};

// A bucket's handle; forwards to the DbImpl that owns it.
class BucketImpl final : public Bucket {
 public:
  BucketImpl(DbImpl& db, uint32_t id, std::string name);
  std::string_view name() const override { return name_; }
  uint32_t id() const override { return id_; }
  absl::StatusOr<CommitInfo> Put(std::string_view key, std::string_view value,
                                 const WriteOptions& options) override;
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key,
                                                 const ReadOptions& options) override;
  absl::StatusOr<CommitInfo> Delete(std::string_view key, const WriteOptions& options) override;
  absl::StatusOr<CommitInfo> DeleteRange(std::string_view begin, std::string_view end,
                                         const WriteOptions& options) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;

 private:
  DbImpl& db_;
  const uint32_t id_;
  const std::string name_;
};

}  // namespace kiln

#endif  // KILN_DB_DB_IMPL_H_
