// FuzzInput: structure-aware decoding of a fuzzer's bytes. Every target and
// the corpus generator read and write inputs through it, so an input means
// the same thing under libFuzzer (clang) and under the replay main (g++).
// Reading never fails: an exhausted input yields zeros and empty strings, so
// every byte string decodes to something and short inputs stay cheap.
//
// Written for Kiln (not a copy of LLVM's FuzzedDataProvider): integers are
// taken from the FRONT, little-endian, using only as many bytes as the range
// needs, so a mutation of one byte changes one decision.
//
// Thread-safety: not thread-safe; a plain cursor.
#ifndef KILN_FUZZ_FUZZ_INPUT_H_
#define KILN_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::fuzz {

class FuzzInput {
 public:
  explicit FuzzInput(std::string_view bytes) : rest_(bytes) {}
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  size_t remaining_bytes() const { return rest_.size(); }

  // The next byte, or 0 when the input is exhausted.
  uint8_t Byte();
  bool Bool() { return (Byte() & 1) != 0; }
  // A value in [low, high] from ceil(log256(high - low + 1)) bytes.
  // REQUIRES: low <= high.
  uint64_t Range(uint64_t low, uint64_t high);
  // An index into an array of count elements. REQUIRES: count > 0.
  size_t Index(size_t count) { return static_cast<size_t>(Range(0, count - 1)); }
  template <typename T, size_t N>
  const T& Pick(const T (&options)[N]) {
    return options[Index(N)];
  }
  // Up to count bytes (fewer when the input ends first).
  std::string_view Bytes(size_t count);
  // A length in [0, max_bytes] then that many bytes (fewer at the end).
  std::string_view LengthPrefixed(size_t max_bytes);
  // Everything left.
  std::string_view Rest();

 private:
  std::string_view rest_;
};

// The inverse of FuzzInput, for generators that write inputs a target
// decodes: each Put* appends what the matching read consumes.
class FuzzInputWriter {
 public:
  void PutByte(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void PutBool(bool value) { PutByte(value ? 1 : 0); }
  // REQUIRES: low <= value <= high.
  void PutRange(uint64_t value, uint64_t low, uint64_t high);
  // REQUIRES: bytes.size() <= max_bytes.
  void PutLengthPrefixed(std::string_view bytes, size_t max_bytes);
  void PutRaw(std::string_view bytes) { bytes_.append(bytes); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_FUZZ_INPUT_H_
