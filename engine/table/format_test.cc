#include "table/format.h"

#include <string>

#include "db/dbformat.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "table/block_builder.h"
#include "table/block_io.h"
#include "table/compression.h"
#include "table/properties.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace kiln {
namespace {

TEST(TableFormatTest, BlockHandleRoundTrip) {
  for (const BlockHandle handle : {BlockHandle{0, 0}, BlockHandle{1, 127}, BlockHandle{128, 300},
                                   BlockHandle{UINT64_MAX, UINT64_MAX}}) {
    std::string encoded;
    EncodeBlockHandle(encoded, handle);
    EXPECT_LE(encoded.size(), kMaxBlockHandleBytes);
    std::string_view input = encoded;
    BlockHandle decoded;
    ASSERT_TRUE(DecodeBlockHandle(input, decoded));
    EXPECT_TRUE(input.empty());
    EXPECT_EQ(decoded.offset, handle.offset);
    EXPECT_EQ(decoded.size_bytes, handle.size_bytes);
    std::string_view truncated = std::string_view(encoded).substr(0, encoded.size() - 1);
    EXPECT_FALSE(DecodeBlockHandle(truncated, decoded));
  }
}

TEST(TableFormatTest, FooterRoundTrip) {
  const Footer footer{.metaindex = {.offset = 1000, .size_bytes = 50},
                      .index = {.offset = 900, .size_bytes = 91}};
  const std::string encoded = EncodeFooter(footer);
  ASSERT_EQ(encoded.size(), kFooterBytes);
  absl::StatusOr<Footer> decoded = DecodeFooter(encoded, "t.sst", 1059);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->metaindex.offset, 1000u);
  EXPECT_EQ(decoded->metaindex.size_bytes, 50u);
  EXPECT_EQ(decoded->index.offset, 900u);
  EXPECT_EQ(decoded->index.size_bytes, 91u);
}

TEST(TableFormatTest, EveryFooterBitFlipIsCorruption) {
  const std::string encoded = EncodeFooter({.metaindex = {.offset = 12345, .size_bytes = 77},
                                            .index = {.offset = 999, .size_bytes = 4096}});
  for (size_t bit = 0; bit < encoded.size() * 8; ++bit) {
    std::string flipped = encoded;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    const absl::Status status = DecodeFooter(flipped, "t.sst", 4242).status();
    ASSERT_TRUE(IsCorruption(status)) << "bit " << bit << ": " << status;
    ASSERT_NE(std::string(status.message()).find("t.sst: footer at offset 4242"), std::string::npos)
        << status;
  }
  EXPECT_TRUE(IsCorruption(DecodeFooter(encoded.substr(1), "t.sst", 0).status()));
}

TEST(TableFormatTest, UnknownVersionIsCorruptionEvenWithAValidChecksum) {
  std::string footer = EncodeFooter({});
  EncodeFixed32(footer.data() + kFooterHandleBytes, kTableFormatVersion + 1);
  EncodeFixed64(footer.data() + kFooterHandleBytes + 4,
                Checksum64(std::string_view(footer).substr(0, kFooterHandleBytes + 4)));
  const absl::Status status = DecodeFooter(footer, "t.sst", 0).status();
  EXPECT_TRUE(IsCorruption(status));
  EXPECT_NE(std::string(status.message()).find("version 2"), std::string::npos) << status;
}

std::string Compressible(size_t size) {
  std::string out;
  while (out.size() < size) out += "kiln compresses repeated text well; ";
  out.resize(size);
  return out;
}

std::string Incompressible(Random& random, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random.Uniform(256));
  return out;
}

TEST(TableFormatTest, Lz4KeptOnlyWhenItSavesAnEighth) {
  const std::string text = Compressible(4096);
  const CompressedBlock compressed = CompressBlock(text, CompressionType::kLz4);
  EXPECT_EQ(compressed.type, CompressionType::kLz4);
  EXPECT_LT(compressed.stored.size(), text.size() / 2);
  absl::StatusOr<std::string> round_trip = DecompressBlock(compressed.stored, compressed.type, "b");
  ASSERT_TRUE(round_trip.ok()) << round_trip.status();
  EXPECT_EQ(*round_trip, text);

  Random random(5);
  const std::string noise = Incompressible(random, 4096);
  const CompressedBlock stored = CompressBlock(noise, CompressionType::kLz4);
  EXPECT_EQ(stored.type, CompressionType::kNone);
  EXPECT_EQ(stored.stored, noise);

  // Mostly noise with a compressible tenth: lz4 saves something, but < 1/8.
  const std::string mixed = Incompressible(random, 3700) + std::string(396, 'x');
  EXPECT_EQ(CompressBlock(mixed, CompressionType::kLz4).type, CompressionType::kNone);

  EXPECT_EQ(CompressBlock(text, CompressionType::kNone).type, CompressionType::kNone);
  EXPECT_EQ(CompressBlock("", CompressionType::kLz4).type, CompressionType::kNone);
}

