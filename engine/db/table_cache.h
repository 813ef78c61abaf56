// The table cache: file number -> an open TableReader (with its File and its
// fragmented range tombstones), so reads do not reopen and re-parse a table's
// metadata each time. Bounded by Options::max_open_tables through a Cache in
// which every open table is charged 1.
//
// An OpenTable is handed out as a shared_ptr: a reader (an iterator, a Get)
// keeps its table open even if the cache evicts it meanwhile, so eviction
// never pulls a file from under a reader.
//
// Readers are opened without forced data-block checks: each read says
// whether it checks (TableReadOptions, from ReadOptions::verify_checksums).
//
// Thread-safety: every method is safe to call concurrently. Two tasks that
// miss on the same table at once may both open it; the later insert wins.
#ifndef KILN_DB_TABLE_CACHE_H_
#define KILN_DB_TABLE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cache/cache.h"
#include "db/internal_iterator.h"
#include "db/range_tombstones.h"
#include "db/version_edit.h"
#include "kiln/env.h"
#include "table/table_reader.h"

namespace kiln {

struct OpenTable final : public CacheValue {
  std::unique_ptr<File> file;
  // Shares file; declared after it so it is destroyed first.
  std::unique_ptr<TableReader> reader;
  // The table's range tombstones, fragmented once for point reads.
  std::shared_ptr<const FragmentedRangeTombstones> tombstones;
  // Every tombstone as stored, for iterators that fragment all sources together.
  std::vector<RangeTombstone> range_tombstones;
};

class TableCache {
 public:
  // block_cache may be null; it and env must outlive the table cache.
  // map_files: read data blocks from file images (TableReaderOptions::map_file).
  // REQUIRES: max_open_tables > 0.
  TableCache(const Env& env, std::string dbname, size_t max_open_tables, Cache* block_cache,
             bool map_files = false);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // The open table for meta, opening it on a miss. Corruption names the
  // file. May yield.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const OpenTable>> Get(const FileMetaData& meta);

  // An iterator over meta's point entries that keeps its table open for as
  // long as it lives. May yield.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<InternalIterator>> NewIterator(
      const FileMetaData& meta, const TableReadOptions& read = {});

  // Drops the cache's reference to table number (after the file is removed).
  // May yield.
  void Evict(uint64_t number);

  CacheStats Stats() { return cache_->Stats(); }

 private:
  const Env& env_;
  const std::string dbname_;
  Cache* const block_cache_;
  const bool map_files_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace kiln

#endif  // KILN_DB_TABLE_CACHE_H_
