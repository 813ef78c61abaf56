// DbImpl's background work: the task loop, maintenance steps, automatic and
// manual compactions.
#include <algorithm>
#include <utility>

#include "db/compaction_job.h"
#include "db/db_impl.h"
#include "db/file_names.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {

void DbImpl::MaybeScheduleWork() {
  mutex_->AssertHeld();
  if (options_.background_tasks > 0) bg_cv_->SignalAll();
}

bool DbImpl::HasBackgroundWork() {
  mutex_->AssertHeld();
  if (!imm_.empty() && !flush_running_) return true;
  if (compaction_running_) return false;
  std::shared_ptr<const Version> version = versions_->current();
  for (const auto& [id, bucket] : version->buckets()) {
    if (picker_.NeedsCompaction(*version, id)) return true;
  }
  return false;
}

void DbImpl::BackgroundLoop() {
  MutexLock lock(*mutex_);
  // Each round does a step or waits for a signal; Close ends it.
  while (!shutting_down_) {
    if (!sticky_error_.ok() || !HasBackgroundWork()) {
      bg_cv_->Wait();
      continue;
    }
    // Errors are sticky (SetStickyError) and end the work; nothing to add.
    static_cast<void>(MaintenanceStepLocked());
    bg_cv_->SignalAll();
  }
}

absl::StatusOr<bool> DbImpl::DoMaintenanceStep() {
  MutexLock lock(*mutex_);
  KILN_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) return false;
  if (!sticky_error_.ok()) return sticky_error_;
  return MaintenanceStepLocked();
}

absl::StatusOr<bool> DbImpl::MaintenanceStepLocked() {
  mutex_->AssertHeld();
  if (!imm_.empty() && !flush_running_) {
    KILN_RETURN_IF_ERROR(FlushOldestImmutable());
    return true;
  }
  if (compaction_running_) return false;
  return CompactOnce();
}

absl::StatusOr<bool> DbImpl::CompactOnce() {
  mutex_->AssertHeld();
  KILN_ASSERT(!compaction_running_);
  std::shared_ptr<const Version> version = versions_->current();
  for (const auto& [id, bucket] : version->buckets()) {
    std::optional<Compaction> c =
        picker_.PickCompaction(*version, id, versions_->compaction_pointers());
    // Buggify: compact L0 early, before the trigger, to exercise compactions
    // against small trees.
    if (!c.has_value() && bucket->levels[0].size() >= 2 && KILN_BUGGIFY) {
      c = picker_.PickManualCompaction(*version, id, 0, std::nullopt, std::nullopt);
    }
    if (!c.has_value()) continue;
    compaction_running_ = true;
    absl::Status status = RunCompaction(*c);
    compaction_running_ = false;
    bg_cv_->SignalAll();
    KILN_RETURN_IF_ERROR(status);
    return true;
  }
  return false;
}

