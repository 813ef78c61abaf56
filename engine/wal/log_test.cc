// The WAL's contract: records round-trip; a crash's damage (torn, zeroed or
// garbage tails, holes before unsynced records) reads as a torn tail and
// never hides a synced record; anything else is Corruption naming the file
// and offset. Runs under the real Env and the simulator (testing/test_env.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "faultfs/crash_policy.h"
#include "gtest/gtest.h"
#include "kiln/env.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "testing/recording_file.h"
#include "testing/test_env.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/status_macros.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace kiln {
namespace {

constexpr uint64_t kLogNumber = 42;

struct WriteOptions {
  uint64_t log_number = kLogNumber;
  bool sync_each_record = false;
};

// Where each record of a written log starts, and where the log ends.
struct WrittenLog {
  std::vector<uint64_t> record_offsets;
  uint64_t end_offset = 0;
};

struct ReadResult {
  absl::Status status;
  std::vector<std::string> records;
  bool saw_torn_tail = false;
  uint64_t valid_end_offset = 0;
  uint64_t dropped_bytes = 0;
  // last_record_durable_offset() after each record.
  std::vector<uint64_t> durable_offsets;
};

bool MessageHas(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

std::string RandomBytes(Random& random, size_t size_bytes) {
  std::string bytes(size_bytes, '\0');
  for (char& c : bytes) c = static_cast<char>(random.Next());
  return bytes;
}

// Mostly small records, some up to 1 MiB, and an empty one.
std::vector<std::string> RandomPayloads(Random& random, size_t count) {
  std::vector<std::string> payloads;
  for (size_t i = 0; i < count; ++i) {
    const size_t size = i == 0            ? 0
                        : random.OneIn(8) ? random.Range(0, size_t{1} << 20)
                                          : random.Range(0, 1000);
    payloads.push_back(RandomBytes(random, size));
  }
  return payloads;
}

class LogTest : public testing::EnvTest {
 protected:
  FileSystem& fs() { return *env().file_system; }

  // Appends payloads as records of a log written by a fresh writer at the
  // file's current end (a new file if it does not exist).
  absl::StatusOr<WrittenLog> WriteLog(const std::string& path,
                                      const std::vector<std::string>& payloads,
                                      WriteOptions options = {}) {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs().OpenFile(path, OpenMode::kCreate));
    KILN_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
    LogWriter writer(std::move(file), options.log_number, size);
    WrittenLog log;
    for (const std::string& payload : payloads) {
      log.record_offsets.push_back(writer.size_bytes() == 0 ? kWalFileHeaderBytes
                                                            : writer.size_bytes());
      KILN_RETURN_IF_ERROR(writer.AddRecord(payload));
      if (options.sync_each_record) KILN_RETURN_IF_ERROR(writer.Sync(WalSyncMode::kSyncData));
    }
    KILN_RETURN_IF_ERROR(writer.Sync(WalSyncMode::kSyncAll));
    log.end_offset = writer.size_bytes();
    KILN_RETURN_IF_ERROR(writer.Close());
    return log;
  }

  ReadResult ReadLog(const std::string& path, LogReaderOptions options,
                     uint64_t log_number = kLogNumber) {
    ReadResult result;
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kRead);
    if (!file.ok()) {
      result.status = file.status();
      return result;
    }
    LogReader reader(**file, path, log_number, options);
    // Bounded by the file: every record is at least a header long.
    for (;;) {
      absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
      if (!record.ok()) {
        result.status = record.status();
        EXPECT_EQ(reader.ReadRecord().status(), record.status()) << "errors are sticky";
        break;
      }
      if (!record->has_value()) {
        EXPECT_FALSE(reader.ReadRecord().value().has_value()) << "the end is sticky";
        break;
      }
      result.records.push_back(std::move(**record));
      result.durable_offsets.push_back(reader.last_record_durable_offset());
    }
    EXPECT_EQ(reader.records_read(), result.records.size());
    result.saw_torn_tail = reader.saw_torn_tail();
    result.valid_end_offset = reader.valid_end_offset();
    result.dropped_bytes = reader.dropped_bytes();
    return result;
  }

  std::string ReadBytes(const std::string& path) {
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kRead);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return "";
    std::string bytes(*(*file)->Size(), '\0');
    EXPECT_EQ(*(*file)->Read(0, std::span<char>(bytes.data(), bytes.size())), bytes.size());
    return bytes;
  }

  void WriteBytes(const std::string& path, uint64_t offset, std::string_view bytes) {
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Write(offset, bytes).ok());
  }

  void ReplaceFile(const std::string& path, std::string_view bytes) {
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kTruncate);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append(bytes).ok());
  }

  void FlipBit(const std::string& path, uint64_t offset, int bit) {
    std::string bytes = ReadBytes(path);
    ASSERT_LT(offset, bytes.size());
    WriteBytes(path, offset, std::string(1, static_cast<char>(bytes[offset] ^ (1 << bit))));
  }

  void Truncate(const std::string& path, uint64_t size_bytes) {
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Truncate(size_bytes).ok());
  }

  // An append misdirected to offset 0: the log's last record is written
  // over the file header (and whatever follows it), and the place it was
  // meant for is gone.
  void MoveLastRecordOverTheFileHeader(const std::string& path, const WrittenLog& log) {
    const std::string bytes = ReadBytes(path);
    const uint64_t last = log.record_offsets.back();
    WriteBytes(path, 0, bytes.substr(last));
    Truncate(path, last);
  }
};

