#include "fuzz/fuzz_input.h"

#include <algorithm>

#include "util/assert.h"

namespace kiln::fuzz {
namespace {

// Bytes needed to spell every value in [0, span].
int BytesForSpan(uint64_t span) {
  int bytes = 0;
  while (span != 0) {
    ++bytes;
    span >>= 8;
  }
  return bytes;
}

}  // namespace

uint8_t FuzzInput::Byte() {
  if (rest_.empty()) return 0;
  const uint8_t value = static_cast<uint8_t>(rest_.front());
  rest_.remove_prefix(1);
  return value;
}

uint64_t FuzzInput::Range(uint64_t low, uint64_t high) {
  KILN_ASSERT(low <= high);
  const uint64_t span = high - low;
  uint64_t value = 0;
  const int bytes = BytesForSpan(span);
  for (int i = 0; i < bytes; ++i) value |= uint64_t{Byte()} << (8 * i);
  if (span == UINT64_MAX) return value;
  return low + value % (span + 1);
}

std::string_view FuzzInput::Bytes(size_t count) {
  const std::string_view taken = rest_.substr(0, std::min(count, rest_.size()));
  rest_.remove_prefix(taken.size());
  return taken;
}

std::string_view FuzzInput::LengthPrefixed(size_t max_bytes) {
  return Bytes(static_cast<size_t>(Range(0, max_bytes)));
}

std::string_view FuzzInput::Rest() { return Bytes(rest_.size()); }

void FuzzInputWriter::PutRange(uint64_t value, uint64_t low, uint64_t high) {
  KILN_ASSERT(low <= value);
  KILN_ASSERT(value <= high);
  uint64_t offset = value - low;
  for (int i = 0; i < BytesForSpan(high - low); ++i) {
    PutByte(static_cast<uint8_t>(offset));
    offset >>= 8;
  }
}

void FuzzInputWriter::PutLengthPrefixed(std::string_view bytes, size_t max_bytes) {
  KILN_ASSERT(bytes.size() <= max_bytes);
  PutRange(bytes.size(), 0, max_bytes);
  PutRaw(bytes);
}

}  // namespace kiln::fuzz
