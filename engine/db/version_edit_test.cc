// The version edit encoding: every field round-trips, and any malformed,
// truncated or random input is Corruption naming the file and offset, never a
// crash. Pure in-memory logic, so plain tests.
#include "db/version_edit.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "util/coding.h"

namespace kiln {
namespace {

constexpr std::string_view kPath = "/db/MANIFEST-000007";
constexpr uint64_t kOffset = 4242;

FileMetaData File(uint64_t number, std::string_view smallest, std::string_view largest,
                  SequenceNumber smallest_seq = 1, SequenceNumber largest_seq = 9) {
  return FileMetaData{.number = number,
                      .size_bytes = number * 1000 + 17,
                      .smallest = MakeInternalKey(smallest, largest_seq, ValueType::kValue),
                      .largest = MakeInternalKey(largest, smallest_seq, ValueType::kDeletion),
                      .smallest_seq = smallest_seq,
                      .largest_seq = largest_seq,
                      .num_entries = number * 3,
                      .num_range_tombstones = number % 2};
}

// An edit using every field, with non-default and extreme values. The
// longest boundary key has largest_key_bytes (smaller keeps the exhaustive
// tests quick).
VersionEdit FullEdit(size_t largest_key_bytes = kMaxKeyBytes) {
  VersionEdit edit;
  edit.next_file_number = UINT64_MAX;
  edit.last_sequence = kMaxSequenceNumber;
  edit.log_number = 77;
  edit.next_bucket_id = UINT32_MAX;
  edit.AddBucket(0, "default", BucketOptions{});
  edit.AddBucket(UINT32_MAX - 1, std::string(kMaxBucketNameBytes, 'n'),
                 BucketOptions{.block_size_bytes = kMaxStoredBlockSizeBytes,
                               .block_restart_interval = 1,
                               .bloom_bits_per_key = 0,
                               .prefix_length = 12,
                               .compression = Compression::kNone});
  edit.DropBucket(3);
  edit.DropBucket(UINT32_MAX);
  edit.DeleteFile(0, 0, 5);
  edit.DeleteFile(9, kNumLevels - 1, UINT64_MAX);
  edit.AddFile(0, 0, File(12, "a", "m"));
  edit.AddFile(
      9, kNumLevels - 1,
      File(UINT64_MAX - 1, "", std::string(largest_key_bytes, '\xff'), 0, kMaxSequenceNumber));
  edit.AddFile(UINT32_MAX - 1, 3, File(13, "same", "same", 4, 4));
  return edit;
}

std::string Encode(const VersionEdit& edit) {
  std::string encoded;
  edit.EncodeTo(encoded);
  return encoded;
}

absl::StatusOr<VersionEdit> Decode(std::string_view bytes) {
  return VersionEdit::DecodeFrom(bytes, kPath, kOffset);
}

// Corruption whose message names the file and the record's offset.
void ExpectCorruption(const absl::StatusOr<VersionEdit>& decoded, std::string_view why = "") {
  ASSERT_FALSE(decoded.ok()) << why;
  EXPECT_TRUE(IsCorruption(decoded.status())) << why << ": " << decoded.status();
  const std::string message(decoded.status().message());
  EXPECT_NE(message.find(std::string(kPath)), std::string::npos) << message;
  EXPECT_NE(message.find("offset " + std::to_string(kOffset)), std::string::npos) << message;
}

// Hand-built encodings: format version, then the given bytes.
std::string WithHeader(std::string_view body) {
  std::string bytes;
  PutVarint32(bytes, kVersionEditFormatVersion);
  bytes.append(body);
  return bytes;
}

std::string NewFileBody(uint32_t level, uint64_t number, std::string_view smallest,
                        std::string_view largest, uint64_t smallest_seq, uint64_t largest_seq) {
  std::string body;
  PutVarint32(body, 7);  // new file
  PutVarint32(body, 0);
  PutVarint32(body, level);
  PutVarint64(body, number);
  PutVarint64(body, 100);
  PutLengthPrefixed(body, smallest);
  PutLengthPrefixed(body, largest);
  PutVarint64(body, smallest_seq);
  PutVarint64(body, largest_seq);
  PutVarint64(body, 1);
  PutVarint64(body, 0);
  return body;
}

TEST(VersionEditTest, EveryFieldRoundTrips) {
  const VersionEdit edit = FullEdit();
  absl::StatusOr<VersionEdit> decoded = Decode(Encode(edit));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == edit) << decoded->DebugString() << "\nvs\n" << edit.DebugString();
  EXPECT_EQ(decoded->DebugString(), edit.DebugString());
  EXPECT_EQ(Encode(*decoded), Encode(edit));
}

TEST(VersionEditTest, EmptyEditRoundTrips) {
  const VersionEdit edit;
  absl::StatusOr<VersionEdit> decoded = Decode(Encode(edit));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == edit);
  EXPECT_FALSE(decoded->next_file_number.has_value());
  EXPECT_FALSE(decoded->log_number.has_value());
}