TEST_P(LogTest, RecordsOfRandomSizesRoundTrip) {
  RunInEnv([&] {
    Random random = env().NewRandom("wal round trip");
    const std::vector<std::string> payloads = RandomPayloads(random, 60);
    absl::StatusOr<WrittenLog> log = WriteLog(Path("000001.log"), payloads);
    ASSERT_TRUE(log.ok()) << log.status();
    const ReadResult read = ReadLog(Path("000001.log"), {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    ASSERT_EQ(read.records.size(), payloads.size());
    for (size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(read.records[i], payloads[i]) << i;
    EXPECT_FALSE(read.saw_torn_tail);
    EXPECT_EQ(read.valid_end_offset, log->end_offset);
    EXPECT_EQ(read.dropped_bytes, 0u);
    EXPECT_EQ(*fs().FileSize(Path("000001.log")), log->end_offset);
  });
}

TEST_P(LogTest, AnEmptyFileHoldsNoRecords) {
  RunInEnv([&] {
    absl::StatusOr<WrittenLog> log = WriteLog(Path("000001.log"), {});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(log->end_offset, 0u) << "the file header comes with the first record";
    for (bool tolerated : {false, true}) {
      const ReadResult read = ReadLog(Path("000001.log"), {.tail_is_tolerated = tolerated});
      ASSERT_TRUE(read.status.ok()) << read.status;
      EXPECT_TRUE(read.records.empty());
      EXPECT_FALSE(read.saw_torn_tail);
      EXPECT_EQ(read.valid_end_offset, 0u);
    }
  });
}

TEST_P(LogTest, AppendingContinuesALogAfterReopening) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    Random random = env().NewRandom("wal reopen");
    std::vector<std::string> payloads = RandomPayloads(random, 10);
    const std::vector<std::string> first(payloads.begin(), payloads.begin() + 5);
    const std::vector<std::string> second(payloads.begin() + 5, payloads.end());
    ASSERT_TRUE(WriteLog(path, first).ok());
    ASSERT_TRUE(WriteLog(path, second).ok());
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, payloads);
  });
}

// The recovery flow: read the newest log, truncate its torn tail, continue it.
TEST_P(LogTest, AppendingContinuesAfterTruncatingATornTail) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    ASSERT_TRUE(WriteLog(path, {"a", "bb", "ccc"}).ok());
    const uint64_t end = *fs().FileSize(path);
    Random random = env().NewRandom("wal garbage");
    WriteBytes(path, end, RandomBytes(random, 777));
    const ReadResult torn = ReadLog(path, {.tail_is_tolerated = true});
    ASSERT_TRUE(torn.status.ok()) << torn.status;
    ASSERT_TRUE(torn.saw_torn_tail);
    ASSERT_EQ(torn.valid_end_offset, end);
    EXPECT_EQ(torn.dropped_bytes, 777u);
    Truncate(path, torn.valid_end_offset);
    ASSERT_TRUE(WriteLog(path, {"dddd", ""}).ok());
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "bb", "ccc", "dddd", ""}));
  });
}

TEST_P(LogTest, ATornTailAtEveryOffsetOfTheLastRecordKeepsTheEarlierOnes) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    const std::vector<std::string> payloads = {"first", "", std::string(300, 'z')};
    absl::StatusOr<WrittenLog> log = WriteLog(path, payloads);
    ASSERT_TRUE(log.ok()) << log.status();
    const uint64_t last_start = log->record_offsets.back();
    // Truncation only shrinks, so walk the cut down from the end.
    for (uint64_t cut = log->end_offset - 1; cut > last_start; --cut) {
      Truncate(path, cut);
      const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
      ASSERT_TRUE(read.status.ok()) << "cut at " << cut << ": " << read.status;
      ASSERT_EQ(read.records, std::vector<std::string>(payloads.begin(), payloads.end() - 1))
          << "cut at " << cut;
      EXPECT_TRUE(read.saw_torn_tail);
      EXPECT_EQ(read.valid_end_offset, last_start);
      EXPECT_EQ(read.dropped_bytes, cut - last_start);
      const ReadResult strict = ReadLog(path, {.tail_is_tolerated = false});
      EXPECT_TRUE(IsCorruption(strict.status)) << strict.status;
      EXPECT_TRUE(MessageHas(strict.status,
                             path + ": WAL record at offset " + std::to_string(last_start) + ":"))
          << strict.status;
    }
    Truncate(path, last_start);
    const ReadResult clean = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(clean.status.ok()) << clean.status;
    EXPECT_EQ(clean.records.size(), payloads.size() - 1);
    EXPECT_FALSE(clean.saw_torn_tail);
  });
}

