// LevelDB (Debian's libleveldb) behind the kvbench Engine interface.
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/write_batch.h"
#include "tools/kvbench/engine.h"
#include "tools/kvbench/foreign_engine.h"

namespace kiln::kvbench {
namespace {

leveldb::Slice ToSlice(std::string_view bytes) { return ToForeignSlice<leveldb::Slice>(bytes); }
absl::Status ToStatus(const leveldb::Status& status) { return FromForeignStatus(status); }

using LevelDbIterator = ForeignIterator<leveldb::Iterator, leveldb::Slice>;

class LevelDbEngine final : public Engine {
 public:
  LevelDbEngine(const EngineSettings& settings, const std::string& dir)
      : cache_(leveldb::NewLRUCache(settings.cache_bytes)),
        filter_(leveldb::NewBloomFilterPolicy(settings.bloom_bits_per_key)) {
    options_.create_if_missing = true;
    options_.write_buffer_size = settings.write_buffer_bytes;
    options_.block_cache = cache_.get();
    options_.filter_policy = filter_.get();
    options_.block_size = settings.block_size_bytes;
    options_.max_file_size = settings.target_file_size_bytes;
    // LevelDB has snappy, not lz4: compression is on for all engines or none.
    options_.compression = leveldb::kNoCompression;
    read_options_.verify_checksums = settings.verify_checksums;
    dir_ = dir;
  }
  ~LevelDbEngine() override { static_cast<void>(Close()); }

  absl::Status Open() {
    leveldb::DB* db = nullptr;
    leveldb::Status status = leveldb::DB::Open(options_, dir_, &db);
    db_.reset(db);
    return ToStatus(status);
  }

  std::string_view name() const override { return "leveldb"; }

  absl::Status Put(std::string_view key, std::string_view value, bool sync) override {
    return ToStatus(db_->Put(WriteOptionsFor(sync), ToSlice(key), ToSlice(value)));
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    return ToStatus(db_->Delete(WriteOptionsFor(sync), ToSlice(key)));
  }
  absl::Status PutBatch(std::span<const KeyValue> entries, bool sync) override {
    leveldb::WriteBatch batch;
    for (const KeyValue& entry : entries) batch.Put(ToSlice(entry.key), ToSlice(entry.value));
    return ToStatus(db_->Write(WriteOptionsFor(sync), &batch));
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    leveldb::Status status = db_->Get(read_options_, ToSlice(key), value);
    if (status.IsNotFound()) return false;
    if (!status.ok()) return ToStatus(status);
    return true;
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<LevelDbIterator>(db_->NewIterator(read_options_));
  }
  std::map<std::string, double> Stats() override {
    if (db_ == nullptr) return {};
    return ForeignTablesPerLevel(*db_, "leveldb", 7);
  }
  absl::Status Close() override {
    db_.reset();  // LevelDB closes in its destructor
    return absl::OkStatus();
  }

 private:
  static leveldb::WriteOptions WriteOptionsFor(bool sync) {
    leveldb::WriteOptions options;
    options.sync = sync;
    return options;
  }

  // Declared before db_: the database must be destroyed first.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  leveldb::Options options_;
  leveldb::ReadOptions read_options_;
  std::string dir_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenLevelDb(const EngineSettings& settings,
                                                    const std::string& dir) {
  auto engine = std::make_unique<LevelDbEngine>(settings, dir);
  if (absl::Status status = engine->Open(); !status.ok()) return status;
  return engine;
}

std::string DescribeLevelDb(const EngineSettings& settings) {
  return "leveldb: write_buffer_size=" + std::to_string(settings.write_buffer_bytes) +
         " block_cache=NewLRUCache(" + std::to_string(settings.cache_bytes) + ")" +
         " filter_policy=NewBloomFilterPolicy(" + std::to_string(settings.bloom_bits_per_key) +
         ") block_size=" + std::to_string(settings.block_size_bytes) +
         " max_file_size=" + std::to_string(settings.target_file_size_bytes) +
         " compression=none sync=false (sync writes: sync=true)" +
         " background threads=1 (fixed)" +
         " verify_checksums=" + (settings.verify_checksums ? "true" : "false");
}

}  // namespace kiln::kvbench
