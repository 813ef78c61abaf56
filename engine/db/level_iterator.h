// One merge child for a whole level >= 1: the level's files are sorted and
// their key ranges disjoint (version.h, Invariant 5), so the level reads as
// one sorted run. Only the file the iterator is in is open; moving past its
// end opens the next one through the table cache. A merge over a deep tree
// thus has one child per level, not one per table, and opens only the tables
// a scan reaches.
//
// Point entries only: the caller gathers the level's range tombstones itself
// (a file's tombstones must apply even where the iterator never goes).
//
// Thread-safety: one task at a time. Every positioning call may yield (it
// may open a table or read a block).
#ifndef KILN_DB_LEVEL_ITERATOR_H_
#define KILN_DB_LEVEL_ITERATOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "db/internal_iterator.h"
#include "db/table_cache.h"
#include "db/version.h"
#include "table/table_reader.h"

namespace kiln {

struct LevelIteratorOptions {
  TableReadOptions read;
  // Set: the reader wants only keys starting with prefix. A file whose
  // prefix filter excludes it reads as empty, and moving past the last file
  // that may hold such keys ends the iteration.
  std::optional<std::string> prefix;
  // Not owned; may be null. Counts files skipped by the prefix filter.
  std::atomic<uint64_t>* tables_skipped_by_prefix = nullptr;
};

// REQUIRES: files sorted by smallest key with disjoint user-key ranges, and
// table_cache outlives the iterator.
std::unique_ptr<InternalIterator> NewLevelIterator(TableCache& table_cache, FileList files,
                                                   LevelIteratorOptions options);

// The largest sequence of any entry in files (0 if none): the merge's
// sequence_max for a level iterator over them.
SequenceNumber LevelSequenceMax(const FileList& files);

}  // namespace kiln

#endif  // KILN_DB_LEVEL_ITERATOR_H_
