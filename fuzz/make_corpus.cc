// Writes the seed corpora of every fuzz target from real engine output: the
// engine runs in the simulator on its in-memory disk, and the files it
// leaves (WALs, tables, manifests, CURRENT, whole directories) become seeds,
// each prefixed with the flags its target reads (see each *_fuzzer.cc).
//
//   ./bazelw run //fuzz:make_corpus -- $PWD/fuzz/corpus
//
// Deterministic: the same engine writes the same bytes, so regenerating
// after an unrelated change leaves the committed corpus unchanged. Writes
// OUT/TARGET/NAME files; never deletes (seeds added by hand stay).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "db/file_names.h"
#include "fuzz/db_image.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/string_file.h"
#include "kiln/db.h"
#include "kiln/random.h"
#include "sim/simulator.h"
#include "table/block_builder.h"
#include "table/bloom_filter.h"
#include "table/compression.h"
#include "util/assert.h"
#include "wal/log_reader.h"

namespace kiln::fuzz {
namespace {

constexpr char kDir[] = "/db";
constexpr size_t kMaxEditBytes = 65'535;  // version_edit's length prefix
constexpr int kOperationSeeds = 8;
constexpr size_t kOperationSeedBytes = 160;
constexpr size_t kBatchSeedsPerEnd = 2;

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void Add(const std::string& target, const std::string& name, std::string_view bytes) {
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    KILN_ASSERT_MSG(static_cast<bool>(out), (dir / name).c_str());
    ++written_;
  }
  int written() const { return written_; }

 private:
  std::filesystem::path root_;
  int written_ = 0;
};

std::string WithFlags(uint8_t flags, std::string_view bytes) {
  std::string out(1, static_cast<char>(flags));
  out.append(bytes);
  return out;
}

void Check(const absl::Status& status, const char* what) {
  KILN_ASSERT_MSG(status.ok(), (std::string(what) + ": " + status.ToString()).c_str());
}

// Every file in the database directory, as an image.
DbImage Snapshot(faultfs::MemFileSystem& disk) {
  DbImage image;
  absl::StatusOr<std::vector<std::string>> names = disk.ListDir(kDir);
  Check(names.status(), "list");
  for (const std::string& name : *names) {
    const FileKind kind = ClassifyFileName(name);
    if (kind == FileKind::kOther) continue;
    ImageFile file{.kind = kind};
    if (kind != FileKind::kCurrent && kind != FileKind::kLock) {
      const size_t digits = name.find_first_of("0123456789");
      KILN_ASSERT(digits != std::string::npos);
      file.number = std::stoull(name.substr(digits));
    }
    absl::StatusOr<std::unique_ptr<File>> handle =
        disk.OpenFile(std::string(kDir) + "/" + name, OpenMode::kRead);
    Check(handle.status(), "open");
    absl::StatusOr<uint64_t> size = (*handle)->Size();
    Check(size.status(), "size");
    file.bytes.resize(static_cast<size_t>(*size));
    absl::StatusOr<size_t> read = (*handle)->Read(0, file.bytes);
    Check(read.status(), "read");
    KILN_ASSERT(*read == file.bytes.size());
    image.files.push_back(std::move(file));
  }
  return image;
}

// Two states of one database: after the first writes (a WAL, no tables),
// then after a reopen, more writes in two buckets, a flush and a compaction.
std::vector<DbImage> MakeImages() {
  std::vector<DbImage> images;
  sim::Simulator sim(sim::SimulatorOptions{.seed = 7, .buggify = false});
  Options options{.env = &sim.env(),
                  .create_if_missing = true,
                  .memtable_budget_bytes = size_t{64} << 10,
                  .target_file_size_bytes = size_t{16} << 10,
                  .background_tasks = 0};
  options.default_bucket.block_size_bytes = 256;
  options.default_bucket.prefix_length = 2;
  sim.RunInFiber("first", [&] {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, kDir);
    Check(db.status(), "open");
    for (int i = 0; i < 24; ++i) {
      const std::string key = "k" + std::to_string(100 + i);
      Check((*db)->Put(key, "value-" + std::to_string(i * i)).status(), "put");
    }
    Check((*db)->Delete("k105").status(), "delete");
    Check((*db)->DeleteRange("k110", "k113").status(), "delete range");
    WriteBatch batch;
    Check(batch.Put("b1", "batched"), "batch put");
    Check(batch.Delete("k101"), "batch delete");
    Check((*db)->Write(batch).status(), "write");
    Check((*db)->Close(), "close");
    db->reset();
  });
  images.push_back(Snapshot(sim.disk()));
  sim.RunInFiber("second", [&] {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, kDir);
    Check(db.status(), "reopen");
    absl::StatusOr<Bucket*> named = (*db)->GetOrCreateBucket(
        "named", BucketOptions{.block_size_bytes = 512, .compression = Compression::kNone});
    Check(named.status(), "bucket");
    for (int i = 0; i < 40; ++i) {
      const std::string key = "n" + std::to_string(200 + i);
      Check((*named)->Put(key, std::string(20 + i, static_cast<char>('a' + i % 26))).status(),
            "named put");
    }
    Check((*named)->DeleteRange("n210", "n215").status(), "named delete range");
    Check((*db)->Flush(), "flush");
    for (int i = 0; i < 16; ++i) {
      Check((*db)->Put("k1" + std::to_string(i), "again").status(), "put");
    }
    Check((*db)->Flush(), "flush");
    Check((*db)->CompactRange(std::nullopt, std::nullopt), "compact");
    Check((*db)->Put("tail", "in the wal").status(), "tail put");
    Check((*db)->Close(), "close");
    db->reset();
  });
  images.push_back(Snapshot(sim.disk()));
  return images;
}

