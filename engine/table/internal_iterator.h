// The iterator every sorted source of internal keys exposes (data and index
// blocks, tables; later memtables and merging iterators), so the DB can merge
// them without knowing where an entry lives.
//
// Errors are sticky: once status() is not OK the iterator stays !Valid() and
// further moves do nothing. A source of on-disk bytes reports a malformed
// entry as Corruption naming the file and offset; it never returns it as data.
#ifndef KILN_TABLE_INTERNAL_ITERATOR_H_
#define KILN_TABLE_INTERNAL_ITERATOR_H_

#include <string_view>

#include "absl/status/status.h"

namespace kiln {

// Thread-safety: one iterator may be used by one task at a time. Moves may
// yield when the source reads from a file (see the implementation).
class InternalIterator {
 public:
  virtual ~InternalIterator() = default;

  // Positioned at an entry (and status() is OK).
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry whose key is >= target in the source's order.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;
  // REQUIRES: Valid(). The views stay valid until the iterator moves or dies.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

}  // namespace kiln

#endif  // KILN_TABLE_INTERNAL_ITERATOR_H_
