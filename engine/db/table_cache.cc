#include "db/table_cache.h"

#include <utility>

#include "db/file_names.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

std::string CacheKey(uint64_t number) {
  std::string key;
  PutFixed64(key, number);
  return key;
}

// Keeps an open table alive under its iterator.
class PinnedTableIterator final : public InternalIterator {
 public:
  PinnedTableIterator(std::shared_ptr<const OpenTable> table, const TableReadOptions& read)
      : table_(std::move(table)), inner_(table_->reader->NewIterator(read)) {}
  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override { inner_->SeekToFirst(); }
  void SeekToLast() override { inner_->SeekToLast(); }
  void Seek(std::string_view target) override { inner_->Seek(target); }
  void SeekForPrev(std::string_view target) override { inner_->SeekForPrev(target); }
  void Next() override { inner_->Next(); }
  void Prev() override { inner_->Prev(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  absl::Status status() const override { return inner_->status(); }

 private:
  std::shared_ptr<const OpenTable> table_;  // outlives inner_
  std::unique_ptr<InternalIterator> inner_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<InternalIterator>> TableCache::NewIterator(
    const FileMetaData& meta, const TableReadOptions& read) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const OpenTable> table, Get(meta));
  return std::unique_ptr<InternalIterator>(
      std::make_unique<PinnedTableIterator>(std::move(table), read));
}

TableCache::TableCache(const Env& env, std::string dbname, size_t max_open_tables,
                       Cache* block_cache, bool map_files)
    : env_(env), dbname_(std::move(dbname)), block_cache_(block_cache), map_files_(map_files) {
  KILN_ASSERT(max_open_tables > 0);
  // One shard: the bound is a count of tables, which sharding would split.
  cache_ = NewShardedLruCache(*env_.scheduler, max_open_tables, /*shard_bits=*/0);
}

absl::StatusOr<std::shared_ptr<const OpenTable>> TableCache::Get(const FileMetaData& meta) {
  const std::string key = CacheKey(meta.number);
  if (std::shared_ptr<const CacheValue> hit = cache_->Lookup(key)) {
    return std::static_pointer_cast<const OpenTable>(std::move(hit));
  }
  auto table = std::make_shared<OpenTable>();
  const std::string path = TableFileName(dbname_, meta.number);
  KILN_ASSIGN_OR_RETURN(table->file, env_.file_system->OpenFile(path, OpenMode::kRead));
  TableReaderOptions options;
  options.file = table->file.get();
  options.path = path;
  options.file_size = meta.size_bytes;
  options.block_cache = block_cache_;
  options.cache_id = meta.number;
  options.verify_checksums = false;  // each read decides
  options.scheduler = env_.scheduler;
  options.map_file = map_files_;
  KILN_ASSIGN_OR_RETURN(table->reader, TableReader::Open(std::move(options)));
  table->range_tombstones.reserve(table->reader->RangeTombstones().size());
  for (const StoredRangeTombstone& stored : table->reader->RangeTombstones()) {
    table->range_tombstones.push_back(
        RangeTombstone{.begin = stored.begin, .end = stored.end, .sequence = stored.sequence});
  }
  table->tombstones = std::make_shared<const FragmentedRangeTombstones>(table->range_tombstones);
  std::shared_ptr<const OpenTable> result = std::move(table);
  cache_->Insert(key, result, /*charge_bytes=*/1);
  return result;
}

void TableCache::Evict(uint64_t number) { cache_->Erase(CacheKey(number)); }

}  // namespace kiln
