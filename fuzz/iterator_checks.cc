#include "fuzz/iterator_checks.h"

#include <algorithm>

#include "db/dbformat.h"
#include "fuzz/fuzz_check.h"

namespace kiln::fuzz {

void CheckPosition(const InternalIterator& it, size_t min_key_bytes, std::string_view context) {
  const absl::Status status = it.status();
  CheckParseStatus(status, context);
  if (!status.ok()) {
    KILN_FUZZ_CHECK(!it.Valid(), std::string(context) + ": valid after an error");
    return;
  }
  if (!it.Valid()) return;
  const std::string_view key = it.key();
  KILN_FUZZ_CHECK(key.size() >= min_key_bytes, std::string(context) + ": short key");
  // Touch every byte so a sanitizer sees a key or value that points nowhere.
  size_t sum = 0;
  for (char c : key) sum += static_cast<unsigned char>(c);
  for (char c : it.value()) sum += static_cast<unsigned char>(c);
  static_cast<void>(sum);
}

Walk WalkForward(InternalIterator& it, size_t min_key_bytes) {
  Walk walk;
  it.SeekToFirst();
  for (; it.Valid() && walk.keys.size() < kMaxWalkEntries; it.Next()) {
    CheckPosition(it, min_key_bytes, "forward walk");
    walk.keys.emplace_back(it.key());
    walk.values.emplace_back(it.value());
  }
  CheckPosition(it, min_key_bytes, "forward walk end");
  KILN_FUZZ_CHECK(walk.keys.size() < kMaxWalkEntries, "forward walk does not end");
  walk.status = it.status();
  return walk;
}

Walk WalkBackward(InternalIterator& it, size_t min_key_bytes) {
  Walk walk;
  it.SeekToLast();
  for (; it.Valid() && walk.keys.size() < kMaxWalkEntries; it.Prev()) {
    CheckPosition(it, min_key_bytes, "backward walk");
    walk.keys.emplace_back(it.key());
    walk.values.emplace_back(it.value());
  }
  CheckPosition(it, min_key_bytes, "backward walk end");
  KILN_FUZZ_CHECK(walk.keys.size() < kMaxWalkEntries, "backward walk does not end");
  walk.status = it.status();
  return walk;
}

bool StrictlyIncreasing(const std::vector<std::string>& keys, BlockKeyOrder order) {
  for (size_t i = 1; i < keys.size(); ++i) {
    const int c = order == BlockKeyOrder::kInternal ? CompareInternalKeys(keys[i - 1], keys[i])
                                                    : keys[i - 1].compare(keys[i]);
    if (c >= 0) return false;
  }
  return true;
}

void CheckWalksAgree(const Walk& forward, const Walk& backward, std::string_view context) {
  if (!forward.status.ok() || !backward.status.ok()) return;
  KILN_FUZZ_CHECK(forward.keys.size() == backward.keys.size(),
                  std::string(context) + ": walks see " + std::to_string(forward.keys.size()) +
                      " and " + std::to_string(backward.keys.size()) + " entries");
  KILN_FUZZ_CHECK(std::equal(forward.keys.begin(), forward.keys.end(), backward.keys.rbegin()),
                  std::string(context) + ": walks see different keys");
  KILN_FUZZ_CHECK(
      std::equal(forward.values.begin(), forward.values.end(), backward.values.rbegin()),
      std::string(context) + ": walks see different values");
}

}  // namespace kiln::fuzz
