#include "table/block.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "table/block_builder.h"
#include "util/coding.h"

namespace kiln {
namespace {

using Model = std::map<std::string, std::string, InternalKeyLess>;

// Keys drawn from a small alphabet share prefixes, which is what prefix
// compression and restart points are about.
std::string RandomUserKey(Random& random) {
  std::string key;
  const size_t length = random.Uniform(12);
  for (size_t i = 0; i < length; ++i) key.push_back(static_cast<char>('a' + random.Uniform(4)));
  return key;
}

std::string RandomInternalKey(Random& random) {
  return MakeInternalKey(RandomUserKey(random), random.Uniform(1000),
                         static_cast<ValueType>(random.Uniform(2)));
}

std::string RandomValue(Random& random) {
  std::string value(random.Uniform(40), '\0');
  for (char& c : value) c = static_cast<char>(random.Uniform(256));
  return value;
}

Model RandomModel(Random& random, size_t count) {
  Model model;
  for (size_t i = 0; i < count; ++i) model[RandomInternalKey(random)] = RandomValue(random);
  return model;
}

std::string BuildBlock(const Model& model, int restart_interval) {
  BlockBuilder builder({.restart_interval = restart_interval, .order = BlockKeyOrder::kInternal});
  for (const auto& [key, value] : model) builder.Add(key, value);
  const size_t estimate = builder.EstimatedSizeBytes();
  std::string contents(builder.Finish());
  EXPECT_EQ(contents.size(), estimate);
  return contents;
}

std::shared_ptr<const Block> ParseOrDie(std::string contents) {
  absl::StatusOr<std::shared_ptr<const Block>> block = Block::Parse(std::move(contents), "test");
  EXPECT_TRUE(block.ok()) << block.status();
  return block.ok() ? *block : nullptr;
}

// Compares the iterator's position with the model's (end() meaning invalid).
void ExpectAt(const BlockIterator& it, const Model& model, Model::const_iterator expected) {
  ASSERT_TRUE(it.status().ok()) << it.status();
  if (expected == model.end()) {
    ASSERT_FALSE(it.Valid());
    return;
  }
  ASSERT_TRUE(it.Valid());
  ASSERT_EQ(it.key(), expected->first) << DebugInternalKey(it.key());
  ASSERT_EQ(it.value(), expected->second);
}

class BlockRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(BlockRoundTripTest, MatchesModel) {
  const int restart_interval = GetParam();
  Random random(MixSeed(42, restart_interval));
  for (int round = 0; round < 20; ++round) {
    const Model model = RandomModel(random, 1 + random.Uniform(300));
    std::shared_ptr<const Block> block = ParseOrDie(BuildBlock(model, restart_interval));
    ASSERT_NE(block, nullptr);
    BlockIterator it(block, BlockKeyOrder::kInternal);

    auto expected = model.begin();
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++expected) ExpectAt(it, model, expected);
    ExpectAt(it, model, model.end());
    ASSERT_EQ(expected, model.end());

    auto reverse = model.rbegin();
    for (it.SeekToLast(); it.Valid(); it.Prev(), ++reverse) {
      ASSERT_EQ(it.key(), reverse->first);
      ASSERT_EQ(it.value(), reverse->second);
    }
    ASSERT_TRUE(it.status().ok());
    ASSERT_EQ(reverse, model.rend());

