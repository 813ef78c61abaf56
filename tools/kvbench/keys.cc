#include "tools/kvbench/keys.h"

#include <algorithm>

#include "util/assert.h"

namespace kiln::kvbench {
namespace {

// Values are slices of a block this much larger than one value, so
// consecutive values differ and a whole block never sits in one cache line.
constexpr size_t kValueBlockBytes = size_t{1} << 20;

}  // namespace

std::string_view KeyFormatter::Key(uint64_t number) {
  for (size_t i = kKeyBytes; i > 0; --i) {
    buffer_[i - 1] = static_cast<char>('0' + number % 10);
    number /= 10;
  }
  KILN_ASSERT_MSG(number == 0, "key number exceeds 16 decimal digits");
  return std::string_view(buffer_, kKeyBytes);
}

ValueSource::ValueSource(size_t value_bytes, uint64_t seed) : value_bytes_(value_bytes) {
  std::mt19937_64 random(seed);
  block_.resize(std::max(kValueBlockBytes, 2 * value_bytes));
  for (char& byte : block_) byte = static_cast<char>(random());
}

std::string_view ValueSource::Next() {
  if (position_ + value_bytes_ > block_.size()) position_ = 0;
  std::string_view value(block_.data() + position_, value_bytes_);
  // An odd stride: successive values start at different offsets mod 8.
  position_ += value_bytes_ + 7;
  return value;
}

std::vector<uint32_t> Permutation(uint64_t count, uint64_t seed) {
  KILN_ASSERT(count <= UINT32_MAX);
  std::vector<uint32_t> order(count);
  for (uint64_t i = 0; i < count; ++i) order[i] = static_cast<uint32_t>(i);
  std::mt19937_64 random(seed);
  // Fisher-Yates with our own index draw: std::shuffle's is
  // implementation-defined, and every engine must see the same order.
  for (uint64_t i = count; i > 1; --i) std::swap(order[i - 1], order[random() % i]);
  return order;
}

std::mt19937_64 ThreadRandom(uint64_t seed, int thread) {
  return std::mt19937_64(seed * 1'000'003 + static_cast<uint64_t>(thread) + 1);
}

}  // namespace kiln::kvbench
