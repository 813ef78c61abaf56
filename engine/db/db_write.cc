// DbImpl's write path: group commit, backpressure, memtable and WAL switch.
//
// Writers queue in writers_; the front one is the leader. It makes room in
// the memtable (stalling if L0 is too deep), takes a group of batches from
// the queue, assigns them consecutive sequences, appends one WAL record per
// batch, syncs once at the strongest durability in the group and inserts
// the batches into the active memtables, all without the mutex; then, under
// the mutex, publishes the last sequence and pops the group, and wakes it
// after releasing the mutex (each waiting writer parks on its own condvar).
//
// Inserting without the mutex is safe because the leader stays at the front
// of writers_ until FinishGroup: it is the only task that inserts into
// mem_ or changes mem_ or its bucket map (switches and bucket creation queue
// as writers too), the skiplists take one writer beside lock-free readers,
// and readers ignore entries above the last published sequence.
#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"

#include "db/db_impl.h"
#include "db/file_names.h"
#include "db/write_batch_codec.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

// Inserts a batch's entries, each at its own sequence.
class MemTableInserter final : public BatchHandler {
 public:
  explicit MemTableInserter(MemGeneration& gen) : gen_(gen) {}
  absl::Status Apply(SequenceNumber sequence, ValueType type, uint32_t bucket_id,
                     std::string_view key, std::string_view value) override {
    return InsertBatchEntry(gen_, sequence, type, bucket_id, key, value);
  }

 private:
  MemGeneration& gen_;
};

// Counts user bytes and collects the distinct bucket ids a batch names, so
// that only the id check needs the mutex.
class BatchScanner final : public BatchHandler {
 public:
  absl::Status Apply(SequenceNumber /*sequence*/, ValueType /*type*/, uint32_t bucket_id,
                     std::string_view key, std::string_view value) override {
    // Bounded by the batch's entries.
    if (std::find(bucket_ids.begin(), bucket_ids.end(), bucket_id) == bucket_ids.end()) {
      bucket_ids.push_back(bucket_id);
    }
    user_bytes += key.size() + value.size();
    return absl::OkStatus();
  }
  uint64_t user_bytes = 0;
  absl::InlinedVector<uint32_t, 2> bucket_ids;
};

WalSyncMode SyncModeFor(Durability durability) {
  return durability == Durability::kSyncAll ? WalSyncMode::kSyncAll : WalSyncMode::kSyncData;
}

}  // namespace

absl::Status InsertBatchEntry(MemGeneration& gen, SequenceNumber sequence, ValueType type,
                              uint32_t bucket_id, std::string_view key, std::string_view value) {
  auto it = gen.tables.find(bucket_id);
  if (it == gen.tables.end()) {
    return Corruption("batch names unknown bucket " + std::to_string(bucket_id));
  }
  if (sequence == 0 || sequence > kMaxSequenceNumber) {
    return Corruption("batch sequence " + std::to_string(sequence) + " out of range");
  }
  if (type == ValueType::kRangeDeletion && !(key < value)) {
    return Corruption("batch holds an empty range deletion");
  }
  it->second->Add(sequence, type, key, value);
  return absl::OkStatus();
}

absl::StatusOr<DecodedBatchHeader> InsertBatchPayload(std::string_view payload,
                                                      MemGeneration& gen) {
  MemTableInserter inserter(gen);
  return DecodeBatchPayload(payload, inserter);
}

void DbImpl::SetStickyError(const absl::Status& status) {
  mutex_->AssertHeld();
  KILN_ASSERT(!status.ok());
  if (sticky_error_.ok()) {
    KILN_PROBE(true, "db: sticky error, the database is now read-only");
    sticky_error_ = status;
  }
  bg_cv_->SignalAll();
}

absl::StatusOr<absl::InlinedVector<uint32_t, 2>> DbImpl::PrepareBatch(const WriteBatch& batch,
                                                                        Writer& w) {
  // A placeholder sequence (the decoder rejects 0); the leader sets the real one.
  w.payload = EncodeBatchPayload(batch, /*sequence=*/1);
  BatchScanner scanner;
  KILN_ASSIGN_OR_RETURN(DecodedBatchHeader header, DecodeBatchPayload(w.payload, scanner));
  KILN_ASSERT(header.count == batch.count());
  w.user_bytes = scanner.user_bytes;
  return std::move(scanner.bucket_ids);
}