// The first record carries the file header: a cut inside the header leaves an
// empty log; a cut after it leaves a log of no records.
TEST_P(LogTest, ATornTailAtEveryOffsetOfTheFirstRecordLeavesNoRecords) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> log = WriteLog(path, {"only record"});
    ASSERT_TRUE(log.ok()) << log.status();
    for (uint64_t cut = log->end_offset - 1; cut > 0; --cut) {
      Truncate(path, cut);
      const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
      ASSERT_TRUE(read.status.ok()) << "cut at " << cut << ": " << read.status;
      EXPECT_TRUE(read.records.empty());
      const uint64_t valid_end = cut >= kWalFileHeaderBytes ? kWalFileHeaderBytes : 0;
      EXPECT_EQ(read.saw_torn_tail, cut != kWalFileHeaderBytes) << "cut at " << cut;
      EXPECT_EQ(read.valid_end_offset, valid_end) << "cut at " << cut;
      EXPECT_EQ(read.dropped_bytes, cut - valid_end) << "cut at " << cut;
    }
  });
}

TEST_P(LogTest, ZeroAndGarbageTailsAreTornTails) {
  RunInEnv([&] {
    Random random = env().NewRandom("wal tails");
    const std::vector<std::string> payloads = RandomPayloads(random, 6);
    struct Tail {
      std::string name;
      std::string bytes;
    };
    const std::vector<Tail> tails = {
        {"one zero byte", std::string(1, '\0')},
        {"less than a header of zeros", std::string(kWalRecordHeaderBytes - 1, '\0')},
        {"a preallocated 8 KiB of zeros", std::string(8192, '\0')},
        {"a garbage sector", RandomBytes(random, 512)},
        {"a zero sector then garbage", std::string(512, '\0') + RandomBytes(random, 100)},
    };
    for (size_t i = 0; i < tails.size(); ++i) {
      const std::string path = Path("tail" + std::to_string(i) + ".log");
      absl::StatusOr<WrittenLog> log = WriteLog(path, payloads);
      ASSERT_TRUE(log.ok()) << log.status();
      WriteBytes(path, log->end_offset, tails[i].bytes);
      const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
      ASSERT_TRUE(read.status.ok()) << tails[i].name << ": " << read.status;
      EXPECT_EQ(read.records, payloads) << tails[i].name;
      EXPECT_TRUE(read.saw_torn_tail) << tails[i].name;
      EXPECT_EQ(read.valid_end_offset, log->end_offset) << tails[i].name;
      EXPECT_EQ(read.dropped_bytes, tails[i].bytes.size()) << tails[i].name;
      EXPECT_TRUE(IsCorruption(ReadLog(path, {.tail_is_tolerated = false}).status))
          << tails[i].name;
    }
  });
}

// Every byte of an early record, header and payload, with valid records after.
TEST_P(LogTest, AFlippedBitInAnEarlyRecordIsCorruptionAtItsOffset) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    const std::vector<std::string> payloads = {"zero", "one", "two: the damaged record", "three",
                                               "four"};
    absl::StatusOr<WrittenLog> log = WriteLog(path, payloads);
    ASSERT_TRUE(log.ok()) << log.status();
    const uint64_t start = log->record_offsets[2];
    const uint64_t end = log->record_offsets[3];
    const std::string expected = path + ": WAL record at offset " + std::to_string(start) + ":";
    for (uint64_t offset = start; offset < end; ++offset) {
      const int bit = static_cast<int>(offset % 8);
      FlipBit(path, offset, bit);
      for (bool tolerated : {true, false}) {
        const ReadResult read = ReadLog(path, {.tail_is_tolerated = tolerated});
        EXPECT_TRUE(IsCorruption(read.status)) << "byte " << offset << ": " << read.status;
        EXPECT_TRUE(MessageHas(read.status, expected)) << read.status;
        EXPECT_EQ(read.records, std::vector<std::string>(payloads.begin(), payloads.begin() + 2));
        EXPECT_FALSE(read.saw_torn_tail);
      }
      FlipBit(path, offset, bit);
    }
    // And in the file header, before any record.
    FlipBit(path, 9, 0);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, path + ": WAL file header at offset 0")) << read.status;
  });
}

TEST_P(LogTest, EachRecordTellsHowFarItsLogWasSyncedWhenItWasAppended) {
  RunInEnv([&] {
    const std::string synced_path = Path("000001.log");
    absl::StatusOr<WrittenLog> synced =
        WriteLog(synced_path, {"a", "b", "c"}, {.sync_each_record = true});
    ASSERT_TRUE(synced.ok()) << synced.status();
    // Synced after each record: the next one was appended at a durable end.
    const ReadResult read = ReadLog(synced_path, {});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.durable_offsets,
              (std::vector<uint64_t>{0, synced->record_offsets[1], synced->record_offsets[2]}));
    // Synced only at the end: no record shows a sync.
    const std::string unsynced_path = Path("000002.log");
    ASSERT_TRUE(WriteLog(unsynced_path, {"a", "b", "c"}, {.log_number = 2}).ok());
    const ReadResult unsynced = ReadLog(unsynced_path, {}, /*log_number=*/2);
    ASSERT_TRUE(unsynced.status.ok()) << unsynced.status;
    EXPECT_EQ(unsynced.durable_offsets, (std::vector<uint64_t>{0, 0, 0}));
  });
}

