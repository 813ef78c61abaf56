#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cache/cache.h"
#include "db/dbformat.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "table/block.h"
#include "table/block_builder.h"
#include "table/block_io.h"
#include "table/format.h"
#include "table/table_builder.h"
#include "table/table_reader.h"
#include "testing/recording_file.h"
#include "testing/test_env.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

using Model = std::map<std::string, std::string, InternalKeyLess>;

// Sequences and snapshots are drawn from [0, kMaxTestSequence] so snapshots
// fall among the versions.
constexpr SequenceNumber kMaxTestSequence = 100000;

struct Tombstone {
  std::string begin;
  std::string end;
  SequenceNumber sequence = 0;
};

// What a table holds, and the user keys it was built from.
struct Contents {
  Model entries;
  std::vector<Tombstone> tombstones;
  std::vector<std::string> user_keys;
};

std::string RandomUserKey(Random& random) {
  // Shared prefixes (restart compression) and a spread of lengths.
  std::string key = "user" + std::to_string(random.Uniform(50));
  const size_t suffix = random.Uniform(10);
  for (size_t i = 0; i < suffix; ++i) key.push_back(static_cast<char>('a' + random.Uniform(26)));
  return key;
}

std::string RandomValue(Random& random) {
  const size_t size = random.Uniform(200);
  if (random.OneIn(2)) return std::string(size, static_cast<char>('a' + random.Uniform(26)));
  std::string value(size, '\0');
  for (char& c : value) c = static_cast<char>(random.Uniform(256));
  return value;
}

Contents RandomContents(Random& random, size_t num_user_keys, size_t num_tombstones) {
  Contents contents;
  std::set<std::string> user_keys;
  while (user_keys.size() < num_user_keys) user_keys.insert(RandomUserKey(random));
  contents.user_keys.assign(user_keys.begin(), user_keys.end());
  for (const std::string& user_key : contents.user_keys) {
    const int versions = 1 + static_cast<int>(random.Uniform(4));
    for (int v = 0; v < versions; ++v) {
      const uint64_t kind = random.Uniform(10);
      const ValueType type = kind < 7   ? ValueType::kValue
                             : kind < 9 ? ValueType::kDeletion
                                        : ValueType::kBlobIndex;
      const SequenceNumber sequence = 1 + random.Uniform(kMaxTestSequence);
      contents.entries[MakeInternalKey(user_key, sequence, type)] =
          type == ValueType::kDeletion ? "" : RandomValue(random);
    }
  }
  for (size_t i = 0; i < num_tombstones; ++i) {
    std::string begin = RandomUserKey(random);
    std::string end = RandomUserKey(random);
    if (begin == end) end.push_back('z');
    if (end < begin) std::swap(begin, end);
    contents.tombstones.push_back({begin, end, 1 + random.Uniform(kMaxTestSequence)});
  }
  return contents;
}

// The newest entry of user_key at or below snapshot, as the table should answer.
std::optional<TableGetResult> ModelGet(const Model& model, std::string_view user_key,
                                       SequenceNumber snapshot) {
  auto it = model.lower_bound(MakeInternalKey(user_key, snapshot, kValueTypeForSeek));
  if (it == model.end() || ExtractUserKey(it->first) != user_key) return std::nullopt;
  return TableGetResult{.sequence = ExtractSequence(it->first),
                        .type = ExtractValueType(it->first),
                        .value = it->second};
}

class TableTest : public testing::EnvTest {
 protected:
  // Writes contents to a new table at name; returns its size.
  uint64_t Build(const std::string& name, const Contents& contents,
                 const TableBuilderOptions& options) {
    auto file = env().file_system->OpenFile(Path(name), OpenMode::kCreateNew);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return 0;
    TableBuilder builder(options, file->get(), Path(name));
    for (const auto& [key, value] : contents.entries) {
      const absl::Status status = builder.Add(key, value);
      EXPECT_TRUE(status.ok()) << status;
    }
    for (const Tombstone& tombstone : contents.tombstones) {
      builder.AddRangeTombstone(tombstone.begin, tombstone.end, tombstone.sequence);
    }
    absl::StatusOr<uint64_t> size = builder.Finish();
    EXPECT_TRUE(size.ok()) << size.status();
    EXPECT_TRUE((*file)->Sync().ok());
    EXPECT_EQ(*(*file)->Size(), *size);
    EXPECT_TRUE((*file)->Close().ok());
    return size.ok() ? *size : 0;
  }

