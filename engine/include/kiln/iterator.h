// A user-facing iterator over one bucket at one snapshot (the latest state
// when it was created, unless ReadOptions::snapshot names one). It sees every
// committed write up to its sequence and nothing after, whatever flushes or
// compactions happen meanwhile.
//
// Errors: a failed read makes the iterator invalid with a non-OK status();
// it never yields wrong bytes.
// Thread-safety: one iterator is used by one task at a time. It must be
// destroyed before its database.
#ifndef KILN_ITERATOR_H_
#define KILN_ITERATOR_H_

#include <string_view>

#include "absl/status/status.h"

namespace kiln {

class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // The first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // The last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // REQUIRES: Valid(). Valid until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

}  // namespace kiln

#endif  // KILN_ITERATOR_H_