TEST(VersionEditTest, EqualitySeesEveryField) {
  const VersionEdit base = FullEdit();
  std::vector<VersionEdit> changed(8, base);
  changed[0].next_file_number = 1;
  changed[1].last_sequence.reset();
  changed[2].log_number = 78;
  changed[3].next_bucket_id = 4;
  changed[4].added_buckets[1].options.prefix_length = 13;
  changed[5].dropped_buckets.pop_back();
  changed[6].deleted_files[0].level = 1;
  changed[7].new_files[2].meta.num_range_tombstones = 5;
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_FALSE(changed[i] == base) << i;
    EXPECT_NE(Encode(changed[i]), Encode(base)) << i;
  }
}

// Cutting the encoding at a field boundary yields exactly the fields before
// the cut; cutting anywhere else is Corruption.
TEST(VersionEditTest, EveryTruncationIsCorruptionUnlessAtAFieldBoundary) {
  const VersionEdit full = FullEdit(/*largest_key_bytes=*/40);
  // The edits made of the first k fields, in the encoder's field order.
  std::vector<VersionEdit> partial(1);
  auto add = [&partial](auto mutate) {
    partial.push_back(partial.back());
    mutate(partial.back());
  };
  add([&](VersionEdit& e) { e.next_file_number = full.next_file_number; });
  add([&](VersionEdit& e) { e.last_sequence = full.last_sequence; });
  add([&](VersionEdit& e) { e.log_number = full.log_number; });
  add([&](VersionEdit& e) { e.next_bucket_id = full.next_bucket_id; });
  for (const auto& bucket : full.added_buckets) {
    add([&](VersionEdit& e) { e.added_buckets.push_back(bucket); });
  }
  for (uint32_t id : full.dropped_buckets) {
    add([&](VersionEdit& e) { e.dropped_buckets.push_back(id); });
  }
  for (const auto& file : full.deleted_files) {
    add([&](VersionEdit& e) { e.deleted_files.push_back(file); });
  }
  for (const auto& file : full.new_files) {
    add([&](VersionEdit& e) { e.new_files.push_back(file); });
  }
  ASSERT_TRUE(partial.back() == full);
  std::map<size_t, const VersionEdit*> boundaries;
  for (const VersionEdit& edit : partial) boundaries[Encode(edit).size()] = &edit;

  const std::string encoded = Encode(full);
  int corruptions = 0;
  for (size_t length = 0; length < encoded.size(); ++length) {
    const absl::StatusOr<VersionEdit> decoded = Decode(encoded.substr(0, length));
    auto boundary = boundaries.find(length);
    if (boundary == boundaries.end()) {
      ExpectCorruption(decoded, "prefix of " + std::to_string(length));
      ++corruptions;
    } else {
      ASSERT_TRUE(decoded.ok()) << length << ": " << decoded.status();
      EXPECT_TRUE(*decoded == *boundary->second) << length;
    }
  }
  // Every other prefix was a boundary (the full encoding is one too).
  EXPECT_EQ(static_cast<size_t>(corruptions), encoded.size() - (boundaries.size() - 1));
}