TEST_P(LogTest, AFlippedBitInTheLastRecordIsATornTailOnlyWhenTolerated) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    const std::vector<std::string> payloads = {"zero", "one", "two: the last record"};
    absl::StatusOr<WrittenLog> log = WriteLog(path, payloads, {.sync_each_record = true});
    ASSERT_TRUE(log.ok()) << log.status();
    const uint64_t start = log->record_offsets.back();
    for (uint64_t offset = start; offset < log->end_offset; ++offset) {
      const int bit = static_cast<int>((offset * 3) % 8);
      FlipBit(path, offset, bit);
      const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
      ASSERT_TRUE(read.status.ok()) << "byte " << offset << ": " << read.status;
      EXPECT_EQ(read.records, std::vector<std::string>(payloads.begin(), payloads.end() - 1));
      EXPECT_TRUE(read.saw_torn_tail);
      EXPECT_EQ(read.valid_end_offset, start);
      const ReadResult strict = ReadLog(path, {.tail_is_tolerated = false});
      EXPECT_TRUE(IsCorruption(strict.status)) << strict.status;
      EXPECT_TRUE(MessageHas(strict.status, "offset " + std::to_string(start))) << strict.status;
      FlipBit(path, offset, bit);
    }
  });
}

// A crash that keeps later unsynced appends but not an earlier one leaves a
// hole of zeros: that is a torn tail, and the records after it are dropped.
TEST_P(LogTest, AZeroHoleBeforeUnsyncedRecordsIsATornTail) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    const std::vector<std::string> payloads = {"a", "b", "c", "the hole", "e", "f"};
    absl::StatusOr<WrittenLog> log = WriteLog(path, payloads);
    ASSERT_TRUE(log.ok()) << log.status();
    const uint64_t hole = log->record_offsets[3];
    WriteBytes(path, hole, std::string(log->record_offsets[4] - hole, '\0'));
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(read.saw_torn_tail);
    EXPECT_EQ(read.valid_end_offset, hole);
    EXPECT_EQ(read.dropped_bytes, log->end_offset - hole);
    EXPECT_TRUE(IsCorruption(ReadLog(path, {.tail_is_tolerated = false}).status));
  });
}

// A later record names how far the log had been synced: zeros inside that
// prefix were durable data, lost.
TEST_P(LogTest, AZeroHoleInsideTheSyncedPrefixIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> synced =
        WriteLog(path, {"a", "b", "c", "d", "e"}, {.sync_each_record = true});
    ASSERT_TRUE(synced.ok()) << synced.status();
    const uint64_t hole = synced->record_offsets[2];
    WriteBytes(path, hole, std::string(synced->record_offsets[3] - hole, '\0'));
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "offset " + std::to_string(hole))) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "synced")) << read.status;
  });
}

// dst seed 724737: an append misdirected into the payload of the last synced
// record, and the next record lost when a sync failed. Nothing follows the
// damage, yet the misplaced header inside it proves the record was synced.
TEST_P(LogTest, ASyncedWitnessInsideTheDamagedRecordIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> log =
        WriteLog(path, {"a", "b", std::string(1000, 'c'), "d"}, {.sync_each_record = true});
    ASSERT_TRUE(log.ok()) << log.status();
    const std::string bytes = ReadBytes(path);
    const uint64_t last = log->record_offsets[2];
    const uint64_t witness = log->record_offsets[3];
    WriteBytes(path, last + 100, bytes.substr(witness));
    Truncate(path, witness);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "offset " + std::to_string(last))) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "synced")) << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b"}));
  });
}

// dst seed 1126862: an append misdirected to offset 0 overwrote the file
// header and the synced record behind it. The misplaced record's header,
// now at offset 0, says the log was synced past the header: the damage hit
// durable data, not a crash's torn tail.
TEST_P(LogTest, ASyncedWitnessOverTheFileHeaderIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> log = WriteLog(path, {"a", "b"}, {.sync_each_record = true});
    ASSERT_TRUE(log.ok()) << log.status();
    MoveLastRecordOverTheFileHeader(path, *log);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "offset 0: file header")) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "synced")) << read.status;
    EXPECT_TRUE(read.records.empty());
  });
}

// The same append over an unsynced log's header loses only unsynced
// records: a torn tail.
TEST_P(LogTest, AnUnsyncedRecordOverTheFileHeaderIsATornTail) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> log = WriteLog(path, {"a", "b"});
    ASSERT_TRUE(log.ok()) << log.status();
    MoveLastRecordOverTheFileHeader(path, *log);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_TRUE(read.records.empty());
    EXPECT_TRUE(read.saw_torn_tail);
  });
}