absl::StatusOr<CommitInfo> DbImpl::Put(std::string_view key, std::string_view value,
                                       const WriteOptions& options) {
  return WriteOne(ValueType::kValue, 0, key, value, options);
}

absl::StatusOr<CommitInfo> DbImpl::Delete(std::string_view key, const WriteOptions& options) {
  return WriteOne(ValueType::kDeletion, 0, key, {}, options);
}

absl::StatusOr<CommitInfo> DbImpl::DeleteRange(std::string_view begin, std::string_view end,
                                               const WriteOptions& options) {
  return WriteOne(ValueType::kRangeDeletion, 0, begin, end, options);
}

absl::StatusOr<CommitInfo> DbImpl::WriteOne(ValueType type, uint32_t bucket_id,
                                            std::string_view key, std::string_view value,
                                            const WriteOptions& options) {
  KILN_RETURN_IF_ERROR(CheckBatchEntry(type, key, value));
  Writer w;
  w.kind = Writer::Kind::kBatch;
  w.entries = 1;
  // A placeholder sequence; the leader sets the real one.
  w.payload = EncodeSingleEntryPayload(type, bucket_id, key, value, /*sequence=*/1);
  w.single_entry =
      Writer::Entry{.type = type,
                    .bucket_id = bucket_id,
                    .key = key,
                    .value = type == ValueType::kDeletion ? std::string_view() : value};
  w.user_bytes = key.size() + (type == ValueType::kDeletion ? 0 : value.size());
  return Commit(w, options, absl::InlinedVector<uint32_t, 2>{bucket_id});
}

absl::StatusOr<CommitInfo> DbImpl::Write(const WriteBatch& batch, const WriteOptions& options) {
  Writer w;
  w.kind = Writer::Kind::kBatch;
  w.entries = batch.count();
  // Encoding needs no lock: keep it out of the readers' way.
  absl::StatusOr<absl::InlinedVector<uint32_t, 2>> bucket_ids;
  if (!batch.empty()) bucket_ids = PrepareBatch(batch, w);
  return Commit(w, options, std::move(bucket_ids));
}

absl::StatusOr<CommitInfo> DbImpl::Commit(
    Writer& w, const WriteOptions& options,
    absl::StatusOr<absl::InlinedVector<uint32_t, 2>> bucket_ids) {
  w.durability = std::max(options_.durability, options.durability.value_or(Durability::kBuffered));
  if constexpr (KILN_PLANTED_BUG(wal_unsynced_ack)) {
    // PLANTED BUG wal_unsynced_ack: the write's own durability replaces the
    // database's floor, so under a kSyncAll floor a write asking for less is
    // acknowledged before its WAL record is synced.
    w.durability = options.durability.value_or(options_.durability);
  }
  mutex_->Lock();
  if (absl::Status refused = AdmitBatch(w, bucket_ids); !refused.ok()) {
    mutex_->Unlock();
    return refused;
  }
  if (w.entries == 0) {
    const SequenceNumber last = last_sequence_;
    mutex_->Unlock();
    return CommitInfo{.sequence = last};
  }
  if (EnqueueAndWait(w)) {
    const Wakeups wakeups = CommitGroup(w);
    mutex_->Unlock();
    WakeWriters(wakeups);
  }
  // Done by this task as leader, or by the leader whose group took it.
  KILN_ASSERT(w.done);
  if (!w.status.ok()) return w.status;
  return CommitInfo{.sequence = w.sequence};
}

absl::Status DbImpl::AdmitBatch(
    const Writer& w, const absl::StatusOr<absl::InlinedVector<uint32_t, 2>>& bucket_ids) {
  mutex_->AssertHeld();
  KILN_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) return absl::FailedPreconditionError("the database is read-only");
  if (!sticky_error_.ok()) return sticky_error_;
  if (w.entries == 0) return absl::OkStatus();
  KILN_RETURN_IF_ERROR(bucket_ids.status());
  for (const uint32_t id : *bucket_ids) {
    if (buckets_.find(id) == buckets_.end()) {
      return absl::InvalidArgumentError("the batch names unknown bucket " + std::to_string(id));
    }
  }
  return absl::OkStatus();
}

