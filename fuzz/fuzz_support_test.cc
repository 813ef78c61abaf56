// The fuzz harness's own machinery: inputs decode as their writers encode
// them, sealing really makes mutated logs and tables pass their checksums,
// images round-trip, and every byte string decodes to a valid scenario.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "fuzz/db_image.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/scenario_decoder.h"
#include "fuzz/seal_checksums.h"
#include "fuzz/string_file.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "table/block_builder.h"
#include "table/block_io.h"
#include "table/format.h"
#include "table/table_builder.h"
#include "table/table_reader.h"
#include "tools/dst/scenario.h"
#include "util/coding.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace kiln::fuzz {
namespace {

TEST(FuzzInputTest, ReadsWhatTheWriterWrote) {
  FuzzInputWriter writer;
  writer.PutByte(7);
  writer.PutBool(true);
  writer.PutRange(300, 10, 1000);
  writer.PutRange(5, 5, 5);  // no bytes at all
  writer.PutRange(uint64_t{1} << 40, 0, UINT64_MAX);
  writer.PutLengthPrefixed("hello", 64);
  writer.PutRaw("rest");
  FuzzInput input(writer.bytes());
  EXPECT_EQ(input.Byte(), 7);
  EXPECT_TRUE(input.Bool());
  EXPECT_EQ(input.Range(10, 1000), 300u);
  EXPECT_EQ(input.Range(5, 5), 5u);
  EXPECT_EQ(input.Range(0, UINT64_MAX), uint64_t{1} << 40);
  EXPECT_EQ(input.LengthPrefixed(64), "hello");
  EXPECT_EQ(input.Rest(), "rest");
  EXPECT_TRUE(input.empty());
}

TEST(FuzzInputTest, AnExhaustedInputYieldsZerosAndStaysInRange) {
  FuzzInput input(std::string_view("\xff", 1));
  EXPECT_EQ(input.Range(3, 9), 3u + 0xff % 7);
  EXPECT_EQ(input.Byte(), 0);
  EXPECT_EQ(input.Range(3, 9), 3u);
  EXPECT_EQ(input.LengthPrefixed(10), "");
  EXPECT_EQ(input.Rest(), "");
}

std::string MakeLog(uint64_t log_number, const std::vector<std::string>& payloads) {
  std::string log(kWalFileHeaderBytes, '\0');
  EncodeWalFileHeader(log_number, log.data());
  for (const std::string& payload : payloads) {
    char header[kWalRecordHeaderBytes];
    EncodeWalRecordHeader({.payload_length = static_cast<uint32_t>(payload.size()),
                           .payload_checksum = Checksum64(payload),
                           .log_number = log_number,
                           .record_offset = log.size(),
                           .durable_offset = 0},
                          header);
    log.append(header, sizeof(header));
    log.append(payload);
  }
  return log;
}

std::vector<std::string> ReadLog(const std::string& log, uint64_t log_number, absl::Status& status) {
  StringFile file(log);
  LogReader reader(file, "test.log", log_number, {});
  std::vector<std::string> records;
  while (true) {
    absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
    status = record.status();
    if (!record.ok() || !record->has_value()) return records;
    records.push_back(**record);
  }
}

TEST(SealChecksumsTest, AMutatedLogReadsBackOnceSealed) {
  std::string log = MakeLog(5, {"first", "second record", ""});
  log[kWalFileHeaderBytes + kWalRecordHeaderBytes + 1] = 'X';  // "fXrst"
  absl::Status status;
  ReadLog(log, 5, status);
  EXPECT_TRUE(IsCorruption(status)) << status;
  SealLogChecksums(log);
  const std::vector<std::string> records = ReadLog(log, 5, status);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(records, (std::vector<std::string>{"fXrst", "second record", ""}));
}

TEST(SealChecksumsTest, SealingLeavesAnIntactLogAndShortInputsAlone) {
  const std::string log = MakeLog(9, {"a", "bb"});
  std::string sealed = log;
  SealLogChecksums(sealed);
  EXPECT_EQ(sealed, log);
  std::string tiny = "short";
  SealLogChecksums(tiny);
  EXPECT_EQ(tiny, "short");
}

// A table written by TableBuilder into memory.
class MemoryFile final : public File {
 public:
  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    return StringFile(bytes).Read(offset, out);
  }
  absl::Status Write(uint64_t, std::string_view) override { return absl::UnimplementedError(""); }
  absl::Status Append(std::string_view data) override {
    bytes.append(data);
    return absl::OkStatus();
  }
  absl::Status Truncate(uint64_t) override { return absl::UnimplementedError(""); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status SyncData() override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> Size() override { return bytes.size(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string bytes;
};

absl::Status OpenAndWalk(const std::string& table, size_t& entries) {
  StringFile file(table);
  absl::StatusOr<std::unique_ptr<TableReader>> reader =
      TableReader::Open({.file = &file, .path = "t.sst", .file_size = table.size()});
  if (!reader.ok()) return reader.status();
  std::unique_ptr<InternalIterator> it = (*reader)->NewIterator();
  entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++entries;
  return it->status();
}

TEST(SealChecksumsTest, AMutatedTableOpensAndReadsOnceSealed) {
  MemoryFile file;
  {
    TableBuilder builder(TableBuilderOptions{.block_size_bytes = kMinTableBlockSizeBytes,
                                             .compression = CompressionType::kNone},
                         &file, "t.sst");
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(builder
                      .Add(MakeInternalKey("key" + std::to_string(100 + i), 1, ValueType::kValue),
                           "value" + std::to_string(i))
                      .ok());
    }
    ASSERT_TRUE(builder.Finish().ok());
  }
  std::string table = file.bytes;
  size_t entries = 0;
  ASSERT_TRUE(OpenAndWalk(table, entries).ok());
  EXPECT_EQ(entries, 50u);

  // Change a value byte in the first data block: checksums now fail.
  const size_t at = table.find("value0");
  ASSERT_NE(at, std::string::npos);
  table[at] = 'V';
  EXPECT_TRUE(IsCorruption(OpenAndWalk(table, entries)));
  SealTableChecksums(table);
  EXPECT_TRUE(OpenAndWalk(table, entries).ok());
  EXPECT_EQ(entries, 50u);

  // The footer too.
  table[table.size() - kFooterBytes + 30] ^= 1;  // zero padding: checked after the checksum
  SealTableChecksums(table);
  EXPECT_TRUE(IsCorruption(OpenAndWalk(table, entries)));
}

TEST(DbImageTest, RoundTripsAndNamesFiles) {
  DbImage image{.seal_checksums = true,
                .read_only = false,
                .create_if_missing = true,
                .background_tasks = 2,
                .write_after_reads = true,
                .seed = 42};
  image.files = {{FileKind::kWal, 7, "wal bytes"},
                 {FileKind::kTable, 12, std::string(300, 't')},
                 {FileKind::kManifest, 3, "m"},
                 {FileKind::kCurrent, 0, "MANIFEST-000003\n"},
                 {FileKind::kTemp, 8, ""},
                 {FileKind::kLock, 0, ""},
                 {FileKind::kBlob, 9, "blob"}};
  const DbImage decoded = DecodeDbImage(EncodeDbImage(image));
  EXPECT_TRUE(decoded.seal_checksums);
  EXPECT_FALSE(decoded.read_only);
  EXPECT_TRUE(decoded.create_if_missing);
  EXPECT_EQ(decoded.background_tasks, 2);
  EXPECT_TRUE(decoded.write_after_reads);
  EXPECT_EQ(decoded.seed, 42);
  ASSERT_EQ(decoded.files.size(), image.files.size());
  std::vector<std::string> names;
  for (size_t i = 0; i < image.files.size(); ++i) {
    EXPECT_EQ(decoded.files[i].kind, image.files[i].kind);
    EXPECT_EQ(decoded.files[i].bytes, image.files[i].bytes);
    names.push_back(DbImage::FileName(decoded.files[i]));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"000007.log", "000012.sst", "MANIFEST-000003",
                                             "CURRENT", "000008.tmp", "LOCK", "000009.blob"}));
}

