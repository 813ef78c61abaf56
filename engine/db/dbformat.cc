#include "db/dbformat.h"

#include <cstdio>

#include "util/assert.h"
#include "util/coding.h"

namespace kiln {

void AppendInternalKey(std::string& out, std::string_view user_key, SequenceNumber sequence,
                       ValueType type) {
  KILN_ASSERT(sequence <= kMaxSequenceNumber);
  out.append(user_key);
  PutFixed64(out, PackSequenceAndType(sequence, type));
}

std::string MakeInternalKey(std::string_view user_key, SequenceNumber sequence, ValueType type) {
  std::string key;
  key.reserve(user_key.size() + kInternalKeyTrailerBytes);
  AppendInternalKey(key, user_key, sequence, type);
  return key;
}

bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey& parsed) {
  if (internal_key.size() < kInternalKeyTrailerBytes) return false;
  const uint64_t trailer =
      DecodeFixed64(internal_key.data() + internal_key.size() - kInternalKeyTrailerBytes);
  const uint8_t type = static_cast<uint8_t>(trailer & 0xFF);
  if (type > kMaxValueType) return false;
  parsed.user_key = internal_key.substr(0, internal_key.size() - kInternalKeyTrailerBytes);
  parsed.sequence = trailer >> 8;
  parsed.type = static_cast<ValueType>(type);
  return true;
}

std::string DebugInternalKey(std::string_view internal_key) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, parsed)) return "<malformed internal key>";
  std::string out = "'";
  for (unsigned char c : parsed.user_key) {
    if (c >= 0x20 && c < 0x7F && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  out += "' @" + std::to_string(parsed.sequence) + " : " +
         std::to_string(static_cast<int>(parsed.type));
  return out;
}

}  // namespace kiln