  std::unique_ptr<File> OpenForRead(const std::string& name) {
    auto file = env().file_system->OpenFile(Path(name), OpenMode::kRead);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *std::move(file) : nullptr;
  }

  std::string ReadAll(const std::string& name) {
    std::unique_ptr<File> file = OpenForRead(name);
    const uint64_t size = *file->Size();
    absl::StatusOr<std::string> bytes = ReadFileBytes(*file, 0, size);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return *bytes;
  }

  void WriteAll(const std::string& name, std::string_view bytes) {
    auto file = env().file_system->OpenFile(Path(name), OpenMode::kTruncate);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append(bytes).ok());
    ASSERT_TRUE((*file)->Sync().ok());
  }
};

void ExpectPosition(const InternalIterator& it, const Model& model, Model::const_iterator at) {
  ASSERT_TRUE(it.status().ok()) << it.status();
  if (at == model.end()) {
    ASSERT_FALSE(it.Valid());
    return;
  }
  ASSERT_TRUE(it.Valid());
  ASSERT_EQ(it.key(), at->first) << DebugInternalKey(it.key()) << " vs "
                                 << DebugInternalKey(at->first);
  ASSERT_EQ(it.value(), at->second);
}

void CheckAgainstModel(TableReader& reader, const Contents& contents, Random& random) {
  const Model& model = contents.entries;
  std::unique_ptr<InternalIterator> it = reader.NewIterator();
  auto forward = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++forward) {
    ExpectPosition(*it, model, forward);
  }
  ExpectPosition(*it, model, model.end());
  ASSERT_EQ(forward, model.end());
  auto backward = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++backward) {
    ASSERT_EQ(it->key(), backward->first);
    ASSERT_EQ(it->value(), backward->second);
  }
  ASSERT_TRUE(it->status().ok()) << it->status();
  ASSERT_EQ(backward, model.rend());

  for (int seek = 0; seek < 300; ++seek) {
    const std::string target = MakeInternalKey(
        random.OneIn(2) ? contents.user_keys[random.Uniform(contents.user_keys.size())]
                        : RandomUserKey(random),
        random.Uniform(kMaxTestSequence + 2), kValueTypeForSeek);
    it->Seek(target);
    auto position = model.lower_bound(target);
    ExpectPosition(*it, model, position);
    for (int step = 0; step < 10 && it->Valid(); ++step) {
      if (random.OneIn(2)) {
        it->Next();
        ++position;
      } else {
        it->Prev();
        position = position == model.begin() ? model.end() : std::prev(position);
      }
      ExpectPosition(*it, model, position);
    }
  }

  for (int get = 0; get < 500; ++get) {
    const std::string user_key =
        random.OneIn(4) ? RandomUserKey(random)
                        : contents.user_keys[random.Uniform(contents.user_keys.size())];
    const SequenceNumber snapshot =
        random.OneIn(8) ? kMaxSequenceNumber : random.Uniform(kMaxTestSequence + 2);
    absl::StatusOr<std::optional<TableGetResult>> got = reader.Get(user_key, snapshot);
    ASSERT_TRUE(got.ok()) << got.status();
    const std::optional<TableGetResult> expected = ModelGet(model, user_key, snapshot);
    ASSERT_EQ(got->has_value(), expected.has_value()) << user_key << " @" << snapshot;
    if (expected.has_value()) {
      EXPECT_EQ((*got)->sequence, expected->sequence);
      EXPECT_EQ((*got)->type, expected->type);
      EXPECT_EQ((*got)->value, expected->value);
    }
  }
  for (const std::string& user_key : contents.user_keys) {
    ASSERT_TRUE(reader.KeyMayMatch(user_key)) << user_key;
  }
}

