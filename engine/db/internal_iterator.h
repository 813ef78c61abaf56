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

// SeekForPrev for a source that can only Seek: the entry Seek lands on if it
// equals target, else the one before it (the last entry if Seek ran off the
// end). Equal bytes are equal keys in every order, so no comparator is needed.
inline void SeekForPrevViaSeek(InternalIterator& iterator, std::string_view target) {
  iterator.Seek(target);
  if (!iterator.Valid()) {
    if (iterator.status().ok()) iterator.SeekToLast();
    return;
  }
  if (iterator.key() != target) iterator.Prev();
}

}  // namespace kiln

#endif  // KILN_DB_INTERNAL_ITERATOR_H_