absl::Status DbImpl::RunCompaction(const Compaction& c) {
  mutex_->AssertHeld();
  KILN_ASSERT(compaction_running_);
  VersionEdit edit;
  c.AddInputDeletions(edit);
  if (c.IsTrivialMove()) {
    edit.AddFile(c.bucket_id, c.output_level, *c.inputs[0]);
    KILN_RETURN_IF_ERROR(ApplyEdit(edit));
    ++stats_.compactions;
    return absl::OkStatus();
  }
  const std::vector<SequenceNumber> snapshots = snapshots_->Sequences();
  const BucketOptions bucket_options = BucketOptionsOf(c.bucket_id);
  const uint64_t target_file_size_bytes = options_.target_file_size_bytes;
  std::vector<uint64_t> outputs_numbers;

  mutex_->Unlock();
  absl::Status status;
  std::vector<MergingChild> children;
  std::vector<RangeTombstone> tombstones;
  // Checked reads that leave the block cache to the foreground's working set.
  const TableReadOptions read{.verify_checksums = true, .fill_cache = false};
  // L0 inputs overlap: one merge child each. A level >= 1 is one sorted run:
  // one child that opens its tables as it goes, however many there are.
  for (const auto& [files, level] :
       {std::pair{&c.inputs, c.level}, std::pair{&c.output_level_inputs, c.output_level}}) {
    if (files->empty() || !status.ok()) continue;
    for (const auto& file : *files) {
      if (level >= 1 && file->num_range_tombstones == 0) continue;
      absl::StatusOr<std::shared_ptr<const OpenTable>> table = table_cache_->Get(*file);
      if (!table.ok()) {
        status = table.status();
        break;
      }
      tombstones.insert(tombstones.end(), (*table)->range_tombstones.begin(),
                        (*table)->range_tombstones.end());
      if (level >= 1) continue;
      absl::StatusOr<std::unique_ptr<InternalIterator>> it = table_cache_->NewIterator(*file, read);
      if (!it.ok()) {
        status = it.status();
        break;
      }
      children.push_back(MergingChild{.iterator = *std::move(it), .sequence_max = file->largest_seq});
    }
    if (level >= 1 && status.ok()) {
      LevelIteratorOptions level_options;
      level_options.read = read;
      children.push_back(MergingChild{
          .iterator = NewLevelIterator(*table_cache_, *files, std::move(level_options)),
          .sequence_max = LevelSequenceMax(*files)});
    }
  }
  absl::StatusOr<CompactionJobResult> result = absl::InternalError("not run");
  if (status.ok()) {
    CompactionJobInput input;
    input.input = NewMergingIterator(std::move(children));
    input.range_tombstones = std::move(tombstones);
    input.live_snapshots = snapshots;
    input.bottommost = c.bottommost;
    input.table_options = TableOptionsFor(bucket_options);
    input.target_file_size_bytes = target_file_size_bytes;
    input.new_file_number = [this, &outputs_numbers]() -> absl::StatusOr<uint64_t> {
      MutexLock lock(*mutex_);
      const uint64_t number = versions_->NewFileNumber();
      pending_outputs_.insert(number);
      outputs_numbers.push_back(number);
      return number;
    };
    input.env = &env_;
    input.dbname = dbname_;
    result = RunCompactionJob(std::move(input));
    status = result.status();
  }
  if constexpr (KILN_PLANTED_BUG(compaction_dir_unsynced)) {
    // PLANTED BUG compaction_dir_unsynced: the outputs' names are not made
    // durable before the manifest edit that lists them.
  } else {
    if (status.ok() && !result->outputs.empty()) status = env_.file_system->SyncDir(dbname_);
  }
  mutex_->Lock();
  if (status.ok()) {
    for (const FileMetaData& meta : result->outputs) {
      edit.AddFile(c.bucket_id, c.output_level, meta);
    }
    status = ApplyEdit(edit);
  }
  for (uint64_t number : outputs_numbers) pending_outputs_.erase(number);
  if (!status.ok()) {
    SetStickyError(status);
    return status;
  }
  ++stats_.compactions;
  stats_.table_bytes_written += result->stats.bytes_written;
  RemoveObsoleteFiles(/*at_open=*/false);
  return absl::OkStatus();
}

absl::Status DbImpl::CompactRange(std::optional<std::string_view> begin,
                                  std::optional<std::string_view> end) {
  KILN_RETURN_IF_ERROR(Flush());
  MutexLock lock(*mutex_);
  KILN_RETURN_IF_ERROR(CheckOpen());
  for (int level = 0; level + 1 < kNumLevels; ++level) {
    constexpr int kMaxWaits = 1 << 30;
    for (int i = 0; i < kMaxWaits && compaction_running_; ++i) bg_cv_->Wait();
    if (!sticky_error_.ok()) return sticky_error_;
    std::optional<Compaction> c =
        picker_.PickManualCompaction(*versions_->current(), 0, level, begin, end);
    if (!c.has_value()) continue;
    compaction_running_ = true;
    absl::Status status = RunCompaction(*c);
    compaction_running_ = false;
    bg_cv_->SignalAll();
    KILN_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

}  // namespace kiln