// The synced prefix ends exactly where unsynced records begin.
TEST_P(LogTest, TheSyncedPrefixEndsAtTheLastSync) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    ASSERT_TRUE(WriteLog(path, {"a", "b"}, {.sync_each_record = true}).ok());
    absl::StatusOr<WrittenLog> unsynced = WriteLog(path, {"c", "d", "e"});
    ASSERT_TRUE(unsynced.ok()) << unsynced.status();
    // "c" was appended right after a sync; "d" and "e" name that sync's end,
    // which is c's start, so zeroing c is a hole in unsynced data.
    const uint64_t hole = unsynced->record_offsets[0];
    WriteBytes(path, hole, std::string(unsynced->record_offsets[1] - hole, '\0'));
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(read.saw_torn_tail);
  });
}

TEST_P(LogTest, AWrongLogNumberIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000007.log");
    ASSERT_TRUE(WriteLog(path, {"a", "b"}, {.log_number = 7}).ok());
    for (bool tolerated : {true, false}) {
      const ReadResult read = ReadLog(path, {.tail_is_tolerated = tolerated}, /*log_number=*/8);
      EXPECT_TRUE(IsCorruption(read.status)) << read.status;
      EXPECT_TRUE(MessageHas(read.status, "log 7")) << read.status;
      EXPECT_TRUE(read.records.empty());
    }
    // A record of another log, at the right place in this one.
    absl::StatusOr<WrittenLog> stale = WriteLog(path, {"stale"}, {.log_number = 9});
    ASSERT_TRUE(stale.ok()) << stale.status();
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true}, /*log_number=*/7);
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(
        read.status, "offset " + std::to_string(stale->record_offsets[0]) + ": belongs to log 9"))
        << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b"}));
  });
}

TEST_P(LogTest, ADuplicatedOrMovedRecordIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<WrittenLog> log = WriteLog(path, {"a", "b", "c"});
    ASSERT_TRUE(log.ok()) << log.status();
    const std::string bytes = ReadBytes(path);
    const uint64_t second = log->record_offsets[1];
    const std::string copy = bytes.substr(second, log->record_offsets[2] - second);
    WriteBytes(path, log->end_offset, copy);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "offset " + std::to_string(log->end_offset) +
                                            ": was written for offset " + std::to_string(second)))
        << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b", "c"}));
  });
}

TEST_P(LogTest, RecordsAboveTheBoundAreInvalidArgument) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status();
    LogWriter writer(std::move(*file), kLogNumber, 0);
    const absl::Status too_big = writer.AddRecord(std::string(kMaxWalRecordBytes + 1, 'x'));
    EXPECT_TRUE(absl::IsInvalidArgument(too_big)) << too_big;
    EXPECT_EQ(writer.size_bytes(), 0u) << "nothing was written";
    ASSERT_TRUE(writer.AddRecord("still works").ok());
    ASSERT_TRUE(writer.Close().ok());
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, std::vector<std::string>{"still works"});
  });
}

// A commit group's records go down in one AddRecords call; they read back
// exactly as if added one by one, the first group carrying the file header.
TEST_P(LogTest, RecordsAddedTogetherReadBackInOrder) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    Random random = env().NewRandom("wal batched records");
    const std::vector<std::string> payloads = RandomPayloads(random, 40);
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status();
    LogWriter writer(std::move(*file), kLogNumber, 0);
    // Bounded by payloads: groups of 1 to 8, every other one synced.
    for (size_t begin = 0; begin < payloads.size();) {
      const size_t end = std::min(payloads.size(), begin + random.Range(1, 8));
      const std::vector<std::string_view> group(payloads.begin() + begin, payloads.begin() + end);
      ASSERT_TRUE(writer.AddRecords(group).ok());
      if (random.OneIn(2)) {
        ASSERT_TRUE(writer.Sync(WalSyncMode::kSyncData).ok());
      }
      begin = end;
    }
    const uint64_t end_offset = writer.size_bytes();
    ASSERT_TRUE(writer.Close().ok());
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, payloads);
    EXPECT_EQ(read.valid_end_offset, end_offset);
  });
}

TEST_P(LogTest, AnOversizedRecordRefusesItsWholeGroup) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status();
    LogWriter writer(std::move(*file), kLogNumber, 0);
    const std::string too_big(kMaxWalRecordBytes + 1, 'x');
    const std::vector<std::string_view> group = {"first", too_big, "third"};
    const absl::Status refused = writer.AddRecords(group);
    EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
    EXPECT_EQ(writer.size_bytes(), 0u) << "nothing of the group was written";
    const std::vector<std::string_view> next = {"a", "b"};
    ASSERT_TRUE(writer.AddRecords(next).ok());
    ASSERT_TRUE(writer.Close().ok());
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = false});
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.records, (std::vector<std::string>{"a", "b"}));
  });
}

// A header whose checksum holds but whose length exceeds the bound is
// rejected before anything is allocated for it.
TEST_P(LogTest, AHeaderClaimingTooLongAPayloadIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    std::string bytes(kWalFileHeaderBytes + kWalRecordHeaderBytes, '\0');
    EncodeWalFileHeader(kLogNumber, bytes.data());
    char* header = bytes.data() + kWalFileHeaderBytes;
    EncodeWalRecordHeader({.log_number = kLogNumber, .record_offset = kWalFileHeaderBytes}, header);
    EncodeFixed32(header + 4, kMaxWalRecordBytes + 1);
    EncodeFixed32(header, WalRecordHeaderChecksum(header));
    ReplaceFile(path, bytes);
    const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "exceeds the limit")) << read.status;
  });
}

