// DbImpl's flushes: a retired memtable generation becomes L0 tables, then one
// manifest edit adds them and moves the log number past its WAL.
#include <algorithm>
#include <utility>

#include "db/db_impl.h"
#include "db/file_names.h"
#include "kiln/status.h"
#include "table/table_builder.h"
#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {

TableBuilderOptions TableOptionsFor(const BucketOptions& options) {
  TableBuilderOptions table;
  table.block_size_bytes = options.block_size_bytes;
  table.block_restart_interval = options.block_restart_interval;
  table.compression =
      options.compression == Compression::kLz4 ? CompressionType::kLz4 : CompressionType::kNone;
  table.bloom_bits_per_key = options.bloom_bits_per_key;
  table.prefix_length_bytes = options.prefix_length;
  return table;
}

absl::StatusOr<std::optional<FileMetaData>> DbImpl::WriteLevel0Table(const MemTable& mem,
                                                                     uint32_t bucket_id,
                                                                     const BucketOptions& options,
                                                                     uint64_t number) {
  static_cast<void>(bucket_id);
  if (mem.empty()) return std::optional<FileMetaData>();
  const std::string path = TableFileName(dbname_, number);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        env_.file_system->OpenFile(path, OpenMode::kCreateNew));
  FileMetaData meta;
  meta.number = number;
  absl::Status status;
  {
    TableBuilder builder(TableOptionsFor(options), file.get(), path);
    std::unique_ptr<InternalIterator> it = mem.NewIterator();
    for (it->SeekToFirst(); it->Valid() && status.ok(); it->Next()) {
      if (meta.smallest.empty()) meta.smallest.assign(it->key());
      meta.largest.assign(it->key());  // reuses its buffer: no allocation per entry
      status = builder.Add(it->key(), it->value());
    }
    // The file's key range must cover what its tombstones delete, so that
    // readers looking for a key also find the tombstones over it.
    for (const RangeTombstone& tombstone : mem.RangeTombstones()) {
      builder.AddRangeTombstone(tombstone.begin, tombstone.end, tombstone.sequence);
      std::string begin = MakeInternalKey(tombstone.begin, tombstone.sequence,
                                          ValueType::kRangeDeletion);
      std::string end =
          MakeInternalKey(tombstone.end, kMaxSequenceNumber, ValueType::kRangeDeletion);
      if (meta.smallest.empty() || CompareInternalKeys(begin, meta.smallest) < 0) {
        meta.smallest = std::move(begin);
      }
      if (meta.largest.empty() || CompareInternalKeys(end, meta.largest) > 0) {
        meta.largest = std::move(end);
      }
      ++meta.num_range_tombstones;
    }
    if (status.ok()) {
      absl::StatusOr<uint64_t> size = builder.Finish();
      if (size.ok()) {
        meta.size_bytes = *size;
      } else {
        status = size.status();
      }
    }
    meta.num_entries = builder.num_entries();
  }
  if (status.ok()) {
    if (KILN_BUGGIFY) env_.clock->SleepNs(50'000);
    if constexpr (KILN_PLANTED_BUG(flush_table_unsynced)) {
      // PLANTED BUG flush_table_unsynced: the table is not synced, yet the
      // manifest edit that adds it is made durable right after.
    } else {
      status = file->SyncData();
    }
  }
  absl::Status close_status = file->Close();
  if (status.ok()) status = close_status;
  if (!status.ok()) {
    static_cast<void>(env_.file_system->RemoveFile(path));
    return status;
  }
  meta.smallest_seq = mem.smallest_sequence();
  meta.largest_seq = mem.largest_sequence();
  return std::optional<FileMetaData>(std::move(meta));
}

absl::Status DbImpl::ApplyEdit(VersionEdit& edit) {
  mutex_->AssertHeld();
  while (manifest_busy_) bg_cv_->Wait();
  if (!sticky_error_.ok()) return sticky_error_;
  manifest_busy_ = true;
  absl::Status status = versions_->LogAndApply(std::move(edit), mutex_.get());
  manifest_busy_ = false;
  bg_cv_->SignalAll();
  if (!status.ok()) SetStickyError(status);
  return status;
}

