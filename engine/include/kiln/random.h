// A small, fast, seeded pseudo-random generator (xoshiro256**, seeded through
// splitmix64). Kiln never reads entropy from the OS: every stream of random
// numbers is derived from a seed, so a simulated run replays bit for bit.
//
// Thread-safety: a Random is not thread-safe; give each user its own stream
// (Env::NewRandom derives independent named streams from one seed).
#ifndef KILN_RANDOM_H_
#define KILN_RANDOM_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace kiln {

class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [low, high] (inclusive). REQUIRES: low <= high.
  uint64_t Range(uint64_t low, uint64_t high);
  // True with probability 1/n. REQUIRES: n > 0.
  bool OneIn(uint64_t n);
  // True with probability p, p in [0, 1].
  bool Chance(double probability);
  // Uniform in [0, 1).
  double UniformDouble();

 private:
  std::array<uint64_t, 4> state_;
};

// A stable 64-bit hash of a byte string (FNV-1a then a finalising mix); used
// to derive stream seeds from names. Never changes across versions.
uint64_t StableHash64(std::string_view bytes);

// Mixes two 64-bit values into one (order-sensitive).
uint64_t MixSeed(uint64_t seed, uint64_t value);

}  // namespace kiln

#endif  // KILN_RANDOM_H_
