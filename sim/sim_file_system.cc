#include "sim/sim_file_system.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "kiln/status.h"
#include "xxhash.h"

namespace kiln::sim {

absl::Status CrashedDiskError() {
  return IOError("simulated crash: the disk is gone while the process winds down");
}

namespace {

uint64_t HashBytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string StatusWord(const absl::Status& status) {
  return status.ok() ? std::string("ok") : absl::StatusCodeToString(status.code());
}

}  // namespace

class SimFile final : public File {
 public:
  SimFile(SimFileSystem& fs, std::unique_ptr<File> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    if (!fs_.Enter()) return Fail("read");
    absl::StatusOr<size_t> result = base_->Read(offset, out);
    char detail[96];
    std::snprintf(detail, sizeof(detail), "@%" PRIu64 " want=%zu got=%zu h=%016" PRIx64, offset,
                  out.size(), result.ok() ? *result : 0,
                  result.ok() ? HashBytes(std::string_view(out.data(), *result)) : 0);
    fs_.Record("read", path_, detail, result.status());
    return result;
  }
  // The simulated disk has no real maps: an image is read through this
  // file, so every read is traced and the fault model applies to it.
  absl::StatusOr<std::shared_ptr<const MappedFile>> Map(uint64_t size_bytes) override {
    return ReadFileImage(*this, size_bytes);
  }
  absl::Status Write(uint64_t offset, std::string_view data) override {
    if (!fs_.Enter()) return Fail("write");
    absl::Status result = base_->Write(offset, data);
    RecordData("write", offset, data, result);
    return result;
  }
  absl::Status Append(std::string_view data) override {
    if (!fs_.Enter()) return Fail("append");
    absl::Status result = base_->Append(data);
    RecordData("append", 0, data, result);
    return result;
  }
  absl::Status Truncate(uint64_t size_bytes) override {
    if (!fs_.Enter()) return Fail("truncate");
    absl::Status result = base_->Truncate(size_bytes);
    fs_.Record("truncate", path_, std::to_string(size_bytes), result);
    return result;
  }
  absl::Status Sync() override {
    if (!fs_.Enter()) return Fail("sync");
    absl::Status result = base_->Sync();
    fs_.Record("sync", path_, "", result);
    return result;
  }
  absl::Status SyncData() override {
    if (!fs_.Enter()) return Fail("sync_data");
    absl::Status result = base_->SyncData();
    fs_.Record("sync_data", path_, "", result);
    return result;
  }
  absl::StatusOr<uint64_t> Size() override {
    if (!fs_.Enter()) return Fail("size");
    absl::StatusOr<uint64_t> result = base_->Size();
    fs_.Record("size", path_, result.ok() ? std::to_string(*result) : "", result.status());
    return result;
  }
  absl::Status Close() override {
    // Closing releases memory, never data: allowed while crashing, not traced
    // then (wind-down order is not part of the disk's history).
    if (fs_.runtime_.crashing()) return base_->Close();
    fs_.Enter();
    absl::Status result = base_->Close();
    fs_.Record("close", path_, "", result);
    return result;
  }
  absl::Status DropUnsyncedData() override { return base_->DropUnsyncedData(); }
  absl::Status MapAppends(uint64_t reserve_bytes) override {
    if (!fs_.Enter()) return Fail("map_appends");
    absl::Status result = base_->MapAppends(reserve_bytes);
    fs_.Record("map_appends", path_, std::to_string(reserve_bytes), result);
    return result;
  }

 private:
  absl::Status Fail(std::string_view op) {
    fs_.Record(op, path_, "crashed", CrashedDiskError());
    return CrashedDiskError();
  }
  void RecordData(std::string_view op, uint64_t offset, std::string_view data,
                  const absl::Status& result) {
    char detail[96];
    std::snprintf(detail, sizeof(detail), "@%" PRIu64 " len=%zu h=%016" PRIx64, offset,
                  data.size(), HashBytes(data));
    fs_.Record(op, path_, detail, result);
  }

