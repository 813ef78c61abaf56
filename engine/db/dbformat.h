// Internal keys: how the engine orders versions of a user key.
//
//   internal key = user key bytes ++ fixed64(sequence << 8 | type)
//
// Ordered by user key ascending (bytewise), then sequence DESCENDING, then
// type descending, so the newest version of a key comes first and a seek to
// (key, snapshot sequence) lands on the newest version visible at that
// snapshot. Format details: engine/docs/ (every file format embeds these).
//
// Invariants:
//   1. sequence <= kMaxSequenceNumber (56 bits).
//   2. A range tombstone [begin, end) at sequence s is stored as the internal
//      key (begin, s, kRangeDeletion) with value end; it deletes every
//      version of every key in [begin, end) with sequence < s.
#ifndef KILN_DB_DBFORMAT_H_
#define KILN_DB_DBFORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/assert.h"
#include "util/coding.h"

namespace kiln {

using SequenceNumber = uint64_t;

inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;
inline constexpr size_t kInternalKeyTrailerBytes = 8;

// Persisted in WALs and tables: never renumber.
enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
  kRangeDeletion = 2,
  kBlobIndex = 3,  // reserved for blob files (values separated from keys)
};
inline constexpr uint8_t kMaxValueType = 3;
// For seeks: sorts before every other type at the same (key, sequence).
inline constexpr ValueType kValueTypeForSeek = ValueType::kBlobIndex;

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
};

inline uint64_t PackSequenceAndType(SequenceNumber sequence, ValueType type) {
  return (sequence << 8) | static_cast<uint8_t>(type);
}

void AppendInternalKey(std::string& out, std::string_view user_key, SequenceNumber sequence,
                       ValueType type);
std::string MakeInternalKey(std::string_view user_key, SequenceNumber sequence, ValueType type);

// False if internal_key is shorter than the trailer or has an unknown type.
[[nodiscard]] bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey& parsed);

// Inline: these run in every comparison of the memtable, blocks and merges.
// REQUIRES: internal_key.size() >= kInternalKeyTrailerBytes.
inline uint64_t ExtractTrailer(std::string_view internal_key) {
  KILN_DASSERT(internal_key.size() >= kInternalKeyTrailerBytes);
  return DecodeFixed64(internal_key.data() + internal_key.size() - kInternalKeyTrailerBytes);
}
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  KILN_DASSERT(internal_key.size() >= kInternalKeyTrailerBytes);
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerBytes);
}
inline SequenceNumber ExtractSequence(std::string_view internal_key) {
  return ExtractTrailer(internal_key) >> 8;
}
inline ValueType ExtractValueType(std::string_view internal_key) {
  return static_cast<ValueType>(ExtractTrailer(internal_key) & 0xFF);
}

// Bytewise user-key order.
inline int CompareUserKeys(std::string_view a, std::string_view b) { return a.compare(b); }

// The internal-key order described above. REQUIRES: both keys well formed.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  const int by_user_key = CompareUserKeys(ExtractUserKey(a), ExtractUserKey(b));
  if (by_user_key != 0) return by_user_key;
  const uint64_t a_trailer = ExtractTrailer(a);
  const uint64_t b_trailer = ExtractTrailer(b);
  // Larger (newer) trailers first.
  if (a_trailer > b_trailer) return -1;
  if (a_trailer < b_trailer) return 1;
  return 0;
}

struct InternalKeyLess {
  bool operator()(std::string_view a, std::string_view b) const {
    return CompareInternalKeys(a, b) < 0;
  }
};

std::string DebugInternalKey(std::string_view internal_key);

}  // namespace kiln

#endif  // KILN_DB_DBFORMAT_H_