    for (int seek = 0; seek < 200; ++seek) {
      const std::string target = RandomInternalKey(random);
      it.Seek(target);
      auto position = model.lower_bound(target);
      ExpectAt(it, model, position);
      // Wander from the seek position in both directions.
      for (int step = 0; step < 8 && it.Valid(); ++step) {
        if (random.OneIn(2)) {
          it.Next();
          ++position;
        } else {
          it.Prev();
          position = position == model.begin() ? model.end() : std::prev(position);
        }
        ExpectAt(it, model, position);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RestartIntervals, BlockRoundTripTest, ::testing::Values(1, 16));

TEST(BlockTest, BytewiseOrderRoundTrip) {
  BlockBuilder builder({.restart_interval = 3, .order = BlockKeyOrder::kBytewise});
  const std::vector<std::string> keys = {"", "a", "ab", "abc", "b", "kiln.x", "kiln.y"};
  for (const std::string& key : keys) builder.Add(key, "v" + key);
  std::shared_ptr<const Block> block = ParseOrDie(std::string(builder.Finish()));
  BlockIterator it(block, BlockKeyOrder::kBytewise);
  size_t i = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
    EXPECT_EQ(it.key(), keys[i]);
    EXPECT_EQ(it.value(), "v" + keys[i]);
  }
  EXPECT_EQ(i, keys.size());
  it.Seek("abd");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b");
  it.Seek("z");
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(BlockTest, ViewBlockReadsBorrowedBytesAndPinsThem) {
  BlockBuilder builder({.restart_interval = 2, .order = BlockKeyOrder::kBytewise});
  const std::vector<std::string> keys = {"a", "b", "bb", "c", "d"};
  for (const std::string& key : keys) builder.Add(key, "v" + key);
  auto bytes = std::make_shared<const std::string>(builder.Finish());
  const std::weak_ptr<const std::string> watch = bytes;
  absl::StatusOr<std::shared_ptr<const Block>> block = Block::ParseView(*bytes, bytes, "view");
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->contents().data(), bytes->data()) << "a view block copied its bytes";
  bytes.reset();
  EXPECT_FALSE(watch.expired()) << "the block does not pin its bytes";
  {
    BlockIterator it(*block, BlockKeyOrder::kBytewise);
    size_t i = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
      EXPECT_EQ(it.key(), keys[i]);
      EXPECT_EQ(it.value(), "v" + keys[i]);
    }
    EXPECT_EQ(i, keys.size());
  }
  block->reset();
  EXPECT_TRUE(watch.expired());

