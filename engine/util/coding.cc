#include "util/coding.h"

namespace kiln {

void PutFixed32(std::string& out, uint32_t value) {
  char buffer[4];
  EncodeFixed32(buffer, value);
  out.append(buffer, 4);
}

void PutFixed64(std::string& out, uint64_t value) {
  char buffer[8];
  EncodeFixed64(buffer, value);
  out.append(buffer, 8);
}

void PutVarint64(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutVarint32(std::string& out, uint32_t value) { PutVarint64(out, value); }

void PutLengthPrefixed(std::string& out, std::string_view bytes) {
  PutVarint32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

size_t VarintLength(uint64_t value) {
  size_t length = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++length;
  }
  return length;
}

bool GetFixed32(std::string_view& input, uint32_t& value) {
  if (input.size() < 4) return false;
  value = DecodeFixed32(input.data());
  input.remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view& input, uint64_t& value) {
  if (input.size() < 8) return false;
  value = DecodeFixed64(input.data());
  input.remove_prefix(8);
  return true;
}

bool GetVarint64Slow(std::string_view& input, uint64_t& value) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarint64Bytes && i < input.size(); ++i) {
    const uint64_t byte = static_cast<uint8_t>(input[i]);
    if (i == kMaxVarint64Bytes - 1 && byte > 1) return false;  // overflows 64 bits
    result |= (byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      value = result;
      input.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

bool GetVarint32Slow(std::string_view& input, uint32_t& value) {
  std::string_view copy = input;
  uint64_t wide = 0;
  if (!GetVarint64Slow(copy, wide) || wide > UINT32_MAX || input.size() - copy.size() > kMaxVarint32Bytes) {
    return false;
  }
  value = static_cast<uint32_t>(wide);
  input = copy;
  return true;
}

}  // namespace kiln
