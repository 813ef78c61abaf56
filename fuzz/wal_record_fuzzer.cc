// Target `wal_record`: a WAL file (engine/docs/wal_format.md) read by
// LogReader, each payload decoded as a write batch as recovery does.
//
// Input: one flags byte, then the file's bytes.
//   bit 0  seal the checksums first (fuzz/seal_checksums.h)
//   bit 1  tail_is_tolerated (the newest log)
//   bit 2  buggify: the reader reads in 29-byte chunks
//   bits 4-7  the expected log number (15: take it from the file header)
//
// Contract: every ReadRecord returns a payload, the end, or Corruption;
// errors and the end are sticky; a torn tail accounts for every byte after
// the valid end; a strict reader (tail not tolerated) never reports a torn
// tail and, where it succeeds, reads exactly what a tolerant one reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/write_batch_codec.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/scoped_buggify.h"
#include "fuzz/seal_checksums.h"
#include "fuzz/string_file.h"
#include "util/coding.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace kiln::fuzz {
namespace {

class IgnoreEntries final : public BatchHandler {
 public:
  absl::Status Apply(SequenceNumber, ValueType, uint32_t, std::string_view,
                     std::string_view) override {
    return absl::OkStatus();
  }
};

struct ReadOutcome {
  std::vector<std::string> records;
  absl::Status status;  // why reading stopped; OK at the end of the log
  bool torn_tail = false;
};

ReadOutcome ReadAll(std::string_view log, uint64_t log_number, bool tolerate_tail) {
  StringFile file(log);
  LogReader reader(file, "/db/000007.log", log_number,
                   LogReaderOptions{.tail_is_tolerated = tolerate_tail});
  ReadOutcome outcome;
  // A record takes at least its header, so more reads than this is a loop.
  const size_t max_reads = log.size() / kWalRecordHeaderBytes + 2;
  for (size_t reads = 0;; ++reads) {
    KILN_FUZZ_CHECK(reads <= max_reads, "the reader does not reach the end");
    absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
    CheckParseStatus(record.status(), "LogReader::ReadRecord");
    if (!record.ok()) {
      outcome.status = record.status();
      const auto again = reader.ReadRecord();
      KILN_FUZZ_CHECK(again.status() == outcome.status, "an error is not sticky");
      break;
    }
    if (!record->has_value()) {
      const auto again = reader.ReadRecord();
      KILN_FUZZ_CHECK(again.ok() && !again->has_value(), "the end is not sticky");
      break;
    }
    KILN_FUZZ_CHECK((*record)->size() <= kMaxWalRecordBytes, "record over the bound");
    IgnoreEntries ignore;
    CheckParseStatus(DecodeBatchPayload(**record, ignore).status(), "DecodeBatchPayload");
    outcome.records.push_back(**std::move(record));
  }
  KILN_FUZZ_CHECK(reader.records_read() == outcome.records.size(), "records_read");
  KILN_FUZZ_CHECK(reader.valid_end_offset() <= log.size(), "valid end past the file");
  outcome.torn_tail = reader.saw_torn_tail();
  if (outcome.torn_tail) {
    KILN_FUZZ_CHECK(outcome.status.ok(), "torn tail and an error");
    KILN_FUZZ_CHECK(reader.valid_end_offset() + reader.dropped_bytes() == log.size(),
                    "a torn tail must account for every byte after the valid end");
  } else if (outcome.status.ok()) {
    KILN_FUZZ_CHECK(reader.valid_end_offset() == log.size(), "clean end before the file's end");
  }
  return outcome;
}

void Run(std::string_view input) {
  if (input.empty()) return;
  const uint8_t flags = static_cast<uint8_t>(input[0]);
  std::string log(input.substr(1));
  if (flags & 1) SealLogChecksums(log);
  const bool tolerate_tail = (flags & 2) != 0;
  const ScopedBuggify buggify((flags & 4) != 0);
  uint64_t log_number = flags >> 4;
  if (log_number == 15 && log.size() >= kWalFileHeaderBytes) {
    log_number = DecodeFixed64(log.data() + 16);
  }

  const ReadOutcome outcome = ReadAll(log, log_number, tolerate_tail);
  if (tolerate_tail) return;
  KILN_FUZZ_CHECK(!outcome.torn_tail, "a strict reader reported a torn tail");
  const ReadOutcome tolerant = ReadAll(log, log_number, /*tolerate_tail=*/true);
  if (outcome.status.ok()) {
    KILN_FUZZ_CHECK(tolerant.status.ok() && tolerant.records == outcome.records,
                    "a tolerant reader disagrees where the strict one succeeded");
  } else {
    const size_t common = std::min(tolerant.records.size(), outcome.records.size());
    KILN_FUZZ_CHECK(std::equal(outcome.records.begin(), outcome.records.begin() + common,
                               tolerant.records.begin()),
                    "strict and tolerant readers return different records");
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