bool DbImpl::EnqueueAndWait(Writer& w) {
  mutex_->AssertHeld();
  KILN_ASSERT(!w.done && !w.promoted);
  while (writers_.size() >= kMaxQueuedWriters) WaitForWriterQueue();
  writers_.push_back(&w);
  // A writer that finds the queue empty leads at once and makes nothing to
  // park on (the common case with one writer). The parking is made before
  // mutex_ is released, so every writer FinishGroup sees behind the front
  // has one.
  if (writers_.front() == &w) return true;
  if (w.parking == nullptr) {
    w.parking = std::make_shared<Parking>();
    w.parking->mutex = env_.scheduler->NewMutex();
    w.parking->cv = env_.scheduler->NewCondVar(*w.parking->mutex);
  }
  mutex_->Unlock();
  YieldBeforeParking(w);
  bool done = false;
  {
    MutexLock lock(*w.parking->mutex);
    while (!w.done && !w.promoted) w.parking->cv->Wait();
    done = w.done;
  }
  KILN_PROBE(done, "db: a parked writer was finished by another task's group");
  KILN_PROBE(!done, "db: a parked writer was handed the front of the queue");
  if (done) return false;
  mutex_->Lock();
  KILN_ASSERT(writers_.front() == &w);
  return true;
}

void DbImpl::YieldBeforeParking(const Writer& w) {
  // A sync writer's wait is about one fdatasync: it asks for its answer
  // between yields for a while before it sleeps on the condvar, so that the
  // leader's wake-up usually finds it awake. Each sleep costs a wake-up on
  // the leader's path and a scheduling delay on the writer's, between two
  // syncs of eight sync writers (where the cores are otherwise idle,
  // waiting on the disk). A writer that does not sync waits for the
  // leader's CPU work instead, and its yields would take that CPU: eight
  // buffered writers on two cores ran 35% slower yielding. Bounded in
  // yields and in time; under simulation the clock stands still, so only
  // the count ends it.
  if (w.durability < Durability::kSyncData) return;
  const uint64_t start_ns = env_.clock->MonotonicNs();
  for (int yields = 0; yields < kMaxParkingYields; ++yields) {
    {
      MutexLock lock(*w.parking->mutex);
      if (w.done || w.promoted) {
        KILN_PROBE(yields > 0, "db: a queued writer got its answer while yielding");
        return;
      }
    }
    if (env_.clock->MonotonicNs() - start_ns > kMaxParkingYieldNs) return;
    env_.scheduler->Yield();
  }
}

void DbImpl::WaitToLead(Writer& w) {
  KILN_ASSERT(w.kind != Writer::Kind::kBatch);
  const bool leads = EnqueueAndWait(w);
  KILN_ASSERT(leads);
}

DbImpl::Wakeups DbImpl::FinishGroup(size_t count, const absl::Status& status) {
  mutex_->AssertHeld();
  KILN_ASSERT(count >= 1 && count <= writers_.size());
  Wakeups wakeups;
  // The next front is woken first: it can lead the next group while the
  // rest of this one wake.
  if (count < writers_.size()) {
    Writer* next = writers_[count];
    KILN_ASSERT(next->parking != nullptr);  // only the front leads unparked
    wakeups.push_back(Wakeup{.writer = next, .parking = next->parking, .done = false});
  }
  for (size_t i = 0; i < count; ++i) {
    Writer* w = writers_.front();
    writers_.pop_front();
    if (w->status.ok()) w->status = status;
    if (i == 0) {
      w->done = true;  // the leader: the caller itself
      continue;
    }
    KILN_ASSERT(w->parking != nullptr);
    wakeups.push_back(Wakeup{.writer = w, .parking = w->parking, .done = true});
  }
  if (writers_cv_waiters_ > 0) writers_cv_->SignalAll();
  return wakeups;
}

void DbImpl::WakeWriters(const Wakeups& wakeups) {
  for (const Wakeup& wakeup : wakeups) {
    {
      MutexLock lock(*wakeup.parking->mutex);
      // One wake-up per wait: a parked writer is finished or promoted once.
      KILN_ASSERT(!wakeup.writer->done && !wakeup.writer->promoted);
      if (wakeup.done) {
        wakeup.writer->done = true;
      } else {
        wakeup.writer->promoted = true;
      }
    }
    // Signalled after the unlock, so the writer does not wake only to wait
    // for the lock. A done writer may have returned already: only the
    // shared parking is touched.
    wakeup.parking->cv->Signal();
  }
}

