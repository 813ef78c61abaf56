#include "props/barrier_file_system.h"

#include <utility>

#include "util/assert.h"

namespace kiln::props {
namespace {

constexpr std::string_view kCurrentBaseName = "CURRENT";

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view BarrierKindName(BarrierKind kind) {
  switch (kind) {
    case BarrierKind::kSync:
      return "sync";
    case BarrierKind::kSyncData:
      return "sync_data";
    case BarrierKind::kSyncDir:
      return "sync_dir";
    case BarrierKind::kRenameCurrent:
      return "rename_current";
  }
  KILN_UNREACHABLE("unknown BarrierKind");
}

std::string BarrierEvent::ToString() const {
  std::string text(BarrierKindName(kind));
  return text.append(" ").append(path);
}

class BarrierFile final : public File {
 public:
  BarrierFile(const BarrierFileSystem& fs, std::unique_ptr<File> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    return base_->Read(offset, out);
  }
  absl::Status Write(uint64_t offset, std::string_view data) override {
    return base_->Write(offset, data);
  }
  absl::Status Append(std::string_view data) override { return base_->Append(data); }
  absl::Status Truncate(uint64_t size_bytes) override { return base_->Truncate(size_bytes); }
  absl::Status Sync() override {
    if (!fs_.Notify(BarrierKind::kSync, path_)) return absl::OkStatus();
    return base_->Sync();
  }
  absl::Status SyncData() override {
    if (!fs_.Notify(BarrierKind::kSyncData, path_)) return absl::OkStatus();
    return base_->SyncData();
  }
  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }
  absl::Status Close() override { return base_->Close(); }
  absl::Status DropUnsyncedData() override { return base_->DropUnsyncedData(); }
  absl::Status MapAppends(uint64_t reserve_bytes) override {
    return base_->MapAppends(reserve_bytes);
  }

 private:
  const BarrierFileSystem& fs_;
  std::unique_ptr<File> base_;
  const std::string path_;
};

BarrierFileSystem::BarrierFileSystem(FileSystem& base, Hook hook)
    : base_(base), hook_(std::move(hook)) {
  KILN_ASSERT(hook_ != nullptr);
}

bool BarrierFileSystem::Notify(BarrierKind kind, std::string_view path) const {
  return hook_(BarrierEvent{.kind = kind, .path = std::string(path)}) == BarrierAction::kPass;
}

absl::StatusOr<std::unique_ptr<File>> BarrierFileSystem::OpenFile(std::string_view path,
                                                                  OpenMode mode) {
  absl::StatusOr<std::unique_ptr<File>> base = base_.OpenFile(path, mode);
  if (!base.ok()) return base.status();
  return std::unique_ptr<File>(
      std::make_unique<BarrierFile>(*this, *std::move(base), std::string(path)));
}

absl::Status BarrierFileSystem::CreateDir(std::string_view path) { return base_.CreateDir(path); }

absl::Status BarrierFileSystem::RemoveDir(std::string_view path) { return base_.RemoveDir(path); }

absl::Status BarrierFileSystem::RemoveFile(std::string_view path) { return base_.RemoveFile(path); }

absl::Status BarrierFileSystem::Rename(std::string_view source, std::string_view target) {
  if (BaseName(target) == kCurrentBaseName) {
    static_cast<void>(Notify(BarrierKind::kRenameCurrent, target));
  }
  return base_.Rename(source, target);
}

absl::Status BarrierFileSystem::SyncDir(std::string_view path) {
  if (!Notify(BarrierKind::kSyncDir, path)) return absl::OkStatus();
  return base_.SyncDir(path);
}

absl::StatusOr<std::vector<std::string>> BarrierFileSystem::ListDir(std::string_view path) {
  return base_.ListDir(path);
}

absl::StatusOr<uint64_t> BarrierFileSystem::FileSize(std::string_view path) {
  return base_.FileSize(path);
}

absl::StatusOr<bool> BarrierFileSystem::Exists(std::string_view path) { return base_.Exists(path); }

absl::StatusOr<std::unique_ptr<FileLock>> BarrierFileSystem::LockFile(std::string_view path) {
  return base_.LockFile(path);
}

}  // namespace kiln::props
