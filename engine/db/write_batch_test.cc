#include "kiln/write_batch.h"

#include <string>
#include <vector>

#include "db/write_batch_codec.h"
#include "gtest/gtest.h"
#include "kiln/options.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "util/coding.h"

namespace kiln {
namespace {

struct Recorder final : BatchHandler {
  std::vector<std::string> entries;
  absl::Status Apply(SequenceNumber sequence, ValueType type, uint32_t bucket,
                     std::string_view key, std::string_view value) override {
    entries.push_back("@" + std::to_string(sequence) + " " + std::to_string(static_cast<int>(type)) + ":" + std::to_string(bucket) +
                      ":" + std::string(key) + "=" + std::string(value));
    return absl::OkStatus();
  }
};

TEST(WriteBatchTest, RoundTripsInOrder) {
  WriteBatch batch;
  ASSERT_TRUE(batch.Put("a", "1").ok());
  ASSERT_TRUE(batch.Delete("b").ok());
  ASSERT_TRUE(batch.DeleteRange("c", "f").ok());
  ASSERT_TRUE(batch.Put("", "empty key is fine").ok());
  EXPECT_EQ(batch.count(), 4u);
  Recorder recorder;
  auto header = DecodeBatchPayload(EncodeBatchPayload(batch, 77), recorder);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->sequence, 77u);
  EXPECT_EQ(header->count, 4u);
  EXPECT_EQ(recorder.entries, (std::vector<std::string>{"@77 1:0:a=1", "@78 0:0:b=", "@79 2:0:c=f",
                                                        "@80 1:0:=empty key is fine"}));
  batch.Clear();
  EXPECT_TRUE(batch.empty());
}

TEST(WriteBatchTest, LimitsAreInvalidArgumentAndLeaveTheBatchUnchanged) {
  WriteBatch batch;
  ASSERT_TRUE(batch.Put("k", "v").ok());
  const std::string before(batch.rep());
  EXPECT_TRUE(absl::IsInvalidArgument(batch.Put(std::string(kMaxKeyBytes + 1, 'k'), "v")));
  EXPECT_TRUE(absl::IsInvalidArgument(batch.Put("k", std::string(kMaxValueBytes + 1, 'v'))));
  EXPECT_TRUE(absl::IsInvalidArgument(batch.DeleteRange("b", "a")));
  EXPECT_TRUE(absl::IsInvalidArgument(batch.DeleteRange("a", "a")));
  EXPECT_EQ(batch.rep(), before);
  EXPECT_EQ(batch.count(), 1u);
}

TEST(WriteBatchTest, ASingleEntryPayloadIsTheOneEntryBatchsPayload) {
  struct Entry {
    ValueType type;
    uint32_t bucket;
    std::string key;
    std::string value;
  };
  const std::vector<Entry> entries = {
      {ValueType::kValue, 0, "a", "1"},
      {ValueType::kValue, 300, "", std::string(200, 'v')},  // 2-byte varints
      {ValueType::kDeletion, 7, "gone", ""},
      {ValueType::kRangeDeletion, 0, "c", "f"},
  };
  for (const Entry& entry : entries) {
    ASSERT_TRUE(CheckBatchEntry(entry.type, entry.key, entry.value).ok());
    WriteBatch batch;
    std::string rep;
    AppendBatchEntry(rep, entry.type, entry.bucket, entry.key, entry.value);
    // Through the public API where it can name the bucket (the default).
    if (entry.bucket == 0) {
      const absl::Status added =
          entry.type == ValueType::kValue      ? batch.Put(entry.key, entry.value)
          : entry.type == ValueType::kDeletion ? batch.Delete(entry.key)
                                               : batch.DeleteRange(entry.key, entry.value);
      ASSERT_TRUE(added.ok()) << added;
      EXPECT_EQ(batch.rep(), rep);
    }
    std::string expected;
    PutFixed64(expected, 42);
    PutVarint32(expected, 1);
    expected += rep;
    EXPECT_EQ(EncodeSingleEntryPayload(entry.type, entry.bucket, entry.key, entry.value, 42),
              expected)
        << entry.key;
    if (entry.bucket == 0) {
      EXPECT_EQ(EncodeBatchPayload(batch, 42), expected) << entry.key;
    }
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckBatchEntry(ValueType::kValue, std::string(kMaxKeyBytes + 1, 'k'), "v")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckBatchEntry(ValueType::kValue, "k", std::string(kMaxValueBytes + 1, 'v'))));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckBatchEntry(ValueType::kRangeDeletion, "b", "a")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      CheckBatchEntry(ValueType::kRangeDeletion, "a", std::string(kMaxKeyBytes + 1, 'z'))));
  EXPECT_TRUE(CheckBatchEntry(ValueType::kDeletion, "k", "").ok());
}

TEST(WriteBatchTest, EveryTruncationAndRandomDamageIsCorruptionNeverACrash) {
  WriteBatch batch;
  ASSERT_TRUE(batch.Put("alpha", "one").ok());
  ASSERT_TRUE(batch.Delete("beta").ok());
  ASSERT_TRUE(batch.DeleteRange("c", "d").ok());
  const std::string payload = EncodeBatchPayload(batch, 5);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    Recorder recorder;
    auto header = DecodeBatchPayload(payload.substr(0, cut), recorder);
    EXPECT_TRUE(IsCorruption(header.status())) << "cut at " << cut;
  }
  Random random(11);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string damaged = payload;
    const int flips = 1 + static_cast<int>(random.Uniform(4));
    for (int f = 0; f < flips; ++f) {
      damaged[random.Uniform(damaged.size())] = static_cast<char>(random.Next());
    }
    Recorder recorder;
    auto header = DecodeBatchPayload(damaged, recorder);
    EXPECT_TRUE(header.ok() || IsCorruption(header.status()));
  }
}

}  // namespace
}  // namespace kiln
