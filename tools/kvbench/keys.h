// Keys and values for the workloads: fixed-width decimal keys (16 bytes, so
// key order is numeric order) and values sliced from a block of seeded random
// bytes (incompressible, the same for every engine).
#ifndef KILN_TOOLS_KVBENCH_KEYS_H_
#define KILN_TOOLS_KVBENCH_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::kvbench {

inline constexpr size_t kKeyBytes = 16;

// Formats key numbers into one reused buffer.
class KeyFormatter {
 public:
  // The 16-digit zero-padded decimal of number; valid until the next call.
  std::string_view Key(uint64_t number);

 private:
  char buffer_[kKeyBytes];
};

// Values of one size, each a different slice of a block of random bytes.
// Thread-safety: one per thread.
class ValueSource {
 public:
  ValueSource(size_t value_bytes, uint64_t seed);
  // Valid as long as the source.
  std::string_view Next();

 private:
  size_t value_bytes_;
  std::string block_;
  size_t position_ = 0;
};

// 0..count-1 in a seeded random order. REQUIRES: count <= UINT32_MAX.
std::vector<uint32_t> Permutation(uint64_t count, uint64_t seed);

// The seeded generator one thread of a workload draws random keys from.
std::mt19937_64 ThreadRandom(uint64_t seed, int thread);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_KEYS_H_
