// Db::Open and recovery: lock, manifest, WAL replay, a fresh WAL, and removal
// of what a crash left behind. Why this order is safe: docs/db_design.md.
#include <algorithm>
#include <utility>

#include "db/db_impl.h"
#include "db/file_names.h"
#include "kiln/status.h"
#include "table/table_builder.h"
#include "util/assert.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace kiln {
namespace {

// Under buggify, memtables this small make flushes (and so compactions and
// WAL switches) happen all the time.
constexpr size_t kBuggifyMemTableBudgetBytes = 16 << 10;
// A database directory holds far fewer files than this.
constexpr size_t kMaxDirectoryEntries = size_t{1} << 20;

// The number in "NNNNNN.log" / "NNNNNN.sst" / "MANIFEST-NNNNNN", or 0.
uint64_t ParseFileNumber(std::string_view name) {
  const size_t dash = name.find('-');
  if (dash != std::string_view::npos) name.remove_prefix(dash + 1);
  uint64_t number = 0;
  size_t digits = 0;
  for (char c : name) {
    if (c < '0' || c > '9') break;
    if (number > (UINT64_MAX - 9) / 10) return 0;
    number = number * 10 + static_cast<uint64_t>(c - '0');
    ++digits;
  }
  return digits == 0 ? 0 : number;
}

absl::Status ValidateBucketOptions(const BucketOptions& options) {
  if (options.block_size_bytes < kMinTableBlockSizeBytes ||
      options.block_size_bytes > kMaxTableBlockSizeBytes) {
    return absl::InvalidArgumentError("block_size_bytes out of range");
  }
  if (options.block_restart_interval < 1 || options.block_restart_interval > (1 << 16)) {
    return absl::InvalidArgumentError("block_restart_interval out of range");
  }
  if (options.bloom_bits_per_key < 0 || options.bloom_bits_per_key > kMaxBloomBitsPerKey) {
    return absl::InvalidArgumentError("bloom_bits_per_key out of range");
  }
  if (options.prefix_length > kMaxKeyBytes) {
    return absl::InvalidArgumentError("prefix_length out of range");
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const Options& options) {
  KILN_RETURN_IF_ERROR(ValidateBucketOptions(options.default_bucket));
  if (options.memtable_budget_bytes == 0) {
    return absl::InvalidArgumentError("memtable_budget_bytes must be > 0");
  }
  if (options.target_file_size_bytes == 0) {
    return absl::InvalidArgumentError("target_file_size_bytes must be > 0");
  }
  if (options.l0_compaction_trigger < 1 ||
      options.l0_slowdown_trigger < options.l0_compaction_trigger ||
      options.l0_stop_trigger < options.l0_slowdown_trigger) {
    return absl::InvalidArgumentError(
        "need 1 <= l0_compaction_trigger <= l0_slowdown_trigger <= l0_stop_trigger");
  }
  if (options.level_size_multiplier < 2 || options.level1_target_bytes == 0) {
    return absl::InvalidArgumentError("bad level sizing");
  }
  if (options.background_tasks < 0 || options.background_tasks > 64) {
    return absl::InvalidArgumentError("background_tasks must be in [0, 64]");
  }
  if (options.wal_reserve_bytes > kMaxWalReserveBytes) {
    return absl::InvalidArgumentError("wal_reserve_bytes must be at most kMaxWalReserveBytes");
  }
  if (options.error_if_exists && options.read_only) {
    return absl::InvalidArgumentError("error_if_exists with read_only");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBucketOptionsForDb(const BucketOptions& options) {
  return ValidateBucketOptions(options);
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options, std::string_view path) {
  KILN_RETURN_IF_ERROR(ValidateOptions(options));
  if (path.empty()) return absl::InvalidArgumentError("empty database path");
  auto db = std::make_unique<DbImpl>(options, std::string(path));
  KILN_RETURN_IF_ERROR(db->OpenImpl());
  return std::unique_ptr<Db>(std::move(db));
}

absl::Status DbImpl::OpenImpl() {
  FileSystem& fs = *env_.file_system;
  memtable_budget_bytes_ =
      KILN_BUGGIFY ? kBuggifyMemTableBudgetBytes : options_.memtable_budget_bytes;
  // Room for one memtable's large blocks (the active one switches at half
  // the budget): what a flushed memtable frees, the next one takes.
  arena_block_pool_ = std::make_shared<ArenaBlockPool>(
      std::min(kArenaBlockPoolMaxBlocks, memtable_budget_bytes_ / 2 / kArenaLargeBlockBytes));
  KILN_ASSIGN_OR_RETURN(bool dir_exists, fs.Exists(dbname_));
  if (!dir_exists) {
    if (!options_.create_if_missing || options_.read_only) {
      return absl::NotFoundError(dbname_ + ": no database (create_if_missing is false)");
    }
    absl::Status status = fs.CreateDir(dbname_);
    if (!status.ok() && !absl::IsAlreadyExists(status)) return status;
    // The directory's own name must survive a crash with what it holds.
    const size_t slash = dbname_.find_last_of('/');
    if (slash != std::string::npos) {
      KILN_RETURN_IF_ERROR(fs.SyncDir(slash == 0 ? "/" : dbname_.substr(0, slash)));
    }
  }
  if (!options_.read_only) {
    KILN_ASSIGN_OR_RETURN(lock_, fs.LockFile(LockFileName(dbname_)));
  }
  versions_ = std::make_unique<VersionSet>(env_, dbname_, options_);
  KILN_ASSIGN_OR_RETURN(bool exists, fs.Exists(CurrentFileName(dbname_)));
  if (!exists) {
    if (!options_.create_if_missing || options_.read_only) {
      return absl::NotFoundError(dbname_ + ": no database (create_if_missing is false)");
    }
    KILN_RETURN_IF_ERROR(versions_->Create());
  } else {
    if (options_.error_if_exists) {
      return absl::AlreadyExistsError(dbname_ + ": the database exists (error_if_exists)");
    }
    KILN_RETURN_IF_ERROR(versions_->Recover());
  }

  MutexLock lock(*mutex_);
  last_sequence_ = versions_->last_sequence();
  auto recovered = std::make_shared<MemGeneration>();
  for (const auto& [id, bucket] : versions_->current()->buckets()) {
    buckets_.emplace(id, std::make_unique<BucketImpl>(*this, id, bucket->name));
    recovered->tables.emplace(id, NewMemTable());
  }
  KILN_ASSERT(buckets_.find(0) != buckets_.end());
  SequenceNumber max_sequence = last_sequence_;
  mutex_->Unlock();
  absl::Status status = RecoverWals(*recovered, max_sequence);
  mutex_->Lock();
  KILN_RETURN_IF_ERROR(status);
  last_sequence_ = max_sequence;
  versions_->SetLastSequence(last_sequence_);
  recovered->id = next_generation_id_++;

  if (options_.read_only) {
    // Nothing may be written: the recovered writes stay in memory.
    mem_ = std::move(recovered);
    return absl::OkStatus();
  }

  // Recovered writes go to L0 tables now, so every old WAL becomes obsolete
  // with the same edit that names the fresh WAL: later recoveries read only
  // WALs this process wrote, and recovery time tracks the unflushed tail.
  VersionEdit edit;
  std::vector<std::pair<uint32_t, uint64_t>> outputs;
  for (const auto& [id, table] : recovered->tables) {
    if (table->empty()) continue;
    const uint64_t number = versions_->NewFileNumber();
    pending_outputs_.insert(number);
    outputs.emplace_back(id, number);
  }
  const uint64_t log_number = versions_->NewFileNumber();
  std::vector<BucketOptions> output_options;
  for (const auto& [id, number] : outputs) output_options.push_back(BucketOptionsOf(id));
  mutex_->Unlock();
  for (size_t i = 0; i < outputs.size() && status.ok(); ++i) {
    const auto& [id, number] = outputs[i];
    absl::StatusOr<std::optional<FileMetaData>> meta =
        WriteLevel0Table(*recovered->tables.at(id), id, output_options[i], number);
    if (!meta.ok()) {
      status = meta.status();
    } else if (meta->has_value()) {
      stats_.table_bytes_written += (*meta)->size_bytes;
      edit.AddFile(id, 0, **std::move(meta));
    }
  }
  if (status.ok() && !outputs.empty()) status = fs.SyncDir(dbname_);
  absl::StatusOr<std::unique_ptr<LogWriter>> log = absl::InternalError("unreachable");
  if (status.ok()) {
    log = CreateWal(log_number);
    status = log.status();
  }
  mutex_->Lock();
  for (const auto& [id, number] : outputs) pending_outputs_.erase(number);
  KILN_RETURN_IF_ERROR(status);
  log_ = *std::move(log);
  wal_writeback_hints_ = options_.durability >= Durability::kSyncData;
  log_->set_writeback_hints(wal_writeback_hints_);
  edit.log_number = log_number;
  KILN_RETURN_IF_ERROR(ApplyEdit(edit));
  if (!outputs.empty()) ++stats_.flushes;

  mem_ = std::make_shared<MemGeneration>();
  mem_->log_number = log_number;
  mem_->id = next_generation_id_++;
  for (const auto& [id, bucket] : buckets_) {
    mem_->tables.emplace(id, NewMemTable());
  }
  RemoveObsoleteFiles(/*at_open=*/true);
  for (int i = 0; i < options_.background_tasks; ++i) {
    tasks_.push_back(env_.scheduler->Spawn("kiln-background", [this] { BackgroundLoop(); }));
  }
  return absl::OkStatus();
}

absl::Status DbImpl::RecoverWals(MemGeneration& recovered, SequenceNumber& max_sequence) {
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.file_system->ListDir(dbname_));
  if (names.size() > kMaxDirectoryEntries) {
    return absl::ResourceExhaustedError(dbname_ + ": too many files");
  }
  std::vector<uint64_t> wals;
  {
    MutexLock lock(*mutex_);
    const uint64_t min_log = versions_->log_number();
    for (const std::string& name : names) {
      const FileKind kind = ClassifyFileName(name);
      const uint64_t number = ParseFileNumber(name);
      if (number == 0) continue;
      // An orphan a crash left (a table written but never logged) must not
      // have its number handed out again before it is removed.
      if (kind == FileKind::kWal || kind == FileKind::kTable || kind == FileKind::kBlob ||
          kind == FileKind::kManifest) {
        versions_->MarkFileNumberUsed(number);
      }
      if (kind == FileKind::kWal && number >= min_log) wals.push_back(number);
    }
  }
  std::sort(wals.begin(), wals.end());
  // A retired WAL is synced only before a newer one is (Invariant 2), so a
  // crash may cut any of them short, not only the newest. The first that
  // ends early (a torn tail, no records, or fewer than the next one's first
  // sequence needs) is where what survived ends: every newer WAL is dropped,
  // and must show no sync (else the lost writes had been durable). Empty
  // WALs an open made before its manifest edit failed are dropped so too.
  std::optional<WalCut> cut;
  WalCut replayed_through;            // the last WAL replayed, and its end
  SequenceNumber expected_first = 0;  // 0: any (the first WAL)
  for (size_t i = 0; i < wals.size(); ++i) {
    if (cut.has_value()) {
      KILN_RETURN_IF_ERROR(CheckWalNeverSynced(wals[i], *cut));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(const WalReplay replay,
                          ReplayWal(wals[i], expected_first, recovered, max_sequence));
    if (replay.skipped_sequences) {
      KILN_PROBE(true, "db: recovery found a WAL that lost records at a record boundary");
      KILN_ASSERT(i > 0);
      cut = replayed_through;
      KILN_RETURN_IF_ERROR(CheckWalNeverSynced(wals[i], *cut));
      continue;
    }
    replayed_through = WalCut{.number = wals[i], .end_offset = replay.end_offset};
    if (replay.torn_tail || replay.records == 0) {
      KILN_PROBE(i + 1 < wals.size(),
                 "db: recovery found an older WAL cut short and drops the newer ones");
      cut = replayed_through;
    }
    if (replay.records > 0) expected_first = last_replayed_sequence_ + 1;
  }
  return absl::OkStatus();
}

absl::Status DbImpl::CheckWalNeverSynced(uint64_t number, const WalCut& cut) {
  const std::string path = WalFileName(dbname_, number);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        env_.file_system->OpenFile(path, OpenMode::kRead));
  LogReader reader(*file, path, number, LogReaderOptions{.tail_is_tolerated = true});
  // Every record is at least a header long, so the file's size bounds this.
  constexpr uint64_t kMaxRecordsPerWal = uint64_t{1} << 40;
  for (uint64_t records = 0; records < kMaxRecordsPerWal; ++records) {
    KILN_ASSIGN_OR_RETURN(std::optional<std::string> payload, reader.ReadRecord());
    if (!payload.has_value()) break;
    if (reader.last_record_durable_offset() > 0) {
      return Corruption(WalFileName(dbname_, cut.number) + ": ends at offset " +
                        std::to_string(cut.end_offset) + ", but the newer " + path +
                        " was synced (through offset " +
                        std::to_string(reader.last_record_durable_offset()) +
                        "), which a WAL is only after every older one: records were lost");
    }
  }
  KILN_PROBE(true, "db: recovery dropped a WAL after an older one cut short");
  return file->Close();
}

absl::StatusOr<DbImpl::WalReplay> DbImpl::ReplayWal(uint64_t number, SequenceNumber expected_first,
                                                    MemGeneration& recovered,
                                                    SequenceNumber& max_sequence) {
  const std::string path = WalFileName(dbname_, number);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        env_.file_system->OpenFile(path, OpenMode::kRead));
  LogReader reader(*file, path, number, LogReaderOptions{.tail_is_tolerated = true});
  WalReplay replay;
  // Every record is at least a header long, so the file's size bounds this.
  constexpr uint64_t kMaxRecordsPerWal = uint64_t{1} << 40;
  for (uint64_t records = 0; records < kMaxRecordsPerWal; ++records) {
    KILN_ASSIGN_OR_RETURN(std::optional<std::string> payload, reader.ReadRecord());
    if (!payload.has_value()) break;
    const auto corrupt = [&](std::string_view what) {
      return Corruption(path + ": record ending at offset " +
                        std::to_string(reader.valid_end_offset()) + ": " + std::string(what));
    };
    absl::StatusOr<DecodedBatchHeader> header = DecodeBatchPayloadHeader(*payload);
    if (!header.ok()) return corrupt(std::string(header.status().message()));
    // Records follow commit order; the manifest's last sequence may already
    // count some of them (a flush logs the last published sequence).
    if (header->sequence <= last_replayed_sequence_) {
      return corrupt("sequence " + std::to_string(header->sequence) + " does not increase past " +
                     std::to_string(last_replayed_sequence_));
    }
    if (replay.records == 0 && expected_first != 0 && header->sequence != expected_first) {
      // The older WAL lost its last records whole: nothing of this one may
      // be replayed after the gap.
      KILN_ASSERT(header->sequence > expected_first);
      replay.skipped_sequences = true;
      return replay;
    }
    if (header->count == 0) return corrupt("empty batch");
    header = InsertBatchPayload(*payload, recovered);
    if (!header.ok()) return corrupt(std::string(header.status().message()));
    last_replayed_sequence_ = header->sequence + header->count - 1;
    max_sequence = std::max(max_sequence, last_replayed_sequence_);
    ++replay.records;
  }
  KILN_PROBE(reader.saw_torn_tail(), "db: recovery dropped a torn WAL tail");
  replay.torn_tail = reader.saw_torn_tail();
  replay.end_offset = reader.valid_end_offset();
  KILN_RETURN_IF_ERROR(file->Close());
  return replay;
}

absl::StatusOr<std::unique_ptr<LogWriter>> DbImpl::CreateWal(uint64_t number) {
  const std::string path = WalFileName(dbname_, number);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        env_.file_system->OpenFile(path, OpenMode::kCreateNew));
  // Records synced into this WAL must not vanish with its name.
  KILN_RETURN_IF_ERROR(env_.file_system->SyncDir(dbname_));
  if (options_.wal_reserve_bytes > 0) {
    // Only a speed-up: on any failure the handle still appends as usual.
    const absl::Status mapped = file->MapAppends(options_.wal_reserve_bytes);
    KILN_PROBE(mapped.ok(), "db: a WAL appends through a reserved map");
  }
  return std::make_unique<LogWriter>(std::move(file), number, /*start_offset=*/0);
}

void DbImpl::RemoveObsoleteFiles(bool at_open) {
  mutex_->AssertHeld();
  if (options_.read_only) return;
  const std::vector<uint64_t> live_numbers = versions_->LiveFileNumbers();
  const std::set<uint64_t> live(live_numbers.begin(), live_numbers.end());
  const std::set<uint64_t> pending = pending_outputs_;
  const uint64_t min_log = versions_->log_number();
  const uint64_t manifest_number = versions_->manifest_number();
  // Files numbered from here on are being created by work that started after
  // this point: never remove them.
  const uint64_t first_new_number = versions_->next_file_number();
  // Retired WALs the manifest has moved past are never synced: their
  // writes are in tables now.
  std::vector<std::unique_ptr<LogWriter>> obsolete_logs;
  while (!unsynced_retired_logs_.empty() &&
         unsynced_retired_logs_.front()->log_number() < min_log) {
    obsolete_logs.push_back(std::move(unsynced_retired_logs_.front()));
    unsynced_retired_logs_.pop_front();
  }
  KILN_ASSERT(unsynced_retired_logs_.size() <= imm_.size());
  mutex_->Unlock();
  for (std::unique_ptr<LogWriter>& log : obsolete_logs) {
    KILN_PROBE(true, "db: an obsolete WAL is closed unsynced");
    // Best effort, as the removals below: the file is garbage already.
    static_cast<void>(log->Close());
  }
  obsolete_logs.clear();
  absl::StatusOr<std::vector<std::string>> names = env_.file_system->ListDir(dbname_);
  std::vector<uint64_t> removed_tables;
  if (names.ok()) {
    for (const std::string& name : *names) {
      const FileKind kind = ClassifyFileName(name);
      const uint64_t number = ParseFileNumber(name);
      bool remove = false;
      switch (kind) {
        case FileKind::kWal:
          remove = number < min_log;
          break;
        case FileKind::kTable:
          remove = number < first_new_number && live.count(number) == 0 &&
                   pending.count(number) == 0;
          if (remove) removed_tables.push_back(number);
          break;
        case FileKind::kTemp:
          remove = at_open;
          break;
        case FileKind::kManifest:
          // Only one manifest is live. A roll-over that crashed before
          // CURRENT switched leaves a newer-numbered one, never read again.
          remove = at_open && number != manifest_number;
          break;
        default:
          break;
      }
      if (!remove) continue;
      KILN_PROBE(at_open && kind == FileKind::kTable, "db: removed an orphan table at open");
      // Best effort: a file left behind is removed by a later pass.
      static_cast<void>(env_.file_system->RemoveFile(dbname_ + "/" + name));
    }
  }
  for (uint64_t number : removed_tables) table_cache_->Evict(number);
  mutex_->Lock();
}

}  // namespace kiln