TEST(VersionEditTest, UnknownFormatVersionIsCorruption) {
  std::string bytes;
  PutVarint32(bytes, kVersionEditFormatVersion + 1);
  ExpectCorruption(Decode(bytes));
  EXPECT_NE(std::string(Decode(bytes).status().message()).find("unknown format version 2"),
            std::string::npos);
  ExpectCorruption(Decode(""));
}

TEST(VersionEditTest, UnknownTagIsCorruption) {
  for (uint32_t tag : {0u, 9u, 100u, UINT32_MAX}) {
    std::string body;
    PutVarint32(body, tag);
    PutVarint64(body, 1);
    const absl::StatusOr<VersionEdit> decoded = Decode(WithHeader(body));
    ExpectCorruption(decoded, "tag " + std::to_string(tag));
    EXPECT_NE(std::string(decoded.status().message()).find("unknown field tag"), std::string::npos);
  }
}

TEST(VersionEditTest, RepeatedSingularFieldIsCorruption) {
  for (uint32_t tag : {1u, 2u, 3u, 4u}) {
    std::string body;
    for (int i = 0; i < 2; ++i) {
      PutVarint32(body, tag);
      PutVarint64(body, 5);
    }
    ExpectCorruption(Decode(WithHeader(body)), "tag " + std::to_string(tag));
  }
}

TEST(VersionEditTest, OutOfRangeValuesAreCorruption) {
  const std::string a = MakeInternalKey("a", 5, ValueType::kValue);
  const std::string z = MakeInternalKey("z", 5, ValueType::kValue);
  // Sanity: the helper's encoding is accepted when the values are fine.
  ASSERT_TRUE(Decode(WithHeader(NewFileBody(1, 8, a, z, 1, 5))).ok());

  ExpectCorruption(Decode(WithHeader(NewFileBody(kNumLevels, 8, a, z, 1, 5))), "level");
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 0, a, z, 1, 5))), "file number 0");
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, "short", z, 1, 5))), "short key");
  std::string bad_type = a;
  bad_type[bad_type.size() - 8] = static_cast<char>(kMaxValueType + 1);
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, bad_type, z, 1, 5))), "value type");
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, z, a, 1, 5))), "smallest > largest");
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, a, z, 6, 5))), "sequences reversed");
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, a, z, 1, kMaxSequenceNumber + 1))),
                   "sequence above the maximum");
  const std::string long_key(kMaxBoundaryKeyBytes + 1, 'k');
  ExpectCorruption(Decode(WithHeader(NewFileBody(1, 8, long_key, long_key, 1, 5))), "long key");

  std::string last_sequence;
  PutVarint32(last_sequence, 2);
  PutVarint64(last_sequence, kMaxSequenceNumber + 1);
  ExpectCorruption(Decode(WithHeader(last_sequence)), "last sequence");

  std::string deleted;
  PutVarint32(deleted, 8);
  PutVarint32(deleted, 0);
  PutVarint32(deleted, kNumLevels);
  PutVarint64(deleted, 3);
  ExpectCorruption(Decode(WithHeader(deleted)), "deleted file level");
}