void DbImpl::GatherSyncGroup(const Writer& leader) {
  mutex_->AssertHeld();
  // The writers the last sync group released are likely on their way back
  // (they got their answers a moment ago). Without a pause the first to
  // return syncs alone and the rest wait a whole sync behind it: groups of
  // 1 and n-1 instead of n. A yield, not a timer: nothing waits on the clock,
  // and a single writer (last group of 1) never pauses.
  int yields = 0;
  while (yields < kMaxSyncGatherYields && writers_.size() < last_sync_group_size_) {
    mutex_->Unlock();
    env_.scheduler->Yield();
    mutex_->Lock();
    ++yields;
  }
  KILN_PROBE(yields > 0 && writers_.size() >= last_sync_group_size_,
             "db: a sync group gathered its writers by yielding");
  KILN_ASSERT(writers_.front() == &leader);
}

void DbImpl::WaitForWriterQueue() {
  mutex_->AssertHeld();
  ++writers_cv_waiters_;
  writers_cv_->Wait();
  --writers_cv_waiters_;
  KILN_ASSERT(writers_cv_waiters_ >= 0);
}

DbImpl::Wakeups DbImpl::CommitGroup(Writer& leader) {
  mutex_->AssertHeld();
  KILN_ASSERT(writers_.front() == &leader);
  // Null unless PLANTED BUG write_into_retired_memtable is built in.
  std::shared_ptr<MemGeneration> planted_early_gen;
  if constexpr (KILN_PLANTED_BUG(write_into_retired_memtable)) {
    // PLANTED BUG write_into_retired_memtable: the leader picks the generation
    // to insert into before making room; if that switches memtables, the
    // group lands in the retired one, which a flush may already have written
    // out (the writes vanish from reads once it is dropped).
    planted_early_gen = mem_;
  }
  if (leader.durability >= Durability::kSyncData) GatherSyncGroup(leader);
  absl::Status status = MakeRoomForWrite(/*force_switch=*/false);
  if (!status.ok()) return FinishGroup(1, status);
  // The group: consecutive batch writers from the front, within the bounds.
  size_t count = 0;
  size_t bytes = 0;
  Durability durability = Durability::kBuffered;
  for (Writer* w : writers_) {
    if (w->kind != Writer::Kind::kBatch) break;
    if (count > 0 && (count >= kMaxCommitGroupBatches ||
                      bytes + w->payload.size() > kMaxCommitGroupBytes)) {
      break;
    }
    ++count;
    bytes += w->payload.size();
    durability = std::max(durability, w->durability);
    if constexpr (KILN_PLANTED_BUG(group_commit_follower_unsynced)) {
      // PLANTED BUG group_commit_follower_unsynced: the group syncs at its
      // leader's durability, so a kSyncAll follower behind a kBuffered leader
      // is acknowledged before anything synced its record.
      durability = leader.durability;
    }
  }
  KILN_ASSERT(count >= 1);
  const absl::InlinedVector<Writer*, 8> group(writers_.begin(),
                                              writers_.begin() + static_cast<ptrdiff_t>(count));
  // Each entry takes its own sequence; a batch's CommitInfo names its last.
  SequenceNumber next = last_sequence_ + 1;
  for (Writer* w : group) {
    KILN_ASSERT(w->entries > 0);
    KILN_ASSERT(next + w->entries - 1 <= kMaxSequenceNumber);
    EncodeFixed64(w->payload.data(), next);
    next += w->entries;
    w->sequence = next - 1;
  }
  LogWriter* log = log_.get();
  KILN_ASSERT(log != nullptr);
  const std::shared_ptr<MemGeneration> target =
      planted_early_gen != nullptr ? planted_early_gen : mem_;
  const bool sync = durability >= Durability::kSyncData;
  std::deque<std::unique_ptr<LogWriter>> retired;
  if (sync) retired = BeginWalSync();
  const uint64_t syncs = sync ? retired.size() + 1 : 0;

  mutex_->Unlock();
  uint64_t wal_bytes = log->size_bytes();
  absl::InlinedVector<std::string_view, 8> payloads;
  for (const Writer* w : group) payloads.push_back(w->payload);
  status = log->AddRecords(payloads);
  if (status.ok() && sync) {
    if (KILN_BUGGIFY) env_.clock->SleepNs(100'000);
    status = SyncWal(std::move(retired), *log, SyncModeFor(durability));
  }
  wal_bytes = log->size_bytes() - wal_bytes;
  if (status.ok()) {
    for (Writer* w : group) {
      if (w->single_entry.has_value()) {
        // The payload holds the same entry (WriteOne encoded it from these).
        const Writer::Entry& entry = *w->single_entry;
        KILN_ASSERT(w->entries == 1);
        const absl::Status inserted = InsertBatchEntry(*target, w->sequence, entry.type,
                                                       entry.bucket_id, entry.key, entry.value);
        KILN_ASSERT_MSG(inserted.ok(), "a validated write failed to apply");
        continue;
      }
      absl::StatusOr<DecodedBatchHeader> header = InsertBatchPayload(w->payload, *target);
      KILN_ASSERT_MSG(header.ok(), "a validated batch failed to apply");
    }
  }
  mutex_->Lock();

  stats_.wal_bytes_written += wal_bytes;
  stats_.wal_syncs += syncs;
  if (!status.ok()) {
    // The WAL may now hold some of the group: those writes may or may not
    // survive a crash, which the contract allows for failed writes.
    SetStickyError(status);
    return FinishGroup(count, status);
  }
  if (sync) last_sync_group_size_ = group.size();
  for (Writer* w : group) stats_.bytes_written += w->user_bytes;
  last_sequence_ = group.back()->sequence;
  versions_->SetLastSequence(last_sequence_);
  return FinishGroup(count, absl::OkStatus());
}

absl::Status DbImpl::Persist(Durability durability) {
  Writer w;
  w.kind = Writer::Kind::kPersist;
  MutexLock lock(*mutex_);
  KILN_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) return absl::OkStatus();
  if (!sticky_error_.ok()) return sticky_error_;
  WaitToLead(w);
  absl::Status status = sticky_error_;
  if (status.ok() && durability >= Durability::kSyncData) {
    LogWriter* log = log_.get();
    std::deque<std::unique_ptr<LogWriter>> retired = BeginWalSync();
    stats_.wal_syncs += retired.size() + 1;
    mutex_->Unlock();
    status = SyncWal(std::move(retired), *log, SyncModeFor(durability));
    mutex_->Lock();
    if (!status.ok()) SetStickyError(status);
  }
  WakeWriters(FinishGroup(1, status));
  return status;
}