TEST_P(TableTest, BuildThenReadMatchesModel) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 1));
    for (const CompressionType compression : {CompressionType::kNone, CompressionType::kLz4}) {
      const Contents contents = RandomContents(random, 1500, 40);
      const std::string name = "00000" + std::to_string(static_cast<int>(compression) + 1) + ".sst";
      const uint64_t size = Build(
          name, contents,
          {.block_size_bytes = 1024, .block_restart_interval = 8, .compression = compression});
      std::unique_ptr<File> file = OpenForRead(name);
      absl::StatusOr<std::unique_ptr<TableReader>> reader =
          TableReader::Open({.file = file.get(), .path = Path(name), .file_size = size});
      ASSERT_TRUE(reader.ok()) << reader.status();
      CheckAgainstModel(**reader, contents, random);

      std::vector<Tombstone> expected_tombstones = contents.tombstones;
      std::sort(expected_tombstones.begin(), expected_tombstones.end(),
                [](const Tombstone& a, const Tombstone& b) {
                  return InternalKeyLess()(
                      MakeInternalKey(a.begin, a.sequence, ValueType::kRangeDeletion),
                      MakeInternalKey(b.begin, b.sequence, ValueType::kRangeDeletion));
                });
      const std::vector<StoredRangeTombstone>& tombstones = (*reader)->RangeTombstones();
      ASSERT_EQ(tombstones.size(), expected_tombstones.size());
      for (size_t i = 0; i < tombstones.size(); ++i) {
        EXPECT_EQ(tombstones[i].begin, expected_tombstones[i].begin);
        EXPECT_EQ(tombstones[i].end, expected_tombstones[i].end);
        EXPECT_EQ(tombstones[i].sequence, expected_tombstones[i].sequence);
      }

      const TableProperties& properties = (*reader)->Properties();
      EXPECT_EQ(properties.num_entries, contents.entries.size());
      uint64_t deletions = 0;
      uint64_t key_bytes = 0;
      uint64_t value_bytes = 0;
      SequenceNumber smallest = kMaxSequenceNumber;
      SequenceNumber largest = 0;
      std::string largest_end;
      for (const auto& [key, value] : contents.entries) {
        if (ExtractValueType(key) == ValueType::kDeletion) ++deletions;
        key_bytes += key.size();
        value_bytes += value.size();
        smallest = std::min(smallest, ExtractSequence(key));
        largest = std::max(largest, ExtractSequence(key));
      }
      std::string smallest_key = contents.entries.begin()->first;
      std::string largest_key = contents.entries.rbegin()->first;
      for (const Tombstone& tombstone : contents.tombstones) {
        smallest = std::min(smallest, tombstone.sequence);
        largest = std::max(largest, tombstone.sequence);
        largest_end = std::max(largest_end, tombstone.end);
        const std::string key =
            MakeInternalKey(tombstone.begin, tombstone.sequence, ValueType::kRangeDeletion);
        if (InternalKeyLess()(key, smallest_key)) smallest_key = key;
        if (InternalKeyLess()(largest_key, key)) largest_key = key;
      }
      EXPECT_EQ(properties.num_deletions, deletions);
      EXPECT_EQ(properties.num_range_deletions, contents.tombstones.size());
      EXPECT_EQ(properties.raw_key_bytes, key_bytes);
      EXPECT_EQ(properties.raw_value_bytes, value_bytes);
      EXPECT_EQ(properties.smallest_sequence, smallest);
      EXPECT_EQ(properties.largest_sequence, largest);
      EXPECT_EQ(properties.smallest_key, smallest_key);
      EXPECT_EQ(properties.largest_key, largest_key);
      EXPECT_EQ(properties.largest_range_tombstone_end, largest_end);
      EXPECT_EQ(properties.compression, compression);
      EXPECT_GT(properties.num_data_blocks, 10u);
      EXPECT_LT(properties.data_size_bytes, size);
      if (compression == CompressionType::kLz4) {
        // Half the values are runs of one byte: lz4 must have paid off.
        EXPECT_LT(size, properties.raw_key_bytes + properties.raw_value_bytes);
      }
    }
  });
}

TEST_P(TableTest, EmptyTable) {
  RunInEnv([&] {
    const uint64_t size = Build("000001.sst", {}, {});
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        TableReader::Open({.file = file.get(), .path = Path("000001.sst"), .file_size = size});
    ASSERT_TRUE(reader.ok()) << reader.status();
    std::unique_ptr<InternalIterator> it = (*reader)->NewIterator();
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    it->SeekToLast();
    EXPECT_FALSE(it->Valid());
    it->Seek(MakeInternalKey("a", 5, kValueTypeForSeek));
    EXPECT_FALSE(it->Valid());
    EXPECT_TRUE(it->status().ok());
    absl::StatusOr<std::optional<TableGetResult>> got = (*reader)->Get("a", 5);
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
    EXPECT_EQ((*reader)->Properties().num_entries, 0u);
    EXPECT_TRUE((*reader)->Properties().smallest_key.empty());
    EXPECT_TRUE((*reader)->RangeTombstones().empty());
  });
}