TEST(VersionEditTest, BadBucketsAreCorruption) {
  auto bucket = [](std::string_view name, uint64_t block_size, uint32_t restart_interval,
                   uint32_t bloom_bits, uint64_t prefix_length, uint8_t compression) {
    std::string body;
    PutVarint32(body, 5);
    PutVarint32(body, 1);
    PutLengthPrefixed(body, name);
    PutVarint64(body, block_size);
    PutVarint32(body, restart_interval);
    PutVarint32(body, bloom_bits);
    PutVarint64(body, prefix_length);
    body.push_back(static_cast<char>(compression));
    return WithHeader(body);
  };
  ASSERT_TRUE(Decode(bucket("b", 4096, 16, 10, 0, 1)).ok());
  ExpectCorruption(Decode(bucket("", 4096, 16, 10, 0, 1)), "empty name");
  ExpectCorruption(Decode(bucket(std::string(kMaxBucketNameBytes + 1, 'x'), 4096, 16, 10, 0, 1)),
                   "long name");
  ExpectCorruption(Decode(bucket("b", 0, 16, 10, 0, 1)), "block size 0");
  ExpectCorruption(Decode(bucket("b", kMaxStoredBlockSizeBytes + 1, 16, 10, 0, 1)), "block size");
  ExpectCorruption(Decode(bucket("b", UINT64_MAX, 16, 10, 0, 1)), "block size wraps");
  ExpectCorruption(Decode(bucket("b", 4096, 0, 10, 0, 1)), "restart interval 0");
  ExpectCorruption(Decode(bucket("b", 4096, UINT32_MAX, 10, 0, 1)), "restart interval");
  ExpectCorruption(Decode(bucket("b", 4096, 16, UINT32_MAX, 0, 1)), "bloom bits");
  ExpectCorruption(Decode(bucket("b", 4096, 16, 10, kMaxStoredPrefixLengthBytes + 1, 1)),
                   "prefix length");
  ExpectCorruption(Decode(bucket("b", 4096, 16, 10, 0, 2)), "compression");
}

// A length prefix claiming far more than the input holds is rejected before
// anything is allocated for it.
TEST(VersionEditTest, HugeLengthPrefixIsCorruption) {
  std::string body;
  PutVarint32(body, 5);
  PutVarint32(body, 1);
  PutVarint32(body, UINT32_MAX);  // name length
  ExpectCorruption(Decode(WithHeader(body)));
  std::string file;
  PutVarint32(file, 7);
  PutVarint32(file, 0);
  PutVarint32(file, 1);
  PutVarint64(file, 8);
  PutVarint64(file, 100);
  PutVarint32(file, 1u << 30);  // smallest key length
  ExpectCorruption(Decode(WithHeader(file)));
}

TEST(VersionEditTest, RandomGarbageIsCorruptionOrValid) {
  Random random(20261122);
  constexpr int kInputs = 20000;
  int corruptions = 0;
  for (int i = 0; i < kInputs; ++i) {
    std::string bytes(random.Uniform(64), '\0');
    for (char& c : bytes) c = static_cast<char>(random.Next());
    // Half start with the right version so the field parser gets exercised.
    if (random.OneIn(2) && !bytes.empty()) bytes[0] = static_cast<char>(kVersionEditFormatVersion);
    const absl::StatusOr<VersionEdit> decoded = Decode(bytes);
    if (decoded.ok()) {
      // Whatever decodes re-encodes to something that decodes the same.
      const absl::StatusOr<VersionEdit> again = Decode(Encode(*decoded));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_TRUE(*again == *decoded);
    } else {
      ExpectCorruption(decoded);
      ++corruptions;
    }
  }
  EXPECT_GT(corruptions, kInputs / 2);
}

TEST(VersionEditTest, BitFlipsAreCorruptionOrValid) {
  Random random(7);
  const std::string encoded = Encode(FullEdit(/*largest_key_bytes=*/40));
  constexpr int kFlips = 20000;
  int corruptions = 0;
  for (int i = 0; i < kFlips; ++i) {
    std::string bytes = encoded;
    const int flips = 1 + static_cast<int>(random.Uniform(3));
    for (int f = 0; f < flips; ++f) {
      bytes[random.Uniform(bytes.size())] ^= static_cast<char>(1u << random.Uniform(8));
    }
    const absl::StatusOr<VersionEdit> decoded = Decode(bytes);
    if (decoded.ok()) {
      const absl::StatusOr<VersionEdit> again = Decode(Encode(*decoded));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_TRUE(*again == *decoded);
    } else {
      ExpectCorruption(decoded);
      ++corruptions;
    }
  }
  EXPECT_GT(corruptions, 0);
}

}  // namespace
}  // namespace kiln
