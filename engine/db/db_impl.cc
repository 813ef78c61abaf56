// DbImpl: construction, Close, buckets, snapshots, statistics, invariants.
#include "db/db_impl.h"

#include <algorithm>
#include <utility>

#include "db/file_names.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln {

namespace {

class SnapshotImpl final : public Snapshot {
 public:
  SnapshotImpl(std::shared_ptr<SnapshotList> list, SequenceNumber sequence)
      : list_(std::move(list)), sequence_(sequence) {
    list_->Add(sequence_);
  }
  ~SnapshotImpl() override { list_->Remove(sequence_); }
  uint64_t sequence() const override { return sequence_; }

 private:
  std::shared_ptr<SnapshotList> list_;
  const SequenceNumber sequence_;
};

}  // namespace

BucketImpl::BucketImpl(DbImpl& db, uint32_t id, std::string name)
    : db_(db), id_(id), name_(std::move(name)) {}

absl::StatusOr<CommitInfo> BucketImpl::Put(std::string_view key, std::string_view value,
                                           const WriteOptions& options) {
  return db_.WriteOne(ValueType::kValue, id_, key, value, options);
}

absl::StatusOr<std::optional<std::string>> BucketImpl::Get(std::string_view key,
                                                           const ReadOptions& options) {
  return db_.GetFromBucket(id_, key, options);
}

absl::StatusOr<CommitInfo> BucketImpl::Delete(std::string_view key, const WriteOptions& options) {
  return db_.WriteOne(ValueType::kDeletion, id_, key, {}, options);
}

absl::StatusOr<CommitInfo> BucketImpl::DeleteRange(std::string_view begin, std::string_view end,
                                                   const WriteOptions& options) {
  return db_.WriteOne(ValueType::kRangeDeletion, id_, begin, end, options);
}

std::unique_ptr<Iterator> BucketImpl::NewIterator(const ReadOptions& options) {
  return db_.NewBucketIterator(id_, options);
}

bool MemGeneration::Empty() const {
  for (const auto& [id, table] : tables) {
    if (!table->empty()) return false;
  }
  return true;
}

size_t MemGeneration::MemoryUsage() const {
  size_t total = 0;
  for (const auto& [id, table] : tables) total += table->ApproximateMemoryUsage();
  return total;
}

DbImpl::DbImpl(const Options& options, std::string dbname)
    : options_(options),
      env_(options.env != nullptr ? *options.env : RealEnv()),
      dbname_(std::move(dbname)),
      mutex_(env_.scheduler->NewMutex()),
      bg_cv_(env_.scheduler->NewCondVar(*mutex_)),
      writers_cv_(env_.scheduler->NewCondVar(*mutex_)),
      picker_(options_),
      snapshots_(std::make_shared<SnapshotList>(*env_.scheduler)) {
  stats_.tables_per_level.assign(kNumLevels, 0);
  stats_.bytes_per_level.assign(kNumLevels, 0);
  if (options_.block_cache_bytes > 0) {
    block_cache_ = NewShardedLruCache(*env_.scheduler, options_.block_cache_bytes, 4);
  }
  table_cache_ = std::make_unique<TableCache>(env_, dbname_,
                                              std::max<size_t>(options_.max_open_tables, 1),
                                              block_cache_.get(), options_.map_table_files);
}

DbImpl::~DbImpl() {
  static_cast<void>(Close());
  snapshots_->MarkDbDead();
}

absl::Status DbImpl::CheckOpen() {
  if (closed_) return absl::FailedPreconditionError("the database is closed");
  return absl::OkStatus();
}

absl::Status DbImpl::Close() {
  std::vector<std::unique_ptr<Task>> tasks;
  {
    MutexLock lock(*mutex_);
    if (closed_) return absl::OkStatus();
    shutting_down_ = true;
    bg_cv_->SignalAll();
    tasks = std::move(tasks_);
  }
  for (auto& task : tasks) task->Join();
  tasks.clear();
  absl::Status status;
  {
    MutexLock lock(*mutex_);
    // Wait for any writer (a leader may be mid-commit) before closing the WAL.
    while (!writers_.empty()) WaitForWriterQueue();
    closed_ = true;
  }
  if (log_ != nullptr) {
    std::deque<std::unique_ptr<LogWriter>> retired;
    {
      MutexLock lock(*mutex_);
      retired = std::exchange(unsynced_retired_logs_, {});
    }
    if (sticky_error_.ok() && options_.durability >= Durability::kSyncData) {
      status = SyncWal(std::move(retired), *log_,
                       options_.durability == Durability::kSyncAll ? WalSyncMode::kSyncAll
                                                                   : WalSyncMode::kSyncData);
    } else {
      // Unsynced, as a crash could leave them: the close trims each
      // reservation, and recovery reads them as it would have anyway.
      for (std::unique_ptr<LogWriter>& old_log : retired) {
        absl::Status close_status = old_log->Close();
        if (status.ok()) status = close_status;
      }
    }
    absl::Status close_status = log_->Close();
    if (status.ok()) status = close_status;
    log_.reset();
  }
  lock_.reset();
  return status;
}

absl::StatusOr<Bucket*> DbImpl::GetOrCreateBucket(std::string_view name,
                                                  const BucketOptions& options) {
  if (name.empty() || name.size() > kMaxBucketNameBytes) {
    return absl::InvalidArgumentError("bucket name must have 1..kMaxBucketNameBytes bytes");
  }
  MutexLock lock(*mutex_);
  KILN_RETURN_IF_ERROR(CheckOpen());
  for (auto& [id, bucket] : buckets_) {
    if (bucket->name() == name) return bucket.get();
  }
  if (options_.read_only) return absl::FailedPreconditionError("the database is read-only");
  // A new bucket adds a memtable to mem_, which the write leader reads
  // without the mutex: wait for the front of the writer queue like a write.
  Writer w;
  w.kind = Writer::Kind::kBucket;
  WaitToLead(w);
  absl::StatusOr<Bucket*> created = CreateBucketLocked(name, options);
  WakeWriters(FinishGroup(1, created.status()));
  return created;
}