TEST_P(LogTest, AnUnknownVersionOrForeignFileIsCorruption) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    std::string header(kWalFileHeaderBytes, '\0');
    const auto reseal = [&] {
      EncodeFixed64(header.data() + kWalFileHeaderChecksumOffset,
                    Checksum64(std::string_view(header.data(), kWalFileHeaderChecksumOffset)));
    };
    EncodeWalFileHeader(kLogNumber, header.data());
    EncodeFixed32(header.data() + 8, kWalFormatVersion + 1);
    reseal();
    ReplaceFile(path, header);
    ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "unsupported WAL format version 2")) << read.status;

    EncodeWalFileHeader(kLogNumber, header.data());
    header[0] = 'K';
    reseal();
    ReplaceFile(path, header);
    read = ReadLog(path, {.tail_is_tolerated = true});
    EXPECT_TRUE(IsCorruption(read.status)) << read.status;
    EXPECT_TRUE(MessageHas(read.status, "not a WAL file")) << read.status;
  });
}

// Random damage of every kind: the reader never crashes, and every record it
// returns is the record written at that position.
TEST_P(LogTest, RandomDamageNeverYieldsAWrongRecord) {
  RunInEnv([&] {
    const std::string path = Path("000001.log");
    Random random = env().NewRandom("wal damage");
    std::vector<std::string> payloads;
    for (int i = 0; i < 20; ++i) payloads.push_back(RandomBytes(random, random.Range(0, 200)));
    ASSERT_TRUE(WriteLog(path, payloads).ok());
    const std::string original = ReadBytes(path);
    constexpr int kRounds = 150;
    for (int round = 0; round < kRounds; ++round) {
      std::string bytes = original;
      const size_t at = random.Uniform(bytes.size());
      switch (random.Uniform(5)) {
        case 0:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << random.Uniform(8)));
          break;
        case 1:
          bytes.resize(at);
          break;
        case 2:
          bytes.replace(at, random.Range(1, 64), RandomBytes(random, random.Range(1, 64)));
          break;
        case 3:
          bytes.replace(at, random.Range(1, 64), std::string(random.Range(1, 64), '\0'));
          break;
        default:
          bytes.insert(at, original.substr(random.Uniform(original.size()), random.Range(1, 80)));
          break;
      }
      ReplaceFile(path, bytes);
      for (bool tolerated : {true, false}) {
        const ReadResult read = ReadLog(path, {.tail_is_tolerated = tolerated});
        ASSERT_LE(read.records.size(), payloads.size());
        for (size_t i = 0; i < read.records.size(); ++i) {
          ASSERT_EQ(read.records[i], payloads[i]) << "round " << round << " record " << i;
        }
        if (!read.status.ok()) {
          EXPECT_TRUE(IsCorruption(read.status)) << read.status;
        }
      }
    }
  });
}

// Under the simulator: append, sync some, crash with each preset policy,
// recover. Every synced record survives intact, then possibly some unsynced
// ones, then at most a torn tail; never Corruption. The log then continues.
TEST_P(LogTest, ACrashNeverLosesASyncedRecordNorReadsAsCorruption) {
  if (!simulated()) GTEST_SKIP() << "crashes need the simulator";
  constexpr int kRoundsPerPolicy = 8;
  constexpr int kRecordsPerRound = 30;
  Random random = env().NewRandom("wal crash");
  RunInEnv([&] { ASSERT_TRUE(fs().SyncDir("/").ok()); });
  int torn_tails = 0;
  for (const faultfs::NamedCrashPolicy& preset : faultfs::CrashPolicyPresets()) {
    for (int round = 0; round < kRoundsPerPolicy; ++round) {
      const std::string path =
          Path(std::string(preset.name) + "_" + std::to_string(round) + ".log");
      const std::string context = path + " policy " + std::string(preset.name);
      std::vector<std::string> payloads;
      size_t synced_records = 0;
      RunInEnv([&] {
        absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kCreateNew);
        ASSERT_TRUE(file.ok()) << file.status();
        ASSERT_TRUE(fs().SyncDir(dir()).ok());
        // Odd rounds append through a reservation, which a crash leaves as
        // zeros after whatever survived.
        if (round % 2 == 1) {
          ASSERT_TRUE((*file)->MapAppends(4096).ok());
        }
        LogWriter writer(std::move(*file), kLogNumber, 0);
        for (int i = 0; i < kRecordsPerRound; ++i) {
          payloads.push_back(
              RandomBytes(random, random.OneIn(4) ? random.Range(0, 3000) : random.Range(0, 300)));
          ASSERT_TRUE(writer.AddRecord(payloads.back()).ok());
          if (random.OneIn(4)) {
            const WalSyncMode mode =
                random.OneIn(2) ? WalSyncMode::kSyncData : WalSyncMode::kSyncAll;
            ASSERT_TRUE(writer.Sync(mode).ok());
            synced_records = payloads.size();
          }
        }
      });
      simulator()->Crash(preset.policy);
      RunInEnv([&] {
        const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
        ASSERT_TRUE(read.status.ok()) << context << ": " << read.status;
        ASSERT_GE(read.records.size(), synced_records) << context;
        ASSERT_LE(read.records.size(), payloads.size()) << context;
        for (size_t i = 0; i < read.records.size(); ++i) {
          ASSERT_EQ(read.records[i], payloads[i]) << context << " record " << i;
        }
        torn_tails += read.saw_torn_tail ? 1 : 0;
        if (!read.saw_torn_tail) {
          EXPECT_EQ(read.valid_end_offset, *fs().FileSize(path)) << context;
        }
        // Recovery continues the log from its valid end.
        Truncate(path, read.valid_end_offset);
        ASSERT_TRUE(WriteLog(path, {"after the crash"}).ok());
        const ReadResult after = ReadLog(path, {.tail_is_tolerated = false});
        ASSERT_TRUE(after.status.ok()) << context << ": " << after.status;
        ASSERT_EQ(after.records.size(), read.records.size() + 1) << context;
        EXPECT_EQ(after.records.back(), "after the crash") << context;
      });
    }
  }
  EXPECT_GT(torn_tails, 0) << "the crashes should have torn some tails";
}

