#include "kiln/random.h"

#include "util/assert.h"

namespace kiln {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Random::Random(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : state_) word = SplitMix64(state);
}

uint64_t Random::Next() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Random::Uniform(uint64_t n) {
  KILN_ASSERT(n > 0);
  // Lemire's multiply-shift with rejection: unbiased and branch-light.
  unsigned __int128 product = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

uint64_t Random::Range(uint64_t low, uint64_t high) {
  KILN_ASSERT(low <= high);
  const uint64_t span = high - low;
  if (span == UINT64_MAX) return Next();
  return low + Uniform(span + 1);
}

bool Random::OneIn(uint64_t n) { return Uniform(n) == 0; }

bool Random::Chance(double probability) {
  if (probability <= 0.0) return false;
  if (probability >= 1.0) return true;
  return UniformDouble() < probability;
}

double Random::UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t StableHash64(std::string_view bytes) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  uint64_t state = hash;
  return SplitMix64(state);
}

uint64_t MixSeed(uint64_t seed, uint64_t value) {
  uint64_t state = seed ^ RotateLeft(value, 29) ^ 0xD6E8FEB86659FD93ULL;
  return SplitMix64(state);
}

}  // namespace kiln