size_t DbImpl::RetiredMemoryUsage() const {
  mutex_->AssertHeld();
  size_t total = 0;
  for (const auto& gen : imm_) total += gen->MemoryUsage();
  return total;
}

int DbImpl::Level0Files() {
  mutex_->AssertHeld();
  // Every write asks: no reference-count traffic (the mutex pins current),
  // and no walk over the buckets (the Version counted at construction).
  return static_cast<int>(versions_->current_ref().max_level0_files());
}

absl::Status DbImpl::MakeRoomForWrite(bool force_switch) {
  mutex_->AssertHeld();
  bool slowed = false;
  bool counted_stall = false;
  // Wake the background tasks once, not on every round: two waiters that
  // each SignalAll before waiting wake each other forever while the task
  // they wait for is in I/O (a busy loop; a livelock under simulation,
  // where time only advances when nothing can run).
  bool kicked = false;
  auto kick_once = [&] {
    if (!kicked) MaybeScheduleWork();
    kicked = true;
  };
  const bool background = options_.background_tasks > 0;
  // Each round either returns or waits for background progress, which is
  // finite; the bound catches a wait that never makes progress.
  constexpr int kMaxRounds = 1 << 30;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!sticky_error_.ok()) return sticky_error_;
    if (shutting_down_) return absl::FailedPreconditionError("the database is closing");
    const int l0_files = Level0Files();
    if (!force_switch && !slowed && l0_files >= options_.l0_slowdown_trigger) {
      KILN_PROBE(true, "db: writer slowed by L0 depth");
      slowed = true;
      if (!counted_stall) ++stats_.stalls;
      counted_stall = true;
      mutex_->Unlock();
      env_.clock->SleepNs(kSlowdownSleepNs);
      mutex_->Lock();
      stats_.stall_time_ns += kSlowdownSleepNs;
      continue;
    }
    if (!force_switch && background && l0_files >= options_.l0_stop_trigger) {
      KILN_PROBE(true, "db: writer stopped by L0 depth");
      if (!counted_stall) ++stats_.stalls;
      counted_stall = true;
      const uint64_t start_ns = env_.clock->MonotonicNs();
      kick_once();
      bg_cv_->Wait();
      stats_.stall_time_ns += env_.clock->MonotonicNs() - start_ns;
      continue;
    }
    const size_t active_bytes = mem_->MemoryUsage();
    // An empty generation never retires, even if its fixed overhead fills
    // half of a tiny budget: recovery reads a WAL without records before a
    // newer one as cut short by a crash (RecoverWals).
    if (active_bytes < memtable_budget_bytes_ / 2 && !force_switch) return absl::OkStatus();
    if (mem_->Empty()) {
      KILN_PROBE(!force_switch, "db: an empty memtable over half the budget is not retired");
      return absl::OkStatus();
    }
    // The budget covers the active generation and the retired ones not yet
    // in tables: the active one retires at half of it, and only while the
    // retired ones leave it room (one full generation may always wait).
    const bool over_budget =
        !imm_.empty() && RetiredMemoryUsage() + active_bytes > memtable_budget_bytes_;
    KILN_PROBE(over_budget, "db: retiring a memtable would exceed the memtable budget");
    if (imm_.size() >= kMaxImmutableGenerations || over_budget) {
      KILN_PROBE(true, "db: writer waits for a memtable flush");
      if (background || flush_running_) {
        if (!counted_stall) ++stats_.stalls;
        counted_stall = true;
        const uint64_t start_ns = env_.clock->MonotonicNs();
        kick_once();
        bg_cv_->Wait();
        stats_.stall_time_ns += env_.clock->MonotonicNs() - start_ns;
      } else {
        // Manual maintenance: flush here rather than let memory grow.
        KILN_RETURN_IF_ERROR(FlushOldestImmutable());
      }
      continue;
    }
    return SwitchMemTable();
  }
  return absl::InternalError("MakeRoomForWrite made no progress");
}

