// Target `write_batch`: the WAL payload of a committed batch
// (engine/docs/write_batch_format.md). Input: the payload's bytes.
// Contract: DecodeBatchPayload returns the header or Corruption; a handler
// error stops decoding and is returned as is; and whatever decodes is a
// batch WriteBatch can build, whose encoding decodes to the same entries.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "db/write_batch_codec.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "kiln/db.h"
#include "kiln/write_batch.h"

namespace kiln::fuzz {
namespace {

struct Entry {
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
  uint32_t bucket_id = 0;
  std::string key;
  std::string value;

  friend bool operator==(const Entry&, const Entry&) = default;
};

class Collector final : public BatchHandler {
 public:
  // fail_at: the index of the entry whose Apply fails (none if nullopt).
  explicit Collector(std::optional<size_t> fail_at = std::nullopt) : fail_at_(fail_at) {}

  absl::Status Apply(SequenceNumber sequence, ValueType type, uint32_t bucket_id,
                     std::string_view key, std::string_view value) override {
    if (fail_at_ == entries.size()) return absl::AbortedError("handler stops here");
    entries.push_back({sequence, type, bucket_id, std::string(key), std::string(value)});
    return absl::OkStatus();
  }

  std::vector<Entry> entries;

 private:
  std::optional<size_t> fail_at_;
};

// Only id() matters to WriteBatch: it names the entry's bucket.
class IdOnlyBucket final : public Bucket {
 public:
  explicit IdOnlyBucket(uint32_t id) : id_(id) {}
  std::string_view name() const override { return "fuzz"; }
  uint32_t id() const override { return id_; }
  absl::StatusOr<CommitInfo> Put(std::string_view, std::string_view,
                                 const WriteOptions&) override {
    return absl::UnimplementedError("fuzz");
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view, const ReadOptions&) override {
    return absl::UnimplementedError("fuzz");
  }
  absl::StatusOr<CommitInfo> Delete(std::string_view, const WriteOptions&) override {
    return absl::UnimplementedError("fuzz");
  }
  absl::StatusOr<CommitInfo> DeleteRange(std::string_view, std::string_view,
                                         const WriteOptions&) override {
    return absl::UnimplementedError("fuzz");
  }
  std::unique_ptr<Iterator> NewIterator(const ReadOptions&) override { return nullptr; }

 private:
  uint32_t id_;
};

// The batch WriteBatch builds from entries; aborts if it refuses one the
// decoder accepted (the decoder must never be laxer than the writer).
WriteBatch Rebuild(const std::vector<Entry>& entries) {
  WriteBatch batch;
  for (const Entry& entry : entries) {
    const IdOnlyBucket bucket(entry.bucket_id);
    const Bucket* target = entry.bucket_id == 0 ? nullptr : &bucket;
    absl::Status status;
    switch (entry.type) {
      case ValueType::kValue:
        status = batch.Put(entry.key, entry.value, target);
        break;
      case ValueType::kDeletion:
        status = batch.Delete(entry.key, target);
        break;
      case ValueType::kRangeDeletion:
        status = batch.DeleteRange(entry.key, entry.value, target);
        break;
      default:
        FuzzFail("decoder passed on an entry of type " +
                 std::to_string(static_cast<int>(entry.type)));
    }
    if (!status.ok()) {
      FuzzFail("the decoder accepted an entry WriteBatch refuses: " + status.ToString());
    }
  }
  return batch;
}

void Run(std::string_view payload) {
  Collector collector;
  const absl::StatusOr<DecodedBatchHeader> header = DecodeBatchPayload(payload, collector);
  CheckParseStatus(header.status(), "DecodeBatchPayload");
  if (!header.ok()) return;
  KILN_FUZZ_CHECK(collector.entries.size() == header->count, "count differs from entries");
  for (size_t i = 0; i < collector.entries.size(); ++i) {
    KILN_FUZZ_CHECK(collector.entries[i].sequence == header->sequence + i, "entry sequence");
    KILN_FUZZ_CHECK(collector.entries[i].sequence <= kMaxSequenceNumber, "sequence range");
  }

  // Round trip: WriteBatch's encoding decodes to the same entries, and is
  // canonical (encoding it again gives the same bytes).
  const WriteBatch rebuilt = Rebuild(collector.entries);
  const std::string encoded = EncodeBatchPayload(rebuilt, header->sequence);
  Collector again;
  const absl::StatusOr<DecodedBatchHeader> header_again = DecodeBatchPayload(encoded, again);
  KILN_FUZZ_CHECK(header_again.ok(), header_again.status().ToString());
  KILN_FUZZ_CHECK(again.entries == collector.entries, "round trip changed the entries");
  KILN_FUZZ_CHECK(EncodeBatchPayload(Rebuild(again.entries), header->sequence) == encoded,
                  "encoding is not canonical");

  // A handler error stops decoding at that entry and comes back unchanged.
  if (header->count > 0) {
    const size_t fail_at = header->count / 2;
    Collector stopping(fail_at);
    const absl::StatusOr<DecodedBatchHeader> stopped = DecodeBatchPayload(payload, stopping);
    KILN_FUZZ_CHECK(absl::IsAborted(stopped.status()), stopped.status().ToString());
    KILN_FUZZ_CHECK(stopping.entries.size() == fail_at, "entries after the handler's error");
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