// The reader crosses runs of zeros a window at a time (HeaderlessZeros);
// whatever the run's length, the first header after it must still be seen:
// as a synced witness that makes the hole Corruption, or as an unsynced
// record that makes it a torn tail.
TEST_P(LogTest, AZeroHoleOfAnyLengthIsJudgedByTheRecordAfterIt) {
  RunInEnv([&] {
    std::vector<size_t> hole_payloads;
    for (size_t size = 0; size <= 48; ++size) hole_payloads.push_back(size);
    hole_payloads.push_back(kWalReadChunkBytes - kWalRecordHeaderBytes - 1);
    hole_payloads.push_back(kWalReadChunkBytes + 4097);
    for (const size_t hole_payload : hole_payloads) {
      for (const bool synced : {true, false}) {
        const std::string path =
            Path("hole" + std::to_string(hole_payload) + (synced ? "s" : "u") + ".log");
        const std::string context = path;
        const std::vector<std::string> payloads = {"a", std::string(hole_payload, 'h'), "c", "d"};
        absl::StatusOr<WrittenLog> log = WriteLog(path, payloads, {.sync_each_record = synced});
        ASSERT_TRUE(log.ok()) << log.status();
        const uint64_t hole = log->record_offsets[1];
        WriteBytes(path, hole, std::string(log->record_offsets[2] - hole, '\0'));
        const ReadResult read = ReadLog(path, {.tail_is_tolerated = true});
        if (synced) {
          EXPECT_TRUE(IsCorruption(read.status)) << context << ": " << read.status;
          EXPECT_TRUE(MessageHas(read.status, "record at offset " +
                                                  std::to_string(log->record_offsets[2])))
              << context << ": " << read.status;
        } else {
          ASSERT_TRUE(read.status.ok()) << context << ": " << read.status;
          EXPECT_EQ(read.records, std::vector<std::string>{"a"}) << context;
          EXPECT_EQ(read.dropped_bytes, log->end_offset - hole) << context;
        }
      }
    }
  });
}

KILN_INSTANTIATE_ENV_TEST(LogTest);

using testing::RecordingFile;