  // A view is checked like an owned block.
  const std::string broken = "\x01\x00\x00";
  absl::StatusOr<std::shared_ptr<const Block>> bad =
      Block::ParseView(broken, std::make_shared<int>(0), "broken view");
  EXPECT_TRUE(IsCorruption(bad.status())) << bad.status();
}

TEST(BlockTest, EmptyBlockHasNoEntries) {
  BlockBuilder builder({});
  std::shared_ptr<const Block> block = ParseOrDie(std::string(builder.Finish()));
  BlockIterator it(block, BlockKeyOrder::kInternal);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek(MakeInternalKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(BlockTest, MalformedRestartArraysAreCorruption) {
  const auto parse = [](std::string contents) {
    return Block::Parse(std::move(contents), "file.sst: block at offset 7").status();
  };
  EXPECT_TRUE(IsCorruption(parse("")));
  EXPECT_TRUE(IsCorruption(parse("abc")));
  std::string zero_restarts;
  PutFixed32(zero_restarts, 0);
  EXPECT_TRUE(IsCorruption(parse(zero_restarts)));
  std::string too_many;
  PutFixed32(too_many, 0);
  PutFixed32(too_many, 1000);
  EXPECT_TRUE(IsCorruption(parse(too_many)));

  Random random(7);
  const std::string good = BuildBlock(RandomModel(random, 50), 4);
  const uint32_t num_restarts = DecodeFixed32(good.data() + good.size() - 4);
  ASSERT_GE(num_restarts, 3u);
  const size_t restarts_at = good.size() - 4 - 4 * num_restarts;
  {
    std::string bad = good;  // first restart must be 0
    EncodeFixed32(bad.data() + restarts_at, 1);
    EXPECT_TRUE(IsCorruption(parse(bad)));
  }
  {
    std::string bad = good;  // past the entries
    EncodeFixed32(bad.data() + restarts_at + 4, static_cast<uint32_t>(restarts_at));
    EXPECT_TRUE(IsCorruption(parse(bad)));
  }
  {
    std::string bad = good;  // not increasing
    EncodeFixed32(bad.data() + restarts_at + 8, DecodeFixed32(bad.data() + restarts_at + 4));
    const absl::Status status = parse(bad);
    EXPECT_TRUE(IsCorruption(status));
    EXPECT_NE(std::string(status.message()).find("file.sst: block at offset 7"), std::string::npos)
        << status;
  }
}

TEST(BlockTest, OverrunningEntryIsCorruptionOnTheIterator) {
  BlockBuilder builder({.restart_interval = 1, .order = BlockKeyOrder::kInternal});
  builder.Add(MakeInternalKey("a", 1, ValueType::kValue), "value");
  std::string contents(builder.Finish());
  contents[2] = 100;  // value length beyond the block
  std::shared_ptr<const Block> block = ParseOrDie(contents);
  BlockIterator it(block, BlockKeyOrder::kInternal);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(IsCorruption(it.status())) << it.status();
  // Sticky: later moves do not clear the error.
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(IsCorruption(it.status()));
}

// Drives every operation over a possibly corrupt block. Whatever happens must
// be entries or Corruption, never a crash or an out-of-bounds read (ASAN).
void Exercise(std::shared_ptr<const Block> block, BlockKeyOrder order, Random& random) {
  constexpr int kMaxSteps = 100000;
  const auto check = [](const BlockIterator& it) {
    if (!it.status().ok()) {
      EXPECT_TRUE(IsCorruption(it.status())) << it.status();
      EXPECT_FALSE(it.Valid());
    }
  };
  {
    BlockIterator it(block, order);
    int steps = 0;
    for (it.SeekToFirst(); it.Valid() && steps < kMaxSteps; it.Next()) ++steps;
    EXPECT_LT(steps, kMaxSteps);
    check(it);
  }
  {
    BlockIterator it(block, order);
    int steps = 0;
    for (it.SeekToLast(); it.Valid() && steps < kMaxSteps; it.Prev()) ++steps;
    EXPECT_LT(steps, kMaxSteps);
    check(it);
  }
  for (int seek = 0; seek < 4; ++seek) {
    BlockIterator it(block, order);
    it.Seek(RandomInternalKey(random));
    for (int step = 0; step < 4 && it.Valid(); ++step) {
      if (random.OneIn(2)) {
        it.Next();
      } else {
        it.Prev();
      }
    }
    check(it);
  }
}

TEST(BlockTest, TruncatedBlocksNeverCrash) {
  Random random(11);
  const std::string good = BuildBlock(RandomModel(random, 40), 4);
  for (size_t length = 0; length < good.size(); ++length) {
    absl::StatusOr<std::shared_ptr<const Block>> block =
        Block::Parse(good.substr(0, length), "truncated");
    if (!block.ok()) {
      EXPECT_TRUE(IsCorruption(block.status())) << block.status();
      continue;
    }
    Exercise(*block, BlockKeyOrder::kInternal, random);
  }
}

TEST(BlockTest, RandomMutationsNeverCrash) {
  Random random(12);
  constexpr int kMutations = 3000;
  int parsed = 0;
  int corrupt_iterations = 0;
  for (int round = 0; round < kMutations; ++round) {
    const int restart_interval = random.OneIn(2) ? 1 : 16;
    std::string contents =
        BuildBlock(RandomModel(random, 1 + random.Uniform(60)), restart_interval);
    const int flips = 1 + static_cast<int>(random.Uniform(4));
    for (int f = 0; f < flips; ++f) {
      const size_t at = random.Uniform(contents.size());
      // Half the time aim at the restart array, where structure lives.
      const size_t tail = std::min<size_t>(contents.size(), 16);
      const size_t position = random.OneIn(2) ? at : contents.size() - 1 - random.Uniform(tail);
      contents[position] = static_cast<char>(random.Uniform(256));
    }
    absl::StatusOr<std::shared_ptr<const Block>> block = Block::Parse(contents, "mutated");
    if (!block.ok()) {
      EXPECT_TRUE(IsCorruption(block.status())) << block.status();
      continue;
    }
    ++parsed;
    Exercise(*block, random.OneIn(4) ? BlockKeyOrder::kBytewise : BlockKeyOrder::kInternal, random);
    BlockIterator it(*block, BlockKeyOrder::kInternal);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
    }
    if (!it.status().ok()) ++corrupt_iterations;
  }
  // The mutations must reach the iterator's checks, not only Parse's.
  EXPECT_GT(parsed, kMutations / 4);
  EXPECT_GT(corrupt_iterations, 0);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// SeekForPrev lands on the last key <= target, for targets between, on and
// beyond every stored key.
TEST(BlockTest, SeekForPrevMatchesTheModel) {
  BlockBuilder builder({.restart_interval = 2, .order = BlockKeyOrder::kBytewise});
  const std::vector<std::string> keys = {"b", "d", "dd", "f", "h"};
  for (const std::string& key : keys) builder.Add(key, "v" + key);
  std::shared_ptr<const Block> block = ParseOrDie(std::string(builder.Finish()));
  BlockIterator it(block, BlockKeyOrder::kBytewise);
  const std::map<std::string, std::string> expected = {
      {"a", ""}, {"b", "b"}, {"c", "b"}, {"d", "d"}, {"da", "d"},
      {"dd", "dd"}, {"e", "dd"}, {"h", "h"}, {"z", "h"}};
  for (const auto& [target, want] : expected) {
    it.SeekForPrev(target);
    if (want.empty()) {
      EXPECT_FALSE(it.Valid()) << target;
      EXPECT_TRUE(it.status().ok());
    } else {
      ASSERT_TRUE(it.Valid()) << target;
      EXPECT_EQ(it.key(), want) << target;
    }
  }
}

}  // namespace
}  // namespace kiln
