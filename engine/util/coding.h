// Little-endian fixed-width and varint encodings used by every on-disk
// format (engine/docs/). Decoders take a std::string_view cursor, advance it
// past what they consumed, and return false on truncated or malformed input
// without reading out of bounds: every parser of untrusted bytes uses them.
#ifndef KILN_UTIL_CODING_H_
#define KILN_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kiln {

inline constexpr size_t kMaxVarint32Bytes = 5;
inline constexpr size_t kMaxVarint64Bytes = 10;

inline void EncodeFixed32(char* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i));
}
inline void EncodeFixed64(char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}
inline uint32_t DecodeFixed32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return value;
}
inline uint64_t DecodeFixed64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return value;
}

void PutFixed32(std::string& out, uint32_t value);
void PutFixed64(std::string& out, uint64_t value);
void PutVarint32(std::string& out, uint32_t value);
void PutVarint64(std::string& out, uint64_t value);
// varint32 length, then the bytes.
void PutLengthPrefixed(std::string& out, std::string_view bytes);
// Bytes PutVarint64 would append for value.
size_t VarintLength(uint64_t value);

// Each consumes from the front of input; false (input unspecified) if it is
// too short or malformed.
[[nodiscard]] bool GetFixed32(std::string_view& input, uint32_t& value);
[[nodiscard]] bool GetFixed64(std::string_view& input, uint64_t& value);
[[nodiscard]] bool GetVarint32(std::string_view& input, uint32_t& value);
[[nodiscard]] bool GetVarint64(std::string_view& input, uint64_t& value);
// The multi-byte cases of the two above; most varints in blocks and batches
// are one byte, which the inline versions decode without a call.
[[nodiscard]] bool GetVarint32Slow(std::string_view& input, uint32_t& value);
[[nodiscard]] bool GetVarint64Slow(std::string_view& input, uint64_t& value);

// Consumes a varint that fits its first byte (< 0x80), the common case.
inline bool TakeOneByteVarint(std::string_view& input, uint8_t& byte) {
  if (input.empty() || static_cast<uint8_t>(input[0]) >= 0x80) return false;
  byte = static_cast<uint8_t>(input[0]);
  input.remove_prefix(1);
  return true;
}

inline bool GetVarint32(std::string_view& input, uint32_t& value) {
  uint8_t byte = 0;
  if (!TakeOneByteVarint(input, byte)) return GetVarint32Slow(input, value);
  value = byte;
  return true;
}

// The returned view points into input's buffer. Inline: batches and WAL
// records decode two per entry.
[[nodiscard]] inline bool GetLengthPrefixed(std::string_view& input, std::string_view& bytes) {
  std::string_view rest = input;
  uint32_t length = 0;
  if (!GetVarint32(rest, length) || rest.size() < length) return false;
  bytes = std::string_view(rest.data(), length);
  input = std::string_view(rest.data() + length, rest.size() - length);
  return true;
}

inline bool GetVarint64(std::string_view& input, uint64_t& value) {
  uint8_t byte = 0;
  if (!TakeOneByteVarint(input, byte)) return GetVarint64Slow(input, value);
  value = byte;
  return true;
}

}  // namespace kiln

#endif  // KILN_UTIL_CODING_H_