TEST(LogWriterTest, WritebackIsHintedInContiguousChunksUntilASync) {
  auto owned = std::make_unique<RecordingFile>(1 << 20);
  RecordingFile* file = owned.get();
  LogWriter writer(std::move(owned), kLogNumber, 0);
  const std::string payload(10'000, 'p');
  // Bounded: about 3 MiB of records.
  while (writer.size_bytes() < 3 * LogWriter::kWritebackChunkBytes) {
    ASSERT_TRUE(writer.AddRecord(payload).ok());
  }
  ASSERT_GE(file->writebacks().size(), 2u);
  uint64_t next = 0;
  for (const auto& [offset, size] : file->writebacks()) {
    EXPECT_EQ(offset, next) << "writeback ranges must be contiguous";
    EXPECT_GE(size, LogWriter::kWritebackChunkBytes);
    next = offset + size;
  }
  EXPECT_LE(next, writer.size_bytes());
  // A sync covers everything; the next hint starts where it ended.
  ASSERT_TRUE(writer.Sync(WalSyncMode::kSyncData).ok());
  const uint64_t synced = writer.size_bytes();
  const size_t hints = file->writebacks().size();
  while (file->writebacks().size() == hints) ASSERT_TRUE(writer.AddRecord(payload).ok());
  EXPECT_EQ(file->writebacks().back().first, synced);
}

TEST(LogWriterTest, WritebackHintsOffLeaveTheFileAloneUntilTurnedOn) {
  auto owned = std::make_unique<RecordingFile>(1 << 20);
  RecordingFile* file = owned.get();
  LogWriter writer(std::move(owned), kLogNumber, 0);
  writer.set_writeback_hints(false);
  const std::string payload(10'000, 'p');
  while (writer.size_bytes() < 3 * LogWriter::kWritebackChunkBytes) {
    ASSERT_TRUE(writer.AddRecord(payload).ok());
  }
  EXPECT_TRUE(file->writebacks().empty());
  // On again: the next append hints everything not yet hinted or synced.
  writer.set_writeback_hints(true);
  ASSERT_TRUE(writer.AddRecord(payload).ok());
  ASSERT_EQ(file->writebacks().size(), 1u);
  EXPECT_EQ(file->writebacks()[0], std::make_pair(uint64_t{0}, writer.size_bytes()));
}

TEST(LogWriterTest, AFailedAppendBreaksTheWriterForGood) {
  auto owned = std::make_unique<RecordingFile>(1);
  RecordingFile* file = owned.get();
  LogWriter writer(std::move(owned), kLogNumber, 0);
  ASSERT_TRUE(writer.AddRecord("ok").ok());
  const uint64_t size = writer.size_bytes();
  EXPECT_EQ(size, kWalFileHeaderBytes + kWalRecordHeaderBytes + 2);
  const absl::Status failed = writer.AddRecord("fails");
  EXPECT_TRUE(IsIOError(failed)) << failed;
  EXPECT_EQ(writer.AddRecord("refused").code(), failed.code());
  EXPECT_EQ(writer.Sync(WalSyncMode::kSyncAll).code(), failed.code());
  EXPECT_EQ(file->append_calls(), 2) << "the refused record never reached the file";
  EXPECT_EQ(writer.size_bytes(), size);
  EXPECT_EQ(writer.synced_bytes(), 0u);
  EXPECT_TRUE(writer.Close().ok());
}

// One Append per record even in a group: a crash tears at most the last
// write it keeps, and the reader counts on damage inside a record being the
// end of what survived (dst seed 739: a torn two-record write read back as
// corruption in the middle of the log).
TEST(LogWriterTest, RecordsAddedTogetherTakeOneAppendEach) {
  auto owned = std::make_unique<RecordingFile>(1 << 20);
  RecordingFile* file = owned.get();
  LogWriter writer(std::move(owned), kLogNumber, 0);
  const std::vector<std::string_view> group = {"one", "two", "three"};
  ASSERT_TRUE(writer.AddRecords(group).ok());
  EXPECT_EQ(file->append_calls(), 3);
  EXPECT_EQ(writer.size_bytes(), kWalFileHeaderBytes + 3 * kWalRecordHeaderBytes + 11);
  ASSERT_TRUE(writer.AddRecords(group).ok());
  EXPECT_EQ(file->append_calls(), 6);
  EXPECT_EQ(writer.size_bytes(), kWalFileHeaderBytes + 6 * kWalRecordHeaderBytes + 22);
}

TEST(LogWriterTest, AGroupThatFailsPartwayKeepsWhatWasWrittenAndBreaksTheWriter) {
  auto owned = std::make_unique<RecordingFile>(2);
  RecordingFile* file = owned.get();
  LogWriter writer(std::move(owned), kLogNumber, 0);
  const std::vector<std::string_view> group = {"one", "two", "three"};
  const absl::Status failed = writer.AddRecords(group);
  EXPECT_TRUE(IsIOError(failed)) << failed;
  EXPECT_EQ(file->append_calls(), 3);  // two written, the third failed
  EXPECT_EQ(writer.size_bytes(), kWalFileHeaderBytes + 2 * kWalRecordHeaderBytes + 6);
  EXPECT_EQ(writer.AddRecords(group).code(), failed.code());
  EXPECT_EQ(file->append_calls(), 3) << "a broken writer wrote again";
}

TEST(LogFormatTest, HeadersRoundTripAndRejectEveryFlippedBit) {
  const WalRecordHeader header{.payload_length = 1234,
                               .payload_checksum = 0x0123456789abcdef,
                               .log_number = 77,
                               .record_offset = 4096,
                               .durable_offset = 1024};
  char bytes[kWalRecordHeaderBytes];
  EncodeWalRecordHeader(header, bytes);
  const std::optional<WalRecordHeader> decoded =
      DecodeWalRecordHeader(std::string_view(bytes, sizeof(bytes)));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->payload_length, header.payload_length);
  EXPECT_EQ(decoded->payload_checksum, header.payload_checksum);
  EXPECT_EQ(decoded->log_number, header.log_number);
  EXPECT_EQ(decoded->record_offset, header.record_offset);
  EXPECT_EQ(decoded->durable_offset, header.durable_offset);
  for (size_t bit = 0; bit < 8 * kWalRecordHeaderBytes; ++bit) {
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(DecodeWalRecordHeader(std::string_view(bytes, sizeof(bytes))).has_value())
        << "bit " << bit;
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
  }
  const std::string zeros(kWalRecordHeaderBytes, '\0');
  EXPECT_FALSE(DecodeWalRecordHeader(zeros).has_value()) << "a zeroed header is never valid";
}

}  // namespace
}  // namespace kiln
