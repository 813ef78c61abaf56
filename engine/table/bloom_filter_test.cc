#include "table/bloom_filter.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"

namespace kiln {
namespace {

std::string RandomKey(Random& random, size_t min_length, size_t max_length) {
  std::string key(random.Range(min_length, max_length), '\0');
  for (char& c : key) c = static_cast<char>(random.Uniform(256));
  return key;
}

BloomFilter ParseOrDie(std::string contents) {
  absl::StatusOr<BloomFilter> filter = BloomFilter::Parse(std::move(contents), "test filter");
  EXPECT_TRUE(filter.ok()) << filter.status();
  return *std::move(filter);
}

TEST(BloomFilterTest, NoFalseNegativesAndFewFalsePositivesAtTenBitsPerKey) {
  constexpr size_t kKeys = 10000;
  Random random(1);
  std::set<std::string> keys;
  while (keys.size() < kKeys) keys.insert(RandomKey(random, 4, 24));
  BloomFilterBuilder builder({.bits_per_key = 10});
  for (const std::string& key : keys) builder.AddKey(key);
  const BloomFilter filter = ParseOrDie(builder.Finish());

  for (const std::string& key : keys) ASSERT_TRUE(filter.KeyMayMatch(key)) << key;
  size_t false_positives = 0;
  size_t probes = 0;
  while (probes < kKeys) {
    const std::string key = RandomKey(random, 4, 24);
    if (keys.count(key) != 0) continue;
    ++probes;
    if (filter.KeyMayMatch(key)) ++false_positives;
  }
  const double rate = static_cast<double>(false_positives) / static_cast<double>(probes);
  EXPECT_LT(rate, 0.02) << false_positives << " of " << probes;
  // A filter that said yes to everything would pass the line above only if
  // it were broken differently; make sure it actually filters.
  EXPECT_GT(probes - false_positives, kKeys * 9 / 10);
}

TEST(BloomFilterTest, EmptyFilterMatchesNothing) {
  BloomFilterBuilder builder({.bits_per_key = 10});
  const BloomFilter filter = ParseOrDie(builder.Finish());
  EXPECT_FALSE(filter.KeyMayMatch(""));
  EXPECT_FALSE(filter.KeyMayMatch("anything"));
}

TEST(BloomFilterTest, AdjacentRepeatsCountOnce) {
  BloomFilterBuilder once({.bits_per_key = 10});
  BloomFilterBuilder repeated({.bits_per_key = 10});
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key" + std::to_string(100000 + i);
    once.AddKey(key);
    for (int version = 0; version < 5; ++version) repeated.AddKey(key);
  }
  EXPECT_EQ(once.Finish(), repeated.Finish());
}

TEST(BloomFilterTest, PrefixFilterAnswersPrefixScans) {
  constexpr size_t kPrefixLength = 4;
  Random random(2);
  std::set<std::string> prefixes;
  while (prefixes.size() < 2000) prefixes.insert(RandomKey(random, kPrefixLength, kPrefixLength));
  std::set<std::string> keys;
  for (const std::string& prefix : prefixes) {
    for (int i = 0; i < 3; ++i) keys.insert(prefix + RandomKey(random, 0, 8));
  }
  keys.insert("ab");  // shorter than the prefix: whole key only
  BloomFilterBuilder builder({.bits_per_key = 10, .prefix_length_bytes = kPrefixLength});
  for (const std::string& key : keys) builder.AddKey(key);
  const BloomFilter filter = ParseOrDie(builder.Finish());
  EXPECT_EQ(filter.prefix_length_bytes(), kPrefixLength);

  for (const std::string& key : keys) ASSERT_TRUE(filter.KeyMayMatch(key));
  for (const std::string& prefix : prefixes) {
    ASSERT_TRUE(filter.PrefixMayMatch(prefix));
    ASSERT_TRUE(filter.PrefixMayMatch(prefix + "longer"));  // judged by its first 4 bytes
  }
  EXPECT_TRUE(filter.PrefixMayMatch("ab"));  // too short to answer
  EXPECT_TRUE(filter.PrefixMayMatch(""));

  size_t false_positives = 0;
  size_t probes = 0;
  while (probes < 10000) {
    const std::string prefix = RandomKey(random, kPrefixLength, kPrefixLength);
    if (prefixes.count(prefix) != 0) continue;
    ++probes;
    if (filter.PrefixMayMatch(prefix)) ++false_positives;
  }
  EXPECT_LT(static_cast<double>(false_positives) / static_cast<double>(probes), 0.02);
}

TEST(BloomFilterTest, WithoutPrefixModeEveryPrefixMayMatch) {
  BloomFilterBuilder builder({.bits_per_key = 10});
  builder.AddKey("apple");
  const BloomFilter filter = ParseOrDie(builder.Finish());
  EXPECT_EQ(filter.prefix_length_bytes(), 0u);
  EXPECT_TRUE(filter.PrefixMayMatch("zzzz"));
}

TEST(BloomFilterTest, MalformedFiltersAreCorruption) {
  EXPECT_TRUE(IsCorruption(BloomFilter::Parse("", "f").status()));
  EXPECT_TRUE(IsCorruption(BloomFilter::Parse(std::string(5, '\0'), "f").status()));
  BloomFilterBuilder builder({.bits_per_key = 10});
  builder.AddKey("k");
  const std::string good = builder.Finish();
  std::string no_probes = good;
  no_probes.back() = 0;
  EXPECT_TRUE(IsCorruption(BloomFilter::Parse(no_probes, "f").status()));
  std::string many_probes = good;
  many_probes.back() = static_cast<char>(kMaxBloomProbes + 1);
  EXPECT_TRUE(IsCorruption(BloomFilter::Parse(many_probes, "f").status()));
  std::string long_prefix = good;
  long_prefix[long_prefix.size() - 2] = 0x7F;  // top byte of the prefix length
  const absl::Status status = BloomFilter::Parse(long_prefix, "x.sst: block at offset 9").status();
  EXPECT_TRUE(IsCorruption(status));
  EXPECT_NE(std::string(status.message()).find("x.sst: block at offset 9"), std::string::npos);

  // Any other bytes parse and answer without reading out of bounds.
  Random random(3);
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = good;
    mutated[random.Uniform(mutated.size())] = static_cast<char>(random.Uniform(256));
    absl::StatusOr<BloomFilter> filter = BloomFilter::Parse(mutated, "f");
    if (!filter.ok()) {
      EXPECT_TRUE(IsCorruption(filter.status()));
      continue;
    }
    static_cast<void>(filter->KeyMayMatch(RandomKey(random, 0, 8)));
    static_cast<void>(filter->PrefixMayMatch(RandomKey(random, 0, 8)));
  }
}

}  // namespace
}  // namespace kiln