TEST_P(TableTest, PrefixFilterLetsScansSkipTheTable) {
  RunInEnv([&] {
    Contents contents;
    for (int i = 0; i < 300; ++i) {
      const std::string user_key = "p" + std::to_string(100 + i) + "/item";
      contents.user_keys.push_back(user_key);
      contents.entries[MakeInternalKey(user_key, 1 + i, ValueType::kValue)] = "v";
    }
    const uint64_t size =
        Build("000001.sst", contents, {.bloom_bits_per_key = 10, .prefix_length_bytes = 4});
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        TableReader::Open({.file = file.get(), .path = Path("000001.sst"), .file_size = size});
    ASSERT_TRUE(reader.ok()) << reader.status();
    int skipped = 0;
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE((*reader)->PrefixMayMatch("p" + std::to_string(100 + i)));
      if (!(*reader)->PrefixMayMatch("q" + std::to_string(100 + i))) ++skipped;
    }
    EXPECT_GT(skipped, 290);
  });
}

// Flips one bit inside [begin, end) of the table at name and checks that
// reading the whole table reports Corruption, and that nothing it returned
// before that was wrong.
struct Region {
  std::string what;
  uint64_t begin = 0;
  uint64_t end = 0;
};

TEST_P(TableTest, MappedReadsAgreeWithCopiedReadsAndSkipTheCache) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 5));
    const Contents contents = RandomContents(random, 400, 0);
    const uint64_t size = Build("000001.sst", contents,
                                {.block_size_bytes = 256, .compression = CompressionType::kLz4});
    std::unique_ptr<Cache> cache = NewShardedLruCache(*env().scheduler, 1 << 20, 0);
    std::unique_ptr<File> copied_file = OpenForRead("000001.sst");
    std::unique_ptr<File> mapped_file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> copied = TableReader::Open(
        {.file = copied_file.get(), .path = Path("000001.sst"), .file_size = size});
    absl::StatusOr<std::unique_ptr<TableReader>> mapped =
        TableReader::Open({.file = mapped_file.get(),
                           .path = Path("000001.sst"),
                           .file_size = size,
                           .block_cache = cache.get(),
                           .cache_id = 1,
                           .map_file = true});
    ASSERT_TRUE(copied.ok()) << copied.status();
    ASSERT_TRUE(mapped.ok()) << mapped.status();
    // The image outlives the handle it came from.
    ASSERT_TRUE(mapped_file->Close().ok());
    for (const std::string& user_key : contents.user_keys) {
      for (const SequenceNumber snapshot : {SequenceNumber{1}, kMaxTestSequence / 2,
                                            kMaxSequenceNumber}) {
        absl::StatusOr<std::optional<TableGetResult>> want = (*copied)->Get(user_key, snapshot);
        absl::StatusOr<std::optional<TableGetResult>> got = (*mapped)->Get(user_key, snapshot);
        ASSERT_TRUE(want.ok() && got.ok()) << want.status() << " " << got.status();
        ASSERT_EQ(want->has_value(), got->has_value()) << user_key;
        if (!want->has_value()) continue;
        EXPECT_EQ((*want)->sequence, (*got)->sequence);
        EXPECT_EQ((*want)->type, (*got)->type);
        EXPECT_EQ((*want)->value, (*got)->value);
      }
    }
    std::unique_ptr<InternalIterator> it = (*mapped)->NewIterator();
    auto expected = contents.entries.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++expected) {
      ASSERT_NE(expected, contents.entries.rend());
      EXPECT_EQ(it->key(), expected->first);
      EXPECT_EQ(it->value(), expected->second);
    }
    EXPECT_TRUE(it->status().ok()) << it->status();
    EXPECT_EQ(expected, contents.entries.rend());
    EXPECT_EQ(cache->Stats().inserts, 0u) << "mapped blocks went into the block cache";
  });
}

