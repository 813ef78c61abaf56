// Target `open_image`: a whole database directory (fuzz/db_image.h) placed on
// the simulator's in-memory disk, then Db::Open in the simulator.
//
// Contract: Open succeeds or fails with Corruption or IOError (NotFound when
// the image has no CURRENT and may not create one). An open database holds
// its invariants, serves gets and scans both ways (data, Corruption or
// IOError), takes a write, flush and compaction if asked, reads its own
// write back, and closes. Nothing crashes, hangs or leaks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/db_image.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/seal_checksums.h"
#include "kiln/db.h"
#include "kiln/status.h"
#include "sim/simulator.h"

namespace kiln::fuzz {
namespace {

constexpr char kDir[] = "/db";
// Far more scheduling steps than opening and reading any image needs.
constexpr uint64_t kMaxSteps = 20'000'000;
constexpr size_t kMaxScanEntries = 4096;
constexpr size_t kMaxGets = 64;

// What a database over a damaged directory may say.
void CheckDbStatus(const absl::Status& status, std::string_view context) {
  CheckStatusIn(status, {absl::StatusCode::kDataLoss, absl::StatusCode::kInternal}, context);
}

void PlaceImage(const DbImage& image, faultfs::MemFileSystem& disk) {
  KILN_FUZZ_CHECK(disk.CreateDir(kDir).ok(), "mkdir");
  for (const ImageFile& file : image.files) {
    std::string bytes = file.bytes;
    if (image.seal_checksums && (file.kind == FileKind::kWal || file.kind == FileKind::kManifest)) {
      SealLogChecksums(bytes);
    }
    if (image.seal_checksums && file.kind == FileKind::kTable) SealTableChecksums(bytes);
    const std::string path = std::string(kDir) + "/" + DbImage::FileName(file);
    absl::StatusOr<std::unique_ptr<File>> handle = disk.OpenFile(path, OpenMode::kTruncate);
    KILN_FUZZ_CHECK(handle.ok(), handle.status().ToString());
    KILN_FUZZ_CHECK((*handle)->Append(bytes).ok(), "append");
    KILN_FUZZ_CHECK((*handle)->Sync().ok(), "sync");
    KILN_FUZZ_CHECK((*handle)->Close().ok(), "close");
  }
  KILN_FUZZ_CHECK(disk.SyncDir(kDir).ok(), "syncdir");
}

// Scans forward then backward, then gets some of the keys seen.
void Read(Db& db) {
  std::vector<std::string> keys;
  {
    std::unique_ptr<Iterator> it = db.NewIterator();
    KILN_FUZZ_CHECK(it != nullptr, "no iterator");
    size_t entries = 0;
    for (it->SeekToFirst(); it->Valid() && entries < kMaxScanEntries; it->Next(), ++entries) {
      if (keys.size() < kMaxGets) keys.emplace_back(it->key());
      static_cast<void>(it->value());
    }
    CheckDbStatus(it->status(), "forward scan");
    entries = 0;
    for (it->SeekToLast(); it->Valid() && entries < kMaxScanEntries; it->Prev(), ++entries) {
      static_cast<void>(it->value());
    }
    CheckDbStatus(it->status(), "backward scan");
  }
  for (const std::string& key : keys) CheckDbStatus(db.Get(key).status(), "Get");
  CheckDbStatus(db.Get("no-such-key").status(), "Get(missing)");
}

// A write must read back exactly, whatever else the image holds.
void WriteFlushCompact(Db& db) {
  constexpr std::string_view kKey = "fuzz-written-key";
  constexpr std::string_view kValue = "fuzz-written-value";
  const absl::StatusOr<CommitInfo> put = db.Put(kKey, kValue);
  CheckDbStatus(put.status(), "Put");
  CheckDbStatus(db.Flush(), "Flush");
  CheckDbStatus(db.CompactRange(std::nullopt, std::nullopt), "CompactRange");
  const absl::StatusOr<std::optional<std::string>> got = db.Get(kKey);
  CheckDbStatus(got.status(), "Get(written)");
  if (put.ok() && got.ok()) {
    KILN_FUZZ_CHECK(got->has_value() && **got == kValue, "a written key reads back wrong");
  }
}

void OpenAndUse(const DbImage& image, const Env& env, bool has_current) {
  const Options options{.env = &env,
                        .create_if_missing = image.create_if_missing,
                        .read_only = image.read_only,
                        .memtable_budget_bytes = size_t{64} << 10,
                        .block_cache_bytes = size_t{1} << 20,
                        .max_open_tables = 16,
                        .target_file_size_bytes = size_t{64} << 10,
                        .background_tasks = image.background_tasks};
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, kDir);
  if (absl::IsNotFound(db.status())) {
    KILN_FUZZ_CHECK(!has_current && (!image.create_if_missing || image.read_only),
                    "NotFound although the image can be opened: " + db.status().ToString());
    return;
  }
  CheckDbStatus(db.status(), "Db::Open");
  if (!db.ok()) return;
  const absl::Status invariants = (*db)->CheckInvariants();
  KILN_FUZZ_CHECK(invariants.ok(), "an opened database breaks its invariants: " +
                                       invariants.ToString());
  Read(**db);
  if (image.write_after_reads && !image.read_only) WriteFlushCompact(**db);
  CheckDbStatus((*db)->Close(), "Close");
  db->reset();  // may yield: inside the fiber
}

void Run(std::string_view input) {
  const DbImage image = DecodeDbImage(input);
  bool has_current = false;
  for (const ImageFile& file : image.files) has_current |= file.kind == FileKind::kCurrent;

  sim::Simulator sim(sim::SimulatorOptions{.seed = image.seed});
  PlaceImage(image, sim.disk());
  sim.runtime().SpawnDetached("open_image",
                               [&] { OpenAndUse(image, sim.env(), has_current); });
  const sim::RunResult result = sim.Run({.max_steps = kMaxSteps});
  if (result.reason != sim::RunReason::kQuiescent) {
    FuzzFail("the simulation did not finish: " + std::string(sim::RunReasonName(result.reason)) +
             "\n" + result.report);
  }
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