absl::Status DbImpl::FlushOldestImmutable() {
  mutex_->AssertHeld();
  KILN_ASSERT(!flush_running_);
  KILN_ASSERT(!imm_.empty());
  flush_running_ = true;
  std::shared_ptr<MemGeneration> gen = imm_.front();
  struct Output {
    uint32_t bucket_id;
    uint64_t number;
    BucketOptions options;
    std::shared_ptr<MemTable> mem;
  };
  std::vector<Output> outputs;
  for (const auto& [id, table] : gen->tables) {
    if (table->empty()) continue;
    const uint64_t number = versions_->NewFileNumber();
    pending_outputs_.insert(number);
    outputs.push_back(Output{id, number, BucketOptionsOf(id), table});
  }
  mutex_->Unlock();
  VersionEdit edit;
  absl::Status status;
  uint64_t bytes = 0;
  for (const Output& output : outputs) {
    absl::StatusOr<std::optional<FileMetaData>> meta =
        WriteLevel0Table(*output.mem, output.bucket_id, output.options, output.number);
    if (!meta.ok()) {
      status = meta.status();
      break;
    }
    if (meta->has_value()) {
      bytes += (*meta)->size_bytes;
      edit.AddFile(output.bucket_id, 0, **std::move(meta));
    }
  }
  if (status.ok() && !outputs.empty()) status = env_.file_system->SyncDir(dbname_);
  mutex_->Lock();
  if (status.ok()) {
    // The WALs of every younger generation stay live.
    edit.log_number = imm_.size() > 1 ? imm_[1]->log_number : mem_->log_number;
    if constexpr (KILN_PLANTED_BUG(flush_log_number_skips_wals)) {
      // PLANTED BUG flush_log_number_skips_wals: the log number moves to the
      // active WAL, past the WALs of younger retired memtables that are not
      // flushed yet; they are removed below and a crash loses their writes.
      edit.log_number = mem_->log_number;
    }
    status = ApplyEdit(edit);
  }
  for (const Output& output : outputs) pending_outputs_.erase(output.number);
  if (status.ok()) {
    KILN_ASSERT(imm_.front() == gen);
    imm_.pop_front();
    flushed_generation_id_ = gen->id;
    ++stats_.flushes;
    stats_.table_bytes_written += bytes;
  } else {
    SetStickyError(status);
  }
  flush_running_ = false;
  bg_cv_->SignalAll();
  if (status.ok()) RemoveObsoleteFiles(/*at_open=*/false);
  return status;
}

absl::Status DbImpl::Flush() {
  Writer w;
  w.kind = Writer::Kind::kSwitch;
  MutexLock lock(*mutex_);
  KILN_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) return absl::FailedPreconditionError("the database is read-only");
  if (!sticky_error_.ok()) return sticky_error_;
  WaitToLead(w);
  absl::Status status = MakeRoomForWrite(/*force_switch=*/true);
  WakeWriters(FinishGroup(1, status));
  KILN_RETURN_IF_ERROR(status);
  // Every generation retired so far holds only writes committed before now.
  const uint64_t target = imm_.empty() ? flushed_generation_id_ : imm_.back()->id;
  constexpr int kMaxFlushWaits = 1 << 30;
  // Kicks the background tasks once: signalling on every round would wake
  // other waiters that signal back (see MakeRoomForWrite).
  bool kicked = false;
  for (int i = 0; i < kMaxFlushWaits && flushed_generation_id_ < target; ++i) {
    if (!sticky_error_.ok()) return sticky_error_;
    if (options_.background_tasks == 0 && !flush_running_) {
      KILN_RETURN_IF_ERROR(FlushOldestImmutable());
    } else {
      if (!kicked) MaybeScheduleWork();
      kicked = true;
      bg_cv_->Wait();
    }
  }
  return sticky_error_;
}

}  // namespace kiln
