#include "db/file_names.h"

#include <cstdio>

namespace kiln {
namespace {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool HasNumberedSuffix(std::string_view name, std::string_view suffix) {
  if (name.size() <= suffix.size() || !name.ends_with(suffix)) return false;
  return AllDigits(name.substr(0, name.size() - suffix.size()));
}

std::string Numbered(std::string_view dir, std::string_view prefix, uint64_t number,
                     std::string_view suffix) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%06llu", static_cast<unsigned long long>(number));
  std::string path(dir);
  path.append("/").append(prefix).append(digits).append(suffix);
  return path;
}

}  // namespace

FileKind ClassifyFileName(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.ends_with(".tmp")) return FileKind::kTemp;
  if (HasNumberedSuffix(name, ".log")) return FileKind::kWal;
  if (HasNumberedSuffix(name, ".sst")) return FileKind::kTable;
  if (HasNumberedSuffix(name, ".blob")) return FileKind::kBlob;
  if (name.starts_with("MANIFEST-") && AllDigits(name.substr(9))) return FileKind::kManifest;
  if (name == "CURRENT") return FileKind::kCurrent;
  if (name == "LOCK") return FileKind::kLock;
  return FileKind::kOther;
}

std::string_view FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kWal: return "wal";
    case FileKind::kTable: return "table";
    case FileKind::kBlob: return "blob";
    case FileKind::kManifest: return "manifest";
    case FileKind::kCurrent: return "current";
    case FileKind::kLock: return "lock";
    case FileKind::kTemp: return "temp";
    case FileKind::kOther: return "other";
  }
  return "other";
}

std::string WalFileName(std::string_view dir, uint64_t number) {
  return Numbered(dir, "", number, ".log");
}
std::string TableFileName(std::string_view dir, uint64_t number) {
  return Numbered(dir, "", number, ".sst");
}
std::string BlobFileName(std::string_view dir, uint64_t number) {
  return Numbered(dir, "", number, ".blob");
}
std::string ManifestFileName(std::string_view dir, uint64_t number) {
  return Numbered(dir, "MANIFEST-", number, "");
}
std::string CurrentFileName(std::string_view dir) { return std::string(dir) + "/CURRENT"; }
std::string LockFileName(std::string_view dir) { return std::string(dir) + "/LOCK"; }
std::string TempFileName(std::string_view dir, uint64_t number) {
  return Numbered(dir, "", number, ".tmp");
}

}  // namespace kiln
