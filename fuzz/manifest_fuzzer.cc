// Target `manifest`: a whole MANIFEST file (a WAL-framed log of version
// edits, engine/docs/manifest_format.md) recovered by VersionSet::Recover
// from an in-memory directory where CURRENT names it.
//
// Input: flags byte, then the manifest's bytes.
//   bit 0  seal the log checksums first (fuzz/seal_checksums.h)
//   bit 1  create every table file the edits name, at its recorded size, so
//          recovery can get past the table check
//
// Contract: Recover succeeds or says Corruption. A recovered state takes a
// new edit (which rolls to a new manifest), and recovering that manifest
// gives the same state: what Recover accepts, the VersionSet can write back.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/file_names.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "faultfs/mem_file_system.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/seal_checksums.h"
#include "fuzz/string_file.h"
#include "kiln/env.h"
#include "kiln/options.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace kiln::fuzz {
namespace {

constexpr char kDir[] = "/db";
constexpr uint64_t kManifestNumber = 1;
// Table files made for one input, in total; more is skipped (recovery then
// reports the missing files, which is fine).
constexpr uint64_t kMaxTableBytes = uint64_t{1} << 20;

void Write(FileSystem& fs, const std::string& path, std::string_view bytes) {
  absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile(path, OpenMode::kTruncate);
  KILN_FUZZ_CHECK(file.ok(), file.status().ToString());
  KILN_FUZZ_CHECK((*file)->Append(bytes).ok(), "append");
  KILN_FUZZ_CHECK((*file)->Close().ok(), "close");
}

// Zero-filled table files of the sizes the manifest's edits record.
void CreateTables(FileSystem& fs, std::string_view manifest) {
  StringFile file(manifest);
  LogReader reader(file, "manifest", kManifestNumber, {.tail_is_tolerated = true});
  uint64_t total_bytes = 0;
  for (size_t records = 0; records <= manifest.size() / kWalRecordHeaderBytes; ++records) {
    absl::StatusOr<std::optional<std::string>> payload = reader.ReadRecord();
    if (!payload.ok() || !payload->has_value()) return;
    absl::StatusOr<VersionEdit> edit = VersionEdit::DecodeFrom(**payload, "manifest", 0);
    if (!edit.ok()) return;
    for (const NewFile& table : edit->new_files) {
      if (table.meta.size_bytes > kMaxTableBytes - total_bytes) return;
      total_bytes += table.meta.size_bytes;
      Write(fs, TableFileName(kDir, table.meta.number),
            std::string(static_cast<size_t>(table.meta.size_bytes), '\0'));
    }
  }
}

void Run(std::string_view input) {
  if (input.empty()) return;
  const uint8_t flags = static_cast<uint8_t>(input[0]);
  std::string manifest(input.substr(1));
  if (flags & 1) SealLogChecksums(manifest);

  faultfs::MemFileSystem fs;
  KILN_FUZZ_CHECK(fs.CreateDir(kDir).ok(), "mkdir");
  Write(fs, ManifestFileName(kDir, kManifestNumber), manifest);
  Write(fs, CurrentFileName(kDir), "MANIFEST-000001\n");
  if (flags & 2) CreateTables(fs, manifest);

  // VersionSet touches only the filesystem; nothing here may yield.
  const Env env{.file_system = &fs};
  const Options options;
  VersionSet versions(env, kDir, options);
  const absl::Status recovered = versions.Recover();
  CheckParseStatus(recovered, "VersionSet::Recover");
  if (!recovered.ok()) return;
  static_cast<void>(versions.LiveFileNumbers());

  const absl::Status logged = versions.LogAndApply(VersionEdit{});
  KILN_FUZZ_CHECK(logged.ok(), "a recovered state does not take an edit: " + logged.ToString());
  VersionSet again(env, kDir, options);
  const absl::Status reread = again.Recover();
  KILN_FUZZ_CHECK(reread.ok(), "the rolled manifest does not recover: " + reread.ToString());
  KILN_FUZZ_CHECK(again.DebugString() == versions.DebugString(),
                  "the rolled manifest recovers another state:\n" + again.DebugString() +
                      "\nexpected:\n" + versions.DebugString());
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