  SimFileSystem& fs_;
  std::unique_ptr<File> base_;
  std::string path_;
};

bool SimFileSystem::Enter() {
  if (runtime_.InFiber() && !runtime_.crashing()) runtime_.Yield();
  return !runtime_.crashing();
}

void SimFileSystem::Record(std::string_view op, std::string_view path, std::string_view detail,
                           const absl::Status& result) {
  std::string text;
  text.reserve(path.size() + detail.size() + 24);
  text.append(path).append(" ").append(detail).append(" -> ").append(StatusWord(result));
  runtime_.RecordIo(op, text);
}

absl::StatusOr<std::unique_ptr<File>> SimFileSystem::OpenFile(std::string_view path,
                                                              OpenMode mode) {
  const std::string detail = "mode=" + std::to_string(static_cast<int>(mode));
  if (!Enter()) {
    Record("open", path, detail, CrashedDiskError());
    return CrashedDiskError();
  }
  absl::StatusOr<std::unique_ptr<File>> base = base_.OpenFile(path, mode);
  Record("open", path, detail, base.status());
  if (!base.ok()) return base.status();
  return std::unique_ptr<File>(
      std::make_unique<SimFile>(*this, std::move(*base), std::string(path)));
}

#define KILN_SIM_FS_CALL(op, path, detail, call) \
  do {                                           \
    if (!Enter()) {                              \
      Record(op, path, detail, CrashedDiskError()); \
      return CrashedDiskError();                 \
    }                                            \
    auto result = (call);                        \
    Record(op, path, detail, result);            \
    return result;                               \
  } while (0)

absl::Status SimFileSystem::CreateDir(std::string_view path) {
  KILN_SIM_FS_CALL("create_dir", path, "", base_.CreateDir(path));
}
absl::Status SimFileSystem::RemoveDir(std::string_view path) {
  KILN_SIM_FS_CALL("remove_dir", path, "", base_.RemoveDir(path));
}
absl::Status SimFileSystem::RemoveFile(std::string_view path) {
  KILN_SIM_FS_CALL("remove_file", path, "", base_.RemoveFile(path));
}
absl::Status SimFileSystem::Rename(std::string_view source, std::string_view target) {
  KILN_SIM_FS_CALL("rename", source, std::string("to ").append(target), base_.Rename(source, target));
}
absl::Status SimFileSystem::SyncDir(std::string_view path) {
  KILN_SIM_FS_CALL("sync_dir", path, "", base_.SyncDir(path));
}

#undef KILN_SIM_FS_CALL

absl::StatusOr<std::vector<std::string>> SimFileSystem::ListDir(std::string_view path) {
  if (!Enter()) {
    Record("list_dir", path, "", CrashedDiskError());
    return CrashedDiskError();
  }
  absl::StatusOr<std::vector<std::string>> result = base_.ListDir(path);
  uint64_t names_hash = 0;
  if (result.ok()) {
    for (const std::string& name : *result) names_hash = MixSeed(names_hash, HashBytes(name));
  }
  char detail[48];
  std::snprintf(detail, sizeof(detail), "n=%zu h=%016" PRIx64, result.ok() ? result->size() : 0,
                names_hash);
  Record("list_dir", path, detail, result.status());
  return result;
}

absl::StatusOr<uint64_t> SimFileSystem::FileSize(std::string_view path) {
  if (!Enter()) {
    Record("file_size", path, "", CrashedDiskError());
    return CrashedDiskError();
  }
  absl::StatusOr<uint64_t> result = base_.FileSize(path);
  Record("file_size", path, result.ok() ? std::to_string(*result) : "", result.status());
  return result;
}

absl::StatusOr<bool> SimFileSystem::Exists(std::string_view path) {
  if (!Enter()) {
    Record("exists", path, "", CrashedDiskError());
    return CrashedDiskError();
  }
  absl::StatusOr<bool> result = base_.Exists(path);
  Record("exists", path, result.ok() && *result ? "yes" : "no", result.status());
  return result;
}

absl::StatusOr<std::unique_ptr<FileLock>> SimFileSystem::LockFile(std::string_view path) {
  if (!Enter()) {
    Record("lock", path, "", CrashedDiskError());
    return CrashedDiskError();
  }
  absl::StatusOr<std::unique_ptr<FileLock>> result = base_.LockFile(path);
  Record("lock", path, "", result.status());
  return result;
}

}  // namespace kiln::sim
