// The iterator every internal layer speaks: over (internal key, value) pairs
// in internal-key order (dbformat.h). Memtables, table blocks, whole tables,
// levels and the merge of them all implement it; the user-facing Iterator is
// built on top (visibility at a snapshot, deletions, range tombstones).
//
// Errors: a failed read or corrupt data makes the iterator invalid with a
// non-OK status(); it never returns unchecked bytes.
// Thread-safety: one iterator is used by one task at a time.
#ifndef KILN_DB_INTERNAL_ITERATOR_H_
#define KILN_DB_INTERNAL_ITERATOR_H_

#include <string_view>

#include "absl/status/status.h"

namespace kiln {

class InternalIterator {
 public:
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // The first entry whose internal key is >= target.
  virtual void Seek(std::string_view target) = 0;
  // The last entry whose internal key is <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;
  // REQUIRES: Valid(). Views stay valid until the iterator moves or dies.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

}  // namespace kiln

#endif  // KILN_DB_INTERNAL_ITERATOR_H_