TEST_P(TableTest, AFlippedBitInAnyBlockOrTheFooterIsCorruption) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 2));
    const Contents contents = RandomContents(random, 300, 10);
    const uint64_t size = Build("000001.sst", contents,
                                {.block_size_bytes = 512, .compression = CompressionType::kLz4});
    const std::string original = ReadAll("000001.sst");
    ASSERT_EQ(original.size(), size);

    // Map every block with the format's own decoders.
    const uint64_t footer_offset = size - kFooterBytes;
    absl::StatusOr<Footer> footer =
        DecodeFooter(std::string_view(original).substr(footer_offset), "t", footer_offset);
    ASSERT_TRUE(footer.ok()) << footer.status();
    std::vector<Region> regions = {{"footer", footer_offset, size}};
    const auto add_block = [&](const std::string& what, const BlockHandle& handle) {
      regions.push_back(
          {what, handle.offset, handle.offset + handle.size_bytes + kBlockTrailerBytes});
    };
    add_block("metaindex", footer->metaindex);
    add_block("index", footer->index);
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    const auto block_entries = [&](const BlockHandle& handle, BlockKeyOrder order) {
      std::vector<std::pair<std::string, BlockHandle>> entries;
      absl::StatusOr<std::string> raw =
          ReadBlock(*file, handle, {.path = "t", .limit_offset = footer_offset});
      EXPECT_TRUE(raw.ok()) << raw.status();
      if (!raw.ok()) return entries;
      BlockIterator it(*Block::Parse(*raw, "t"), order);
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        std::string_view value = it.value();
        BlockHandle entry;
        EXPECT_TRUE(DecodeBlockHandle(value, entry));
        entries.emplace_back(std::string(it.key()), entry);
      }
      return entries;
    };
    for (const auto& [name, handle] : block_entries(footer->metaindex, BlockKeyOrder::kBytewise)) {
      add_block(name, handle);
    }
    int data_blocks = 0;
    for (const auto& [key, handle] : block_entries(footer->index, BlockKeyOrder::kInternal)) {
      add_block("data", handle);
      ++data_blocks;
    }
    ASSERT_GT(data_blocks, 5);
    ASSERT_EQ(regions.size(), 6u + data_blocks);  // footer, metaindex, index, 3 meta, data

    constexpr int kFlipsPerRegion = 3;
    for (const Region& region : regions) {
      for (int flip = 0; flip < kFlipsPerRegion; ++flip) {
        const uint64_t bit = region.begin * 8 + random.Uniform((region.end - region.begin) * 8);
        std::string mutated = original;
        mutated[bit / 8] = static_cast<char>(mutated[bit / 8] ^ (1 << (bit % 8)));
        WriteAll("flipped.sst", mutated);
        std::unique_ptr<File> flipped = OpenForRead("flipped.sst");
        // Every other flip reads through a file image (map_file).
        absl::StatusOr<std::unique_ptr<TableReader>> reader =
            TableReader::Open({.file = flipped.get(),
                               .path = Path("flipped.sst"),
                               .file_size = size,
                               .map_file = flip % 2 == 1});
        absl::Status status = reader.status();
        if (reader.ok()) {
          std::unique_ptr<InternalIterator> it = (*reader)->NewIterator();
          auto expected = contents.entries.begin();
          for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
            ASSERT_NE(expected, contents.entries.end());
            ASSERT_EQ(it->key(), expected->first) << region.what << ": wrong key returned";
            ASSERT_EQ(it->value(), expected->second) << region.what << ": wrong value returned";
          }
          status = it->status();
        }
        ASSERT_TRUE(IsCorruption(status))
            << region.what << " at " << region.begin << ", bit " << bit << ": " << status;
        const std::string message(status.message());
        EXPECT_NE(message.find(Path("flipped.sst") + ":"), std::string::npos) << message;
        EXPECT_NE(message.find("offset"), std::string::npos) << message;
      }
    }
  });
}

// The data block handles of a table's index, in index order.
std::vector<std::pair<std::string, BlockHandle>> IndexEntries(std::string_view table) {
  const uint64_t footer_offset = table.size() - kFooterBytes;
  absl::StatusOr<Footer> footer = DecodeFooter(table.substr(footer_offset), "t", footer_offset);
  EXPECT_TRUE(footer.ok()) << footer.status();
  absl::StatusOr<ImageBlock> index =
      ReadBlockFromImage(table, footer->index, {.path = "t", .limit_offset = footer_offset});
  EXPECT_TRUE(index.ok()) << index.status();
  std::vector<std::pair<std::string, BlockHandle>> entries;
  if (!index.ok()) return entries;
  BlockIterator it(*Block::Parse(index->is_view ? std::string(index->view) : index->owned, "t"),
                   BlockKeyOrder::kInternal);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view value = it.value();
    BlockHandle handle;
    EXPECT_TRUE(DecodeBlockHandle(value, handle));
    entries.emplace_back(std::string(it.key()), handle);
  }
  return entries;
}

