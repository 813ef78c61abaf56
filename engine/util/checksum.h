// Checksums for every on-disk record and block: XXH3 (64-bit). A checksum is
// computed right before bytes are written and verified right after they are
// read; a mismatch is Corruption naming the file and offset.
#ifndef KILN_UTIL_CHECKSUM_H_
#define KILN_UTIL_CHECKSUM_H_

#include <cstdint>
#include <string_view>

#include "xxhash.h"

namespace kiln {

inline uint64_t Checksum64(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

// Checksum of the concatenation a + b without copying.
inline uint64_t Checksum64(std::string_view a, std::string_view b) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return XXH3_64bits_digest(&state);
}

// For formats that store 32 bits: the low half of Checksum64.
inline uint32_t Checksum32(std::string_view bytes) {
  return static_cast<uint32_t>(Checksum64(bytes));
}

}  // namespace kiln

#endif  // KILN_UTIL_CHECKSUM_H_