std::vector<std::string> LogPayloads(const ImageFile& file) {
  StringFile source(file.bytes);
  LogReader reader(source, "seed", file.number, {.tail_is_tolerated = true});
  std::vector<std::string> payloads;
  for (size_t i = 0; i < file.bytes.size(); ++i) {
    absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
    Check(record.status(), "seed log");
    if (!record->has_value()) break;
    payloads.push_back(**record);
  }
  return payloads;
}

void AddFileSeeds(const std::vector<DbImage>& images, CorpusWriter& out) {
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string stage = "image" + std::to_string(i);
    for (const ImageFile& file : images[i].files) {
      const std::string name = stage + "-" + DbImage::FileName(file);
      switch (file.kind) {
        case FileKind::kWal: {
          if (file.bytes.empty()) break;
          out.Add("wal_record", name + "-tolerant", WithFlags(0xF2, file.bytes));
          out.Add("wal_record", name + "-strict-buggify", WithFlags(0xF4, file.bytes));
          // A few batches of each log: the first ones and the last ones
          // (multi-entry batches and range deletions come last).
          const std::vector<std::string> payloads = LogPayloads(file);
          for (size_t p = 0; p < payloads.size(); ++p) {
            if (p < kBatchSeedsPerEnd || p + kBatchSeedsPerEnd >= payloads.size()) {
              out.Add("write_batch", name + "-record" + std::to_string(p), payloads[p]);
            }
          }
          break;
        }
        case FileKind::kTable:
          out.Add("table", name + "-verify", WithFlags(0x0A, file.bytes));
          out.Add("table", name + "-cache-sealed", WithFlags(0x05, file.bytes));
          break;
        case FileKind::kManifest: {
          out.Add("manifest", name + "-with-tables", WithFlags(0x02, file.bytes));
          out.Add("manifest", name + "-sealed", WithFlags(0x01, file.bytes));
          FuzzInputWriter edits;
          for (const std::string& payload : LogPayloads(file)) {
            if (payload.size() <= kMaxEditBytes) edits.PutLengthPrefixed(payload, kMaxEditBytes);
          }
          out.Add("version_edit", name + "-edits", edits.bytes());
          break;
        }
        case FileKind::kCurrent:
          out.Add("current", name, file.bytes);
          break;
        default:
          break;
      }
    }
    DbImage image = images[i];
    out.Add("open_image", stage + "-plain", EncodeDbImage(image));
    image.background_tasks = 1;
    image.write_after_reads = true;
    out.Add("open_image", stage + "-write", EncodeDbImage(image));
    image.background_tasks = 0;
    image.read_only = true;
    image.seal_checksums = true;
    out.Add("open_image", stage + "-read-only-sealed", EncodeDbImage(image));
  }
  out.Add("current", "large-number", "MANIFEST-1234567890\n");
}