TEST_P(TableTest, MappedBlocksAreCheckedOnceAndAFailedBlockNeverTrusted) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 6));
    const Contents contents = RandomContents(random, 300, 0);
    const uint64_t size = Build("000001.sst", contents, {.block_size_bytes = 512});
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> reader = TableReader::Open(
        {.file = file.get(), .path = Path("000001.sst"), .file_size = size, .map_file = true});
    ASSERT_TRUE(reader.ok()) << reader.status();
    const uint64_t blocks = (*reader)->Properties().num_data_blocks;
    ASSERT_GT(blocks, 5u);
    EXPECT_EQ((*reader)->verified_image_blocks(), 0u);
    for (int pass = 0; pass < 2; ++pass) {
      CheckAgainstModel(**reader, contents, random);
      EXPECT_EQ((*reader)->verified_image_blocks(), blocks) << "pass " << pass;
    }

    // A flipped bit in one data block: that block fails on every read, the
    // others are checked once and read.
    std::string mutated = ReadAll("000001.sst");
    const std::vector<std::pair<std::string, BlockHandle>> index = IndexEntries(mutated);
    ASSERT_EQ(index.size(), blocks);
    const BlockHandle& bad = index[blocks / 2].second;
    mutated[bad.offset + bad.size_bytes / 2] ^= 0x10;
    WriteAll("flipped.sst", mutated);
    std::unique_ptr<File> flipped = OpenForRead("flipped.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> damaged = TableReader::Open(
        {.file = flipped.get(), .path = Path("flipped.sst"), .file_size = size, .map_file = true});
    ASSERT_TRUE(damaged.ok()) << damaged.status();
    for (int pass = 0; pass < 2; ++pass) {
      std::unique_ptr<InternalIterator> it = (*damaged)->NewIterator();
      auto expected = contents.entries.begin();
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
        ASSERT_NE(expected, contents.entries.end());
        ASSERT_EQ(it->key(), expected->first);
      }
      EXPECT_TRUE(IsCorruption(it->status())) << "pass " << pass << ": " << it->status();
      // The first pass checked the blocks before the bad one; the second
      // checks none again.
      EXPECT_EQ((*damaged)->verified_image_blocks(), pass == 0 ? blocks / 2 : blocks - 1)
          << "pass " << pass;
      // Every block after the bad one is read by a seek to its index key
      // (a fresh iterator: an iterator's error is final).
      std::unique_ptr<InternalIterator> seeker = (*damaged)->NewIterator();
      for (size_t i = blocks / 2 + 1; i < blocks; ++i) {
        seeker->Seek(index[i].first);
        ASSERT_TRUE(seeker->status().ok()) << seeker->status();
      }
      EXPECT_EQ((*damaged)->verified_image_blocks(), blocks - 1) << "pass " << pass;
      std::unique_ptr<InternalIterator> into_bad = (*damaged)->NewIterator();
      into_bad->Seek(index[blocks / 2].first);
      EXPECT_TRUE(IsCorruption(into_bad->status())) << "pass " << pass << ": "
                                                    << into_bad->status();
    }
  });
}

TEST_P(TableTest, AMappedTableWhoseIndexIsOutOfFileOrderIsCorruption) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 7));
    const Contents contents = RandomContents(random, 300, 0);
    const uint64_t size = Build("000001.sst", contents, {.block_size_bytes = 512});
    const std::string original = ReadAll("000001.sst");
    std::vector<std::pair<std::string, BlockHandle>> index = IndexEntries(original);
    ASSERT_GT(index.size(), 3u);
    // A well-formed, checksummed index naming blocks 1 and 2 in swapped
    // places, written after the data with a new footer.
    std::swap(index[1].second, index[2].second);
    BlockBuilder builder({.restart_interval = 1, .order = BlockKeyOrder::kInternal});
    for (const auto& [key, handle] : index) {
      std::string encoded;
      EncodeBlockHandle(encoded, handle);
      builder.Add(key, encoded);
    }
    const uint64_t footer_offset = size - kFooterBytes;
    absl::StatusOr<Footer> footer = DecodeFooter(
        std::string_view(original).substr(footer_offset), "t", footer_offset);
    ASSERT_TRUE(footer.ok()) << footer.status();
    const std::string sealed = SealBlock(builder.Finish(), CompressionType::kNone);
    footer->index = {.offset = footer_offset, .size_bytes = sealed.size() - kBlockTrailerBytes};
    const std::string swapped =
        original.substr(0, footer_offset) + sealed + EncodeFooter(*footer);
    WriteAll("swapped.sst", swapped);
    std::unique_ptr<File> file = OpenForRead("swapped.sst");
    const absl::Status status = TableReader::Open({.file = file.get(),
                                                   .path = Path("swapped.sst"),
                                                   .file_size = swapped.size(),
                                                   .map_file = true})
                                    .status();
    ASSERT_TRUE(IsCorruption(status)) << status;
    EXPECT_NE(std::string(status.message()).find("does not follow the previous block"),
              std::string::npos)
        << status;
    EXPECT_NE(std::string(status.message()).find(Path("swapped.sst")), std::string::npos)
        << status;
  });
}

