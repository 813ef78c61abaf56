// Kiln behind the kvbench Engine interface.
#include <memory>
#include <string>
#include <utility>

#include "kiln/db.h"
#include "kiln/options.h"
#include "kiln/write_batch.h"
#include "tools/kvbench/engine.h"

namespace kiln::kvbench {
namespace {

// Kiln's options for the shared settings. Writes without sync are kFlush:
// handed to the OS, which is what LevelDB and RocksDB do by default.
Options KilnOptions(const EngineSettings& settings) {
  Options options{.create_if_missing = true, .durability = Durability::kFlush};
  options.memtable_budget_bytes = KilnMemtableBudgetBytes(settings);
  options.block_cache_bytes = settings.cache_bytes;
  // LevelDB maps its tables too (its default on 64-bit hosts); RocksDB reads.
  options.map_table_files = settings.map_table_files;
  options.target_file_size_bytes = settings.target_file_size_bytes;
  options.default_bucket.block_size_bytes = settings.block_size_bytes;
  options.default_bucket.bloom_bits_per_key = settings.bloom_bits_per_key;
  options.default_bucket.compression = settings.compression ? Compression::kLz4 : Compression::kNone;
  return options;
}

WriteOptions KilnWriteOptions(bool sync) {
  WriteOptions options;
  if (sync) options.durability = Durability::kSyncData;
  return options;
}

class KilnIterator final : public EngineIterator {
 public:
  explicit KilnIterator(std::unique_ptr<Iterator> inner) : inner_(std::move(inner)) {}
  void SeekToFirst() override { inner_->SeekToFirst(); }
  void Seek(std::string_view target) override { inner_->Seek(target); }
  bool Valid() const override { return inner_->Valid(); }
  void Next() override { inner_->Next(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  absl::Status status() const override { return inner_->status(); }

 private:
  std::unique_ptr<Iterator> inner_;
};

class KilnEngine final : public Engine {
 public:
  KilnEngine(std::unique_ptr<Db> db, bool verify_checksums)
      : db_(std::move(db)), read_options_{.verify_checksums = verify_checksums} {}
  ~KilnEngine() override { static_cast<void>(Close()); }

  std::string_view name() const override { return "kiln"; }

  absl::Status Put(std::string_view key, std::string_view value, bool sync) override {
    return db_->Put(key, value, KilnWriteOptions(sync)).status();
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    return db_->Delete(key, KilnWriteOptions(sync)).status();
  }
  absl::Status PutBatch(std::span<const KeyValue> entries, bool sync) override {
    WriteBatch batch;
    for (const KeyValue& entry : entries) {
      if (absl::Status status = batch.Put(entry.key, entry.value); !status.ok()) return status;
    }
    return db_->Write(batch, KilnWriteOptions(sync)).status();
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    absl::StatusOr<std::optional<std::string>> found = db_->Get(key, read_options_);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return false;
    *value = std::move(**found);
    return true;
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<KilnIterator>(db_->NewIterator(read_options_));
  }
  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    absl::Status status = db_->Close();
    db_.reset();
    return status;
  }
  std::map<std::string, double> Stats() override {
    if (db_ == nullptr) return {};
    const kiln::Stats stats = db_->GetStats();
    std::map<std::string, double> out = {
        {"user_bytes_written", double(stats.bytes_written)},
        {"wal_bytes_written", double(stats.wal_bytes_written)},
        {"table_bytes_written", double(stats.table_bytes_written)},
        {"wal_syncs", double(stats.wal_syncs)},
        {"flushes", double(stats.flushes)},
        {"compactions", double(stats.compactions)},
        {"stalls", double(stats.stalls)},
        {"stall_time_ms", double(stats.stall_time_ns) / 1e6},
        {"cache_hits", double(stats.cache_hits)},
        {"cache_misses", double(stats.cache_misses)},
        {"write_amplification", stats.write_amplification},
    };
    for (size_t level = 0; level < stats.tables_per_level.size(); ++level) {
      out["tables_l" + std::to_string(level)] = double(stats.tables_per_level[level]);
    }
    return out;
  }

 private:
  std::unique_ptr<Db> db_;
  const ReadOptions read_options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenKiln(const EngineSettings& settings,
                                                 const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(KilnOptions(settings), dir);
  if (!db.ok()) return db.status();
  return std::make_unique<KilnEngine>(*std::move(db), settings.verify_checksums);
}

std::string DescribeKiln(const EngineSettings& settings) {
  const Options options = KilnOptions(settings);
  return "kiln:    memtable_budget_bytes=" + std::to_string(options.memtable_budget_bytes) +
         " block_cache_bytes=" + std::to_string(options.block_cache_bytes) +
         " bloom_bits_per_key=" + std::to_string(options.default_bucket.bloom_bits_per_key) +
         " block_size_bytes=" + std::to_string(options.default_bucket.block_size_bytes) +
         " target_file_size_bytes=" + std::to_string(options.target_file_size_bytes) +
         " compression=" + (settings.compression ? "lz4" : "none") +
         " durability=kFlush (sync writes: kSyncData)" +
         " background_tasks=" + std::to_string(options.background_tasks) +
         " map_table_files=" + (options.map_table_files ? "true" : "false") +
         " verify_checksums=" + (settings.verify_checksums ? "true" : "false");
}

}  // namespace kiln::kvbench
