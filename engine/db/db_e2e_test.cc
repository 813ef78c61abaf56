// End to end on the real filesystem at a realistic size: a million keys
// written through the public API, the database closed and reopened, then
// every key read back by Get, a full forward scan and a reverse scan sample.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "kiln/db.h"
#include "kiln/env.h"
#include "kiln/write_batch.h"

namespace kiln {
namespace {

constexpr uint64_t kNumKeys = 1'000'000;
constexpr uint64_t kKeysPerBatch = 1000;
constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 100;
// Every this many keys, the reverse scan checks it landed where expected.
constexpr uint64_t kReverseSampleStride = 997;
constexpr uint64_t kReverseSampleSteps = 5000;

std::string KeyOf(uint64_t i) {
  char buffer[kKeyBytes + 1];
  std::snprintf(buffer, sizeof(buffer), "k%015llu", static_cast<unsigned long long>(i));
  return std::string(buffer, kKeyBytes);
}

// Deterministic and distinct per key, so a value returned for the wrong key
// is caught.
std::string ValueOf(uint64_t i) {
  std::string value(kValueBytes, '\0');
  uint64_t state = i * 0x9E3779B97F4A7C15ull + 1;
  for (size_t j = 0; j < kValueBytes; ++j) {
    state ^= state >> 29;
    state *= 0xBF58476D1CE4E5B9ull;
    value[j] = static_cast<char>('a' + (state >> 59));
  }
  return value;
}

std::string DbPath() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/kiln_e2e_db";
}

Options E2eOptions() {
  Options options;
  options.env = &RealEnv();
  options.create_if_missing = true;
  options.durability = Durability::kBuffered;
  return options;
}

TEST(DbE2eTest, MillionKeysSurviveReopen) {
  ASSERT_EQ(KeyOf(kNumKeys - 1).size(), kKeyBytes);
  {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(E2eOptions(), DbPath());
    ASSERT_TRUE(db.ok()) << db.status();
    for (uint64_t first = 0; first < kNumKeys; first += kKeysPerBatch) {
      WriteBatch batch;
      for (uint64_t i = first; i < first + kKeysPerBatch && i < kNumKeys; ++i) {
        ASSERT_TRUE(batch.Put(KeyOf(i), ValueOf(i)).ok());
      }
      absl::StatusOr<CommitInfo> commit = (*db)->Write(batch);
      ASSERT_TRUE(commit.ok()) << "batch at " << first << ": " << commit.status();
    }
    ASSERT_TRUE((*db)->Close().ok());
  }

  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(E2eOptions(), DbPath());
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->CheckInvariants().ok());
  for (uint64_t i = 0; i < kNumKeys; ++i) {
    absl::StatusOr<std::optional<std::string>> value = (*db)->Get(KeyOf(i));
    ASSERT_TRUE(value.ok()) << KeyOf(i) << ": " << value.status();
    ASSERT_TRUE(value->has_value()) << KeyOf(i) << " is missing";
    ASSERT_EQ(**value, ValueOf(i)) << KeyOf(i);
  }
  ASSERT_FALSE((*db)->Get(KeyOf(kNumKeys))->has_value());

  {
    std::unique_ptr<Iterator> it = (*db)->NewIterator();
    uint64_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_LT(count, kNumKeys) << "scan returned extra keys";
      ASSERT_EQ(it->key(), KeyOf(count));
      ASSERT_EQ(it->value(), ValueOf(count));
      ++count;
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
    ASSERT_EQ(count, kNumKeys);
  }
  {
    std::unique_ptr<Iterator> it = (*db)->NewIterator();
    uint64_t expected = kNumKeys - 1;
    uint64_t steps = 0;
    for (it->SeekToLast(); it->Valid() && steps < kReverseSampleSteps; it->Prev(), ++steps) {
      ASSERT_EQ(it->key(), KeyOf(expected));
      ASSERT_EQ(it->value(), ValueOf(expected));
      --expected;
    }
    ASSERT_EQ(steps, kReverseSampleSteps);
    // Reverse from points spread over the keyspace, a few steps each.
    constexpr uint64_t kStepsPerSample = 8;
    for (uint64_t start = kNumKeys - 1; start >= kStepsPerSample;
         start -= std::min(start, kReverseSampleStride * 100)) {
      it->SeekForPrev(KeyOf(start) + "~");  // just past KeyOf(start)
      for (uint64_t k = start; k + kStepsPerSample > start; --k) {
        ASSERT_TRUE(it->Valid()) << it->status();
        ASSERT_EQ(it->key(), KeyOf(k));
        it->Prev();
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
  }
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace
}  // namespace kiln