TEST_P(TableTest, ShortOrForeignFilesAreCorruption) {
  RunInEnv([&] {
    Random random(3);
    const Contents contents = RandomContents(random, 50, 0);
    const uint64_t size = Build("000001.sst", contents, {});
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    for (const uint64_t claimed : {uint64_t{0}, uint64_t{10}, size - 1, size / 2}) {
      const absl::Status status =
          TableReader::Open({.file = file.get(), .path = Path("000001.sst"), .file_size = claimed})
              .status();
      EXPECT_TRUE(IsCorruption(status)) << claimed << ": " << status;
    }
    // The manifest claims more bytes than the file has.
    const absl::Status beyond =
        TableReader::Open({.file = file.get(), .path = Path("000001.sst"), .file_size = size + 100})
            .status();
    EXPECT_TRUE(IsCorruption(beyond)) << beyond;
    WriteAll("000002.sst", std::string(200, 'x'));
    std::unique_ptr<File> foreign = OpenForRead("000002.sst");
    const absl::Status status =
        TableReader::Open({.file = foreign.get(), .path = Path("000002.sst"), .file_size = 200})
            .status();
    EXPECT_TRUE(IsCorruption(status));
    EXPECT_NE(std::string(status.message()).find("magic"), std::string::npos) << status;
  });
}

TEST_P(TableTest, SecondReadHitsTheBlockCache) {
  RunInEnv([&] {
    Random random(4);
    const Contents contents = RandomContents(random, 400, 0);
    const uint64_t size = Build("000001.sst", contents, {.block_size_bytes = 512});
    std::unique_ptr<Cache> cache = NewShardedLruCache(*env().scheduler, 8 << 20, 2);
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        TableReader::Open({.file = file.get(),
                           .path = Path("000001.sst"),
                           .file_size = size,
                           .block_cache = cache.get(),
                           .cache_id = 7});
    ASSERT_TRUE(reader.ok()) << reader.status();
    const uint64_t blocks = (*reader)->Properties().num_data_blocks;
    ASSERT_GT(blocks, 5u);
    const auto scan = [&] {
      std::unique_ptr<InternalIterator> it = (*reader)->NewIterator();
      size_t count = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
      EXPECT_TRUE(it->status().ok()) << it->status();
      EXPECT_EQ(count, contents.entries.size());
    };
    scan();
    CacheStats stats = cache->Stats();
    EXPECT_EQ(stats.hits, 0u);
    EXPECT_EQ(stats.misses, blocks);
    EXPECT_EQ(stats.inserts, blocks);
    EXPECT_EQ(stats.entries, blocks);
    scan();
    stats = cache->Stats();
    EXPECT_EQ(stats.hits, blocks);
    EXPECT_EQ(stats.misses, blocks);
    // A Get of a present key reads one cached block.
    absl::StatusOr<std::optional<TableGetResult>> got =
        (*reader)->Get(contents.user_keys[0], kMaxSequenceNumber);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value());
    EXPECT_EQ(cache->Stats().hits, blocks + 1);
    EXPECT_EQ(cache->Stats().misses, blocks);

    // Another table's blocks never answer for this one's.
    absl::StatusOr<std::unique_ptr<TableReader>> other =
        TableReader::Open({.file = file.get(),
                           .path = Path("000001.sst"),
                           .file_size = size,
                           .block_cache = cache.get(),
                           .cache_id = 8});
    ASSERT_TRUE(other.ok());
    std::unique_ptr<InternalIterator> it = (*other)->NewIterator();
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(cache->Stats().misses, blocks + 1);
  });
}