TEST(DbImageTest, GarbageDecodesToSomeImage) {
  const DbImage empty = DecodeDbImage("");
  EXPECT_TRUE(empty.files.empty());
  // A truncated entry ends the image.
  const DbImage truncated = DecodeDbImage(std::string("\x00\x00\x01\x05\x7f", 5));
  EXPECT_TRUE(truncated.files.empty());
}

TEST(ScenarioDecoderTest, EveryInputDecodesToAValidScenario) {
  Random random(17);
  size_t steps = 0;
  size_t crashes = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes(random.Uniform(400), '\0');
    for (char& c : bytes) c = static_cast<char>(random.Uniform(256));
    const dst::Scenario scenario = DecodeScenario(bytes);  // asserts validity itself
    EXPECT_TRUE(dst::ValidateScenario(scenario).ok());
    EXPECT_LE(scenario.steps.size(), kMaxFuzzScenarioSteps);
    steps += scenario.steps.size();
    for (const dst::Step& step : scenario.steps) crashes += step.kind == dst::Step::Kind::kCrash;
    // The text form parses back to the same text: a finding converts to a file.
    const std::string text = dst::ScenarioToText(scenario);
    absl::StatusOr<dst::Scenario> parsed = dst::ParseScenario(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    EXPECT_EQ(dst::ScenarioToText(*parsed), text);
  }
  EXPECT_GT(steps, 300u * 10) << "random inputs should decode to real scenarios";
  EXPECT_GT(crashes, 50u);
}

TEST(ScenarioDecoderTest, SameBytesSameScenario) {
  const std::string bytes = "\x01\x02\x03 some fuzz bytes \xff\xfe";
  EXPECT_EQ(dst::ScenarioToText(DecodeScenario(bytes)), dst::ScenarioToText(DecodeScenario(bytes)));
}

}  // namespace
}  // namespace kiln::fuzz