void AddBlockAndFilterSeeds(CorpusWriter& out) {
  BlockBuilder data({.restart_interval = 4, .order = BlockKeyOrder::kInternal});
  BlockBuilder names({.restart_interval = 1, .order = BlockKeyOrder::kBytewise});
  BloomFilterBuilder filter({.bits_per_key = 10, .prefix_length_bytes = 2});
  FuzzInputWriter build;
  build.PutByte(1);                         // build mode
  build.PutRange(10, 1, kMaxBloomBitsPerKey);
  build.PutRange(2, 0, 8);
  for (int i = 0; i < 30; ++i) {
    const std::string user_key = "key" + std::to_string(1000 + i * 7);
    data.Add(MakeInternalKey(user_key, 100 - i, i % 5 == 0 ? ValueType::kDeletion : ValueType::kValue),
             i % 5 == 0 ? "" : "value" + std::to_string(i));
    names.Add("name." + std::to_string(100 + i), "v" + std::to_string(i));
    filter.AddKey(user_key);
    build.PutLengthPrefixed(user_key, 64);
  }
  const std::string data_block(data.Finish());
  const std::string names_block(names.Finish());
  FuzzInputWriter seek;
  seek.PutLengthPrefixed("key1010", 64);
  out.Add("block", "data-internal", WithFlags(0x01, seek.bytes() + data_block));
  out.Add("block", "names-bytewise", WithFlags(0x00, seek.bytes() + names_block));
  const CompressedBlock lz4 = CompressBlock(data_block, CompressionType::kLz4);
  KILN_ASSERT(lz4.type == CompressionType::kLz4);
  out.Add("block", "data-lz4-stored", WithFlags(0x07, seek.bytes() + lz4.stored));
  out.Add("block", "data-stored", WithFlags(0x03, seek.bytes() + data_block));

  FuzzInputWriter parse;
  parse.PutByte(0);  // parse mode
  parse.PutRange(3, 0, 16);
  for (const char* query : {"key1007", "ke", "missing"}) parse.PutLengthPrefixed(query, 64);
  parse.PutRaw(filter.Finish());
  out.Add("filter", "parse-prefix2", parse.bytes());
  out.Add("filter", "build-10bits-prefix2", build.bytes());
}

void AddOperationSeeds(CorpusWriter& out) {
  Random random(MixSeed(2024, StableHash64("fuzz-operations-corpus")));
  for (int i = 0; i < kOperationSeeds; ++i) {
    std::string bytes(kOperationSeedBytes, '\0');
    for (char& c : bytes) c = static_cast<char>(random.Uniform(256));
    out.Add("operations", "random-" + std::to_string(i), bytes);
  }
}

}  // namespace
}  // namespace kiln::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (e.g. $PWD/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  kiln::fuzz::CorpusWriter out{std::filesystem::path(argv[1])};
  kiln::fuzz::AddFileSeeds(kiln::fuzz::MakeImages(), out);
  kiln::fuzz::AddBlockAndFilterSeeds(out);
  kiln::fuzz::AddOperationSeeds(out);
  std::printf("make_corpus: wrote %d seeds under %s\n", out.written(), argv[1]);
  return 0;
}
