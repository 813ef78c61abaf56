// RocksDB (Debian's librocksdb) behind the kvbench Engine interface.
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "tools/kvbench/engine.h"
#include "tools/kvbench/foreign_engine.h"

namespace kiln::kvbench {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return ToForeignSlice<rocksdb::Slice>(bytes); }
absl::Status ToStatus(const rocksdb::Status& status) { return FromForeignStatus(status); }

rocksdb::Options RocksOptions(const EngineSettings& settings) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = settings.write_buffer_bytes;
  options.target_file_size_base = settings.target_file_size_bytes;
  options.compression = settings.compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(settings.cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(settings.bloom_bits_per_key));
  table.block_size = settings.block_size_bytes;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

using RocksDbIterator = ForeignIterator<rocksdb::Iterator, rocksdb::Slice>;

class RocksDbEngine final : public Engine {
 public:
  RocksDbEngine(std::unique_ptr<rocksdb::DB> db, bool verify_checksums) : db_(std::move(db)) {
    read_options_.verify_checksums = verify_checksums;
  }
  ~RocksDbEngine() override { static_cast<void>(Close()); }

  std::string_view name() const override { return "rocksdb"; }

  absl::Status Put(std::string_view key, std::string_view value, bool sync) override {
    return ToStatus(db_->Put(WriteOptionsFor(sync), ToSlice(key), ToSlice(value)));
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    return ToStatus(db_->Delete(WriteOptionsFor(sync), ToSlice(key)));
  }
  absl::Status PutBatch(std::span<const KeyValue> entries, bool sync) override {
    rocksdb::WriteBatch batch;
    for (const KeyValue& entry : entries) {
      rocksdb::Status status = batch.Put(ToSlice(entry.key), ToSlice(entry.value));
      if (!status.ok()) return ToStatus(status);
    }
    return ToStatus(db_->Write(WriteOptionsFor(sync), &batch));
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    rocksdb::Status status = db_->Get(read_options_, ToSlice(key), value);
    if (status.IsNotFound()) return false;
    if (!status.ok()) return ToStatus(status);
    return true;
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<RocksDbIterator>(db_->NewIterator(read_options_));
  }
  std::map<std::string, double> Stats() override {
    if (db_ == nullptr) return {};
    return ForeignTablesPerLevel(*db_, "rocksdb", 7);
  }
  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    absl::Status status = ToStatus(db_->Close());
    db_.reset();
    return status;
  }

 private:
  static rocksdb::WriteOptions WriteOptionsFor(bool sync) {
    rocksdb::WriteOptions options;
    options.sync = sync;
    return options;
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ReadOptions read_options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenRocksDb(const EngineSettings& settings,
                                                    const std::string& dir) {
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(RocksOptions(settings), dir, &db);
  if (!status.ok()) return ToStatus(status);
  return std::make_unique<RocksDbEngine>(std::unique_ptr<rocksdb::DB>(db),
                                         settings.verify_checksums);
}

std::string DescribeRocksDb(const EngineSettings& settings) {
  const rocksdb::Options options = RocksOptions(settings);
  return "rocksdb: write_buffer_size=" + std::to_string(options.write_buffer_size) +
         " block_cache=NewLRUCache(" + std::to_string(settings.cache_bytes) + ")" +
         " filter_policy=NewBloomFilterPolicy(" + std::to_string(settings.bloom_bits_per_key) +
         ") block_size=" + std::to_string(settings.block_size_bytes) +
         " target_file_size_base=" + std::to_string(options.target_file_size_base) +
         " compression=" + (settings.compression ? "lz4" : "none") +
         " sync=false (sync writes: sync=true)" +
         " max_background_jobs=" + std::to_string(options.max_background_jobs) +
         " max_write_buffer_number=" + std::to_string(options.max_write_buffer_number) +
         " verify_checksums=" + (settings.verify_checksums ? "true" : "false");
}

}  // namespace kiln::kvbench