absl::Status DbImpl::SwitchMemTable() {
  mutex_->AssertHeld();
  const uint64_t new_number = versions_->NewFileNumber();
  mutex_->Unlock();
  // The old WAL is not synced here (Invariant 2): the next sync of any WAL
  // syncs it first, and a flush of its generation makes it obsolete, so
  // most retired WALs are never synced at all. Until then a crash may tear
  // it; recovery then drops every newer WAL (docs/db_design.md).
  absl::StatusOr<std::unique_ptr<LogWriter>> new_log = CreateWal(new_number);
  mutex_->Lock();
  if (!new_log.ok()) {
    SetStickyError(new_log.status());
    return new_log.status();
  }
  unsynced_retired_logs_.push_back(std::move(log_));
  log_ = *std::move(new_log);
  log_->set_writeback_hints(wal_writeback_hints_);
  imm_.push_back(mem_);
  // Each retired WAL belongs to a generation waiting in imm_.
  KILN_ASSERT(unsynced_retired_logs_.size() <= imm_.size());
  KILN_ASSERT(imm_.size() <= kMaxImmutableGenerations);
  auto gen = std::make_shared<MemGeneration>();
  gen->log_number = new_number;
  gen->id = next_generation_id_++;
  for (const auto& [id, bucket] : buckets_) {
    gen->tables.emplace(id, NewMemTable());
  }
  mem_ = std::move(gen);
  MaybeScheduleWork();
  return absl::OkStatus();
}

std::deque<std::unique_ptr<LogWriter>> DbImpl::BeginWalSync() {
  mutex_->AssertHeld();
  if (!wal_writeback_hints_) {
    KILN_PROBE(true, "db: the first sync turns WAL writeback hints on");
    wal_writeback_hints_ = true;
    log_->set_writeback_hints(true);
  }
  KILN_PROBE(!unsynced_retired_logs_.empty(), "db: a WAL sync syncs retired WALs first");
  return std::exchange(unsynced_retired_logs_, {});
}

absl::Status DbImpl::SyncWal(std::deque<std::unique_ptr<LogWriter>> retired, LogWriter& log,
                             WalSyncMode mode) {
  for (std::unique_ptr<LogWriter>& old_log : retired) {
    KILN_ASSERT(old_log->log_number() < log.log_number());
    // fsync, then the close trims the reservation and syncs the trim: a
    // synced WAL ends at its last record after any crash.
    KILN_RETURN_IF_ERROR(old_log->Sync(WalSyncMode::kSyncAll));
    KILN_RETURN_IF_ERROR(old_log->Close());
  }
  return log.Sync(mode);
}

}  // namespace kiln
