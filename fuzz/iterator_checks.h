// Checks shared by the targets that walk an InternalIterator over untrusted
// bytes (blocks, tables): every position is either valid with a readable
// key and value or invalid, the status is OK or Corruption, and an error
// leaves the iterator invalid.
#ifndef KILN_FUZZ_ITERATOR_CHECKS_H_
#define KILN_FUZZ_ITERATOR_CHECKS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "db/internal_iterator.h"
#include "table/format.h"

namespace kiln::fuzz {

// Entries an exhaustive walk visits at most (a block or table can hold no
// more than its bytes allow; this only bounds a broken iterator).
inline constexpr size_t kMaxWalkEntries = size_t{1} << 20;

struct Walk {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  absl::Status status;
};

// Checks the current position (see the file comment); min_key_bytes is 8
// for internal-key order.
void CheckPosition(const InternalIterator& it, size_t min_key_bytes, std::string_view context);

// SeekToFirst then Next to the end, or SeekToLast then Prev (entries then in
// descending order), checking every position.
Walk WalkForward(InternalIterator& it, size_t min_key_bytes);
Walk WalkBackward(InternalIterator& it, size_t min_key_bytes);

// Whether keys strictly increase in order.
bool StrictlyIncreasing(const std::vector<std::string>& keys, BlockKeyOrder order);

// When both walks succeeded they must visit the same entries, reversed.
void CheckWalksAgree(const Walk& forward, const Walk& backward, std::string_view context);

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_ITERATOR_CHECKS_H_