TEST(TableFormatTest, MalformedLz4IsCorruption) {
  const CompressedBlock compressed = CompressBlock(Compressible(4096), CompressionType::kLz4);
  ASSERT_EQ(compressed.type, CompressionType::kLz4);
  // Claims a decoded size lz4 could never reach from so few bytes.
  std::string implausible;
  PutVarint32(implausible, 1 << 20);
  implausible += "abc";
  EXPECT_TRUE(IsCorruption(DecompressBlock(implausible, CompressionType::kLz4, "b").status()));
  EXPECT_TRUE(IsCorruption(DecompressBlock("", CompressionType::kLz4, "b").status()));
  std::string wrong_size = compressed.stored;
  wrong_size[0] = static_cast<char>(wrong_size[0] + 1);
  EXPECT_TRUE(IsCorruption(DecompressBlock(wrong_size, CompressionType::kLz4, "b").status()));
  EXPECT_TRUE(
      IsCorruption(DecompressBlock(compressed.stored.substr(0, compressed.stored.size() / 2),
                                   CompressionType::kLz4, "b")
                       .status()));
  Random random(6);
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = compressed.stored;
    mutated[random.Uniform(mutated.size())] = static_cast<char>(random.Uniform(256));
    absl::StatusOr<std::string> result = DecompressBlock(mutated, CompressionType::kLz4, "b");
    if (!result.ok()) {
      EXPECT_TRUE(IsCorruption(result.status()));
    }
  }
}

TEST(TableFormatTest, SealedBlockChecksumCoversTheTypeByte) {
  const std::string sealed = SealBlock(Compressible(1000), CompressionType::kLz4);
  ASSERT_GT(sealed.size(), kBlockTrailerBytes);
  const size_t stored = sealed.size() - kBlockTrailerBytes;
  EXPECT_EQ(static_cast<uint8_t>(sealed[stored]), static_cast<uint8_t>(CompressionType::kLz4));
  EXPECT_EQ(DecodeFixed64(sealed.data() + stored + 1),
            Checksum64(std::string_view(sealed).substr(0, stored + 1)));
}

absl::StatusOr<TableProperties> DecodeProperties(std::string contents) {
  absl::StatusOr<std::shared_ptr<const Block>> block = Block::Parse(std::move(contents), "p");
  if (!block.ok()) return block.status();
  return DecodeTableProperties(*std::move(block));
}

TEST(TableFormatTest, PropertiesRoundTripAndIgnoreUnknownNames) {
  const TableProperties properties{.num_entries = 5,
                                   .num_deletions = 1,
                                   .num_range_deletions = 2,
                                   .raw_key_bytes = 100,
                                   .raw_value_bytes = 1 << 20,
                                   .num_data_blocks = 3,
                                   .data_size_bytes = 4000,
                                   .smallest_sequence = 7,
                                   .largest_sequence = 9,
                                   .smallest_key = MakeInternalKey("a", 9, ValueType::kValue),
                                   .largest_key = MakeInternalKey("z", 7, ValueType::kDeletion),
                                   .largest_range_tombstone_end = "zz",
                                   .compression = CompressionType::kLz4};
  const std::string encoded = EncodeTableProperties(properties);
  absl::StatusOr<TableProperties> decoded = DecodeProperties(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->num_entries, 5u);
  EXPECT_EQ(decoded->num_deletions, 1u);
  EXPECT_EQ(decoded->num_range_deletions, 2u);
  EXPECT_EQ(decoded->raw_key_bytes, 100u);
  EXPECT_EQ(decoded->raw_value_bytes, 1u << 20);
  EXPECT_EQ(decoded->num_data_blocks, 3u);
  EXPECT_EQ(decoded->data_size_bytes, 4000u);
  EXPECT_EQ(decoded->smallest_sequence, 7u);
  EXPECT_EQ(decoded->largest_sequence, 9u);
  EXPECT_EQ(decoded->smallest_key, properties.smallest_key);
  EXPECT_EQ(decoded->largest_key, properties.largest_key);
  EXPECT_EQ(decoded->largest_range_tombstone_end, "zz");
  EXPECT_EQ(decoded->compression, CompressionType::kLz4);

  // Re-encode the entries with one a newer version might add, and one dropped.
  std::shared_ptr<const Block> block = *Block::Parse(encoded, "p");
  BlockIterator it(block, BlockKeyOrder::kBytewise);
  BlockBuilder with_extra({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
  BlockBuilder missing_one({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
  bool added_extra = false;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (!added_extra && it.key() > "kiln.future") {
      with_extra.Add("kiln.future", "whatever");
      added_extra = true;
    }
    with_extra.Add(it.key(), it.value());
    if (it.key() != "kiln.num_entries") missing_one.Add(it.key(), it.value());
  }
  ASSERT_TRUE(added_extra);
  EXPECT_TRUE(DecodeProperties(std::string(with_extra.Finish())).ok());
  const absl::Status missing = DecodeProperties(std::string(missing_one.Finish())).status();
  EXPECT_TRUE(IsCorruption(missing)) << missing;
}

TEST(TableFormatTest, MalformedPropertiesAreCorruption) {
  const auto with = [](std::string_view name, std::string_view value) {
    TableProperties properties;
    std::string encoded = EncodeTableProperties(properties);
    std::shared_ptr<const Block> block = *Block::Parse(encoded, "p");
    BlockIterator it(block, BlockKeyOrder::kBytewise);
    BlockBuilder builder({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      builder.Add(it.key(), it.key() == name ? value : it.value());
    }
    return DecodeProperties(std::string(builder.Finish())).status();
  };
  EXPECT_TRUE(IsCorruption(with("kiln.num_entries", "")));
  EXPECT_TRUE(IsCorruption(with("kiln.num_entries", "\x80")));
  EXPECT_TRUE(IsCorruption(with("kiln.num_entries", std::string("\x01\x01"))));
  EXPECT_TRUE(IsCorruption(with("kiln.compression", "\x07")));
  EXPECT_TRUE(IsCorruption(with("kiln.smallest_key", "short")));
  EXPECT_TRUE(IsCorruption(with("kiln.smallest_sequence", "\x05")));  // above largest (0)
  EXPECT_TRUE(with("kiln.num_entries", "\x05").ok());
}

}  // namespace
}  // namespace kiln