TEST_P(TableTest, ConcurrentReadersShareOneTable) {
  RunInEnv([&] {
    Random random(5);
    const Contents contents = RandomContents(random, 300, 0);
    const uint64_t size = Build("000001.sst", contents, {.block_size_bytes = 512});
    std::unique_ptr<Cache> cache = NewShardedLruCache(*env().scheduler, 16 << 10, 1);
    std::unique_ptr<File> file = OpenForRead("000001.sst");
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        TableReader::Open({.file = file.get(),
                           .path = Path("000001.sst"),
                           .file_size = size,
                           .block_cache = cache.get(),
                           .cache_id = 1,
                           .scheduler = env().scheduler});
    ASSERT_TRUE(reader.ok()) << reader.status();
    constexpr int kTasks = 4;
    std::vector<int> mismatches(kTasks, 0);
    std::vector<std::unique_ptr<Task>> tasks;
    for (int t = 0; t < kTasks; ++t) {
      tasks.push_back(env().scheduler->Spawn("reader", [&, t] {
        Random task_random(MixSeed(99, t));
        for (int i = 0; i < 200; ++i) {
          const std::string& user_key =
              contents.user_keys[task_random.Uniform(contents.user_keys.size())];
          const SequenceNumber snapshot = task_random.Uniform(kMaxTestSequence + 2);
          absl::StatusOr<std::optional<TableGetResult>> got = (*reader)->Get(user_key, snapshot);
          const std::optional<TableGetResult> expected =
              ModelGet(contents.entries, user_key, snapshot);
          if (!got.ok() || got->has_value() != expected.has_value() ||
              (expected.has_value() && (*got)->value != expected->value)) {
            ++mismatches[t];
          }
        }
      }));
    }
    for (auto& task : tasks) task->Join();
    for (int t = 0; t < kTasks; ++t) EXPECT_EQ(mismatches[t], 0) << "task " << t;
  });
}

KILN_INSTANTIATE_ENV_TEST(TableTest);

using testing::RecordingFile;

// Adds entries with 100-byte values until the table holds about bytes.
absl::Status AddEntries(TableBuilder& builder, uint64_t bytes) {
  const std::string value(100, 'v');
  // Bounded: each entry adds over 100 bytes.
  for (uint64_t i = 0; builder.file_size_bytes() < bytes; ++i) {
    char user_key[32];
    std::snprintf(user_key, sizeof(user_key), "key%016llu", static_cast<unsigned long long>(i));
    KILN_RETURN_IF_ERROR(builder.Add(MakeInternalKey(user_key, 1, ValueType::kValue), value));
  }
  return absl::OkStatus();
}

TEST(TableBuilderTest, AppendsWholePagesUntilTheLastAppend) {
  RecordingFile file;
  TableBuilder builder({.compression = CompressionType::kNone}, &file, "t.sst");
  ASSERT_TRUE(AddEntries(builder, 3 * kTableWriteBufferBytes).ok());
  // Nothing reaches the file until a buffer's worth is sealed.
  ASSERT_GE(file.appends().size(), 2u);
  absl::StatusOr<uint64_t> size = builder.Finish();
  ASSERT_TRUE(size.ok()) << size.status();
  ASSERT_GE(file.appends().size(), 4u);
  uint64_t appended = 0;
  for (size_t i = 0; i + 1 < file.appends().size(); ++i) {
    EXPECT_EQ(file.appends()[i].size() % kTableWritePageBytes, 0u) << "append " << i;
    EXPECT_GE(file.appends()[i].size(), kTableWriteBufferBytes - kTableWritePageBytes);
    EXPECT_LE(file.appends()[i].size(), kTableWriteBufferBytes + kTableWritePageBytes);
    appended += file.appends()[i].size();
  }
  appended += file.appends().back().size();
  EXPECT_EQ(appended, *size);
  EXPECT_EQ(builder.file_size_bytes(), *size);
}

TEST(TableBuilderTest, AFailedAppendIsStickyAndReturnedByFinish) {
  RecordingFile file(/*fail_from=*/1);
  TableBuilder builder({.compression = CompressionType::kNone}, &file, "t.sst");
  const absl::Status added = AddEntries(builder, 3 * kTableWriteBufferBytes);
  EXPECT_TRUE(IsIOError(added)) << added;
  EXPECT_EQ(file.appends().size(), 1u);
  absl::StatusOr<uint64_t> size = builder.Finish();
  EXPECT_TRUE(IsIOError(size.status())) << size.status();
  EXPECT_EQ(file.appends().size(), 1u);
}

}  // namespace
}  // namespace kiln
