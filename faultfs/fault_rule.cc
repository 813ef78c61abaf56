#include "faultfs/fault_rule.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/strings/string_view.h"
#include "faultfs/glob.h"

namespace kiln::faultfs {
namespace {

// Indexed by the enum's value; the static_asserts tie the tables to the enums.
constexpr std::array<std::string_view, kFileOpCount> kFileOpNames = {
    "open",      "read",     "write",    "append",     "truncate",   "sync",
    "sync_data", "size",     "close",    "create_dir", "remove_dir", "remove_file",
    "rename",    "sync_dir", "list_dir", "file_size",  "exists",     "lock",
};
static_assert(static_cast<size_t>(FileOp::kLock) + 1 == kFileOpCount);

constexpr std::array<std::string_view, kFaultKindCount> kFaultKindNames = {
    "eio",
    "no_space",
    "short_read",
    "short_write",
    "bit_flip_on_read",
    "latent_sector_error",
    "misdirected_write",
    "latency",
    "sync_loses_data",
};
static_assert(static_cast<size_t>(FaultKind::kSyncLosesData) + 1 == kFaultKindCount);

absl::Status Invalid(const FaultRule& rule, std::string_view problem) {
  std::string message = "fault rule '";
  message.append(rule.name).append("' (").append(FaultKindName(rule.kind)).append("): ");
  message.append(problem);
  return absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
}

bool SelectsPath(const FaultPredicate& when, std::string_view path) {
  if (!when.file_kinds.empty() && std::find(when.file_kinds.begin(), when.file_kinds.end(),
                                            ClassifyFileName(path)) == when.file_kinds.end()) {
    return false;
  }
  return when.path_glob.empty() || GlobMatch(when.path_glob, path);
}

}  // namespace

std::string_view FileOpName(FileOp op) {
  const auto index = static_cast<size_t>(op);
  return index < kFileOpNames.size() ? kFileOpNames[index] : "unknown";
}

std::optional<FileOp> FileOpFromName(std::string_view name) {
  for (size_t i = 0; i < kFileOpNames.size(); ++i) {
    if (kFileOpNames[i] == name) return static_cast<FileOp>(i);
  }
  return std::nullopt;
}

std::string_view FaultKindName(FaultKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kFaultKindNames.size() ? kFaultKindNames[index] : "unknown";
}

std::optional<FaultKind> FaultKindFromName(std::string_view name) {
  for (size_t i = 0; i < kFaultKindNames.size(); ++i) {
    if (kFaultKindNames[i] == name) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

bool FaultKindAppliesTo(FaultKind kind, FileOp op) {
  switch (kind) {
    case FaultKind::kEio:
    case FaultKind::kLatency:
      return true;
    case FaultKind::kNoSpace:
      switch (op) {
        case FileOp::kOpen:
        case FileOp::kWrite:
        case FileOp::kAppend:
        case FileOp::kTruncate:
        case FileOp::kSync:
        case FileOp::kSyncData:
        case FileOp::kCreateDir:
        case FileOp::kRename:
        case FileOp::kSyncDir:
        case FileOp::kLock:
          return true;
        default:
          return false;
      }
    case FaultKind::kShortRead:
    case FaultKind::kBitFlipOnRead:
    case FaultKind::kLatentSectorError:
      return op == FileOp::kRead;
    case FaultKind::kShortWrite:
    case FaultKind::kMisdirectedWrite:
      return op == FileOp::kWrite || op == FileOp::kAppend;
    case FaultKind::kSyncLosesData:
      return op == FileOp::kSync || op == FileOp::kSyncData;
  }
  return false;
}

absl::Status ValidateFaultRule(const FaultRule& rule, bool have_clock) {
  if (static_cast<size_t>(rule.kind) >= kFaultKindCount) return Invalid(rule, "unknown kind");
  for (FileOp op : rule.when.ops) {
    if (static_cast<size_t>(op) >= kFileOpCount) return Invalid(rule, "unknown op");
    if (!FaultKindAppliesTo(rule.kind, op)) {
      return Invalid(rule, std::string("does not apply to op ").append(FileOpName(op)));
    }
  }
  // Written as a negation so NaN is rejected too.
  if (!(rule.when.probability >= 0.0 && rule.when.probability <= 1.0)) {
    return Invalid(rule, "probability must be in [0, 1]");
  }
  if (rule.kind == FaultKind::kLatency) {
    if (rule.latency_ns == 0) return Invalid(rule, "latency_ns must be > 0");
    if (!have_clock) return Invalid(rule, "latency faults need a Clock in the options");
  }
  if (rule.kind == FaultKind::kLatentSectorError || rule.kind == FaultKind::kMisdirectedWrite) {
    if (rule.sector_size_bytes == 0 || rule.sector_size_bytes > kMaxFaultSectorSizeBytes) {
      return Invalid(rule, "sector_size_bytes must be in [1, kMaxFaultSectorSizeBytes]");
    }
  }
  return absl::OkStatus();
}

bool RuleSelects(const FaultRule& rule, FileOp op, std::string_view path,
                 std::string_view target_path) {
  const std::vector<FileOp>& ops = rule.when.ops;
  if (ops.empty() ? !FaultKindAppliesTo(rule.kind, op)
                  : std::find(ops.begin(), ops.end(), op) == ops.end()) {
    return false;
  }
  if (SelectsPath(rule.when, path)) return true;
  return op == FileOp::kRename && SelectsPath(rule.when, target_path);
}

std::string FaultRecord::ToString() const {
  std::string text = "#";
  text.append(std::to_string(sequence)).append(" ").append(FileOpName(op)).append(" ");
  text.append(path).append(" ").append(FaultKindName(kind));
  text.append(" [").append(rule_name).append("]");
  if (!detail.empty()) text.append(": ").append(detail);
  return text;
}

}  // namespace kiln::faultfs