absl::StatusOr<Bucket*> DbImpl::CreateBucketLocked(std::string_view name,
                                                   const BucketOptions& options) {
  mutex_->AssertHeld();
  KILN_ASSERT(writers_.front()->kind == Writer::Kind::kBucket);
  // Another task may have created it while this one queued.
  for (auto& [id, bucket] : buckets_) {
    if (bucket->name() == name) return bucket.get();
  }
  if (!sticky_error_.ok()) return sticky_error_;
  if (buckets_.size() >= kMaxBuckets) return absl::InvalidArgumentError("too many buckets");
  KILN_RETURN_IF_ERROR(ValidateBucketOptionsForDb(options));
  const uint32_t id = versions_->next_bucket_id();
  VersionEdit edit;
  edit.AddBucket(id, std::string(name), options);
  edit.next_bucket_id = id + 1;
  KILN_RETURN_IF_ERROR(ApplyEdit(edit));
  auto bucket = std::make_unique<BucketImpl>(*this, id, std::string(name));
  BucketImpl* result = bucket.get();
  buckets_.emplace(id, std::move(bucket));
  mem_->tables.emplace(id, NewMemTable());
  return result;
}

Bucket* DbImpl::DefaultBucket() {
  MutexLock lock(*mutex_);
  auto it = buckets_.find(0);
  KILN_ASSERT(it != buckets_.end());
  return it->second.get();
}

BucketOptions DbImpl::BucketOptionsOf(uint32_t bucket_id) {
  mutex_->AssertHeld();
  const BucketVersion* bucket = versions_->current()->FindBucket(bucket_id);
  KILN_ASSERT(bucket != nullptr);
  return bucket->options;
}

std::unique_ptr<Snapshot> DbImpl::GetSnapshot() {
  MutexLock lock(*mutex_);
  return std::make_unique<SnapshotImpl>(snapshots_, last_sequence_);
}

Stats DbImpl::GetStats() {
  MutexLock lock(*mutex_);
  Stats stats = stats_;
  std::shared_ptr<const Version> version = versions_->current();
  for (int level = 0; level < kNumLevels; ++level) {
    stats.tables_per_level[level] = version->NumFiles(0, level);
    stats.bytes_per_level[level] = version->LevelBytes(0, level);
  }
  if (block_cache_ != nullptr) {
    const CacheStats cache = block_cache_->Stats();
    stats.cache_hits = cache.hits;
    stats.cache_misses = cache.misses;
  }
  stats.tables_skipped_by_prefix = tables_skipped_by_prefix_.load(std::memory_order_relaxed);
  if (stats.bytes_written > 0) {
    stats.write_amplification =
        static_cast<double>(stats.wal_bytes_written + stats.table_bytes_written) /
        static_cast<double>(stats.bytes_written);
  }
  return stats;
}

absl::Status DbImpl::CheckInvariants() {
  MutexLock lock(*mutex_);
  std::shared_ptr<const Version> version = versions_->current();
  KILN_RETURN_IF_ERROR(version->CheckInvariants());
  if (last_sequence_ > kMaxSequenceNumber) {
    return absl::InternalError("last sequence exceeds kMaxSequenceNumber");
  }
  // The leader inserts its group into mem_ without the mutex, so mem_ may
  // hold sequences up to the last one assigned to a queued writer (writers
  // not yet in a group have none).
  SequenceNumber inserting_through = last_sequence_;
  for (const Writer* w : writers_) inserting_through = std::max(inserting_through, w->sequence);
  auto check_generation = [&](const MemGeneration& gen, SequenceNumber bound) -> absl::Status {
    for (const auto& [id, table] : gen.tables) {
      if (table == nullptr) return absl::InternalError("null memtable");
      if (!table->empty() && table->largest_sequence() > bound) {
        return absl::InternalError("a memtable holds a sequence above the last published one");
      }
      if (buckets_.find(id) == buckets_.end()) {
        return absl::InternalError("a memtable of an unknown bucket");
      }
    }
    return absl::OkStatus();
  };
  KILN_RETURN_IF_ERROR(
      check_generation(*mem_, inserting_through));
  if (imm_.size() > kMaxImmutableGenerations + 1) {
    return absl::InternalError("too many retired memtable generations");
  }
  uint64_t previous_log = 0;
  for (const auto& gen : imm_) {
    KILN_RETURN_IF_ERROR(check_generation(*gen, last_sequence_));
    if (gen->log_number <= previous_log || gen->log_number >= mem_->log_number) {
      return absl::InternalError("retired generations' WALs are not in order");
    }
    previous_log = gen->log_number;
  }
  // Invariant 2: each unsynced retired WAL is a retired generation's, in order.
  auto gen_it = imm_.begin();
  for (const std::unique_ptr<LogWriter>& log : unsynced_retired_logs_) {
    while (gen_it != imm_.end() && (*gen_it)->log_number < log->log_number()) ++gen_it;
    if (gen_it == imm_.end() || (*gen_it)->log_number != log->log_number()) {
      return absl::InternalError("unsynced retired WAL " + std::to_string(log->log_number()) +
                                 " is no retired generation's, or out of order");
    }
    ++gen_it;
  }
  for (const auto& [id, bucket] : version->buckets()) {
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& file : bucket->levels[level]) {
        if (file->largest_seq > last_sequence_) {
          return absl::InternalError("table " + std::to_string(file->number) +
                                     " holds a sequence above the last published one");
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln
