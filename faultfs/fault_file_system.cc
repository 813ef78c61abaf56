#include "faultfs/fault_file_system.h"

#include <algorithm>
#include <span>
#include <utility>

#include "absl/strings/string_view.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln::faultfs {

struct FaultFileSystem::Rule {
  RuleId id = 0;
  FaultRule rule;
  bool enabled = true;
  uint64_t matches = 0;  // ops the filters selected while enabled
  Random random;
};

// What the op should suffer. fired == false: nothing, run it normally.
struct FaultFileSystem::Decision {
  bool fired = false;
  FaultKind kind = FaultKind::kEio;
  std::string rule_name;
  uint64_t latency_ns = 0;
  uint64_t sector_size_bytes = 0;
  // Seeds the fault's own choices (a length, a bit, an offset), which may
  // depend on what the base returns after the lock is released.
  uint64_t entropy = 0;
};

// A file as this filesystem tracks it: by identity, not by name, so an open
// handle and the bad sectors follow a rename.
// Invariants (under mutex_):
//  1. nodes_ holds exactly the linked nodes that have an open handle or a bad
//     sector, each under its path; ReleaseNode erases one that has neither.
//  2. Unlinking (RemoveFile, a rename over it) takes a node out of nodes_ and
//     drops its bad sectors.
//  3. An unlinked node has no bad sectors until a read through a handle still
//     open on it spoils some; it dies with its last handle.
struct FaultFileSystem::Node {
  std::string path;  // current name; the last one if unlinked
  bool linked = true;
  size_t open_handles = 0;
  BadSectorMap bad_sectors;
};

namespace {

std::string Describe(FileOp op, std::string_view path, FaultKind kind, std::string_view rule_name) {
  std::string text = "injected ";
  text.append(FaultKindName(kind)).append(" on ").append(FileOpName(op)).append(" ");
  text.append(path).append(" [").append(rule_name).append("]");
  return text;
}

std::string Range(uint64_t offset, uint64_t length) {
  return "[" + std::to_string(offset) + ", " + std::to_string(offset + length) + ")";
}

uint64_t RoundUp(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// A sector-aligned offset at which length bytes do not overlap
// [intended, intended + length): chosen uniformly from the aligned offsets
// that end at or before intended and those from the first aligned offset past
// the intended range up to the file's (rounded-up) end, so there is always at
// least one.
uint64_t MisdirectedOffset(uint64_t intended, uint64_t length, uint64_t file_size,
                           uint64_t sector_size_bytes, uint64_t entropy) {
  KILN_ASSERT(sector_size_bytes > 0);
  // An empty write still has a position; treat it as one byte so the chosen
  // offset differs from the intended one.
  const uint64_t span = std::max<uint64_t>(length, 1);
  KILN_ASSERT(intended <= UINT64_MAX / 2 && span <= UINT64_MAX / 4 && file_size <= UINT64_MAX / 4);
  const uint64_t low_count = intended >= span ? (intended - span) / sector_size_bytes + 1 : 0;
  const uint64_t high_first = RoundUp(intended + span, sector_size_bytes);
  const uint64_t high_last = std::max(high_first, RoundUp(file_size, sector_size_bytes));
  const uint64_t high_count = (high_last - high_first) / sector_size_bytes + 1;
  Random random(entropy);
  const uint64_t pick = random.Uniform(low_count + high_count);
  const uint64_t target = pick < low_count ? pick * sector_size_bytes
                                           : high_first + (pick - low_count) * sector_size_bytes;
  KILN_ASSERT(target + span <= intended || target >= intended + span);
  return target;
}

}  // namespace

// ---------------------------------------------------------------------------
// The File wrapper. Each op asks the filesystem for a decision, then applies
// it around the base call; the lock is never held across the base call.

class FaultFileSystem::FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem& fs, std::unique_ptr<File> base, std::shared_ptr<Node> node)
      : fs_(fs), base_(std::move(base)), node_(std::move(node)) {}
  ~FaultFile() override { fs_.ReleaseNode(node_); }

  absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) override {
    const std::string path = fs_.PathOf(*node_);
    if (std::optional<BadSectorMap::Sector> bad = fs_.FindBadSector(*node_, offset, out.size())) {
      fs_.Record(FileOp::kRead, path, FaultKind::kLatentSectorError, bad->rule_name,
                 "read " + Range(offset, out.size()) + " hit bad sector " +
                     Range(bad->offset, bad->size_bytes));
      return IOError(Describe(FileOp::kRead, path, FaultKind::kLatentSectorError, bad->rule_name));
    }
    const Decision decision = fs_.Decide(FileOp::kRead, path);
    if (std::optional<absl::Status> failed = fs_.ApplyCommonFault(FileOp::kRead, path, decision)) {
      return *failed;
    }
    if (!decision.fired || decision.kind == FaultKind::kLatency) return base_->Read(offset, out);
    switch (decision.kind) {
      case FaultKind::kShortRead: {
        KILN_ASSIGN_OR_RETURN(const size_t available, base_->Read(offset, out));
        KILN_ASSERT(available <= out.size());
        const size_t returned = available == 0 ? 0 : Random(decision.entropy).Uniform(available);
        std::fill(out.begin() + returned, out.begin() + available, '\0');
        fs_.Record(FileOp::kRead, path, decision.kind, decision.rule_name,
                   "returned " + std::to_string(returned) + " of " + std::to_string(available) +
                       " bytes at offset " + std::to_string(offset));
        return returned;
      }
      case FaultKind::kBitFlipOnRead: {
        KILN_ASSIGN_OR_RETURN(const size_t available, base_->Read(offset, out));
        KILN_ASSERT(available <= out.size());
        std::string detail = "no bytes to flip";
        if (available > 0) {
          const uint64_t bit = Random(decision.entropy).Uniform(uint64_t{available} * 8);
          out[bit / 8] = static_cast<char>(out[bit / 8] ^ (1 << (bit % 8)));
          detail = "flipped bit " + std::to_string(bit % 8) + " of the byte at offset " +
                   std::to_string(offset + bit / 8);
        }
        fs_.Record(FileOp::kRead, path, decision.kind, decision.rule_name, std::move(detail));
        return available;
      }
      case FaultKind::kLatentSectorError: {
        const size_t marked = fs_.MarkBadSectors(*node_, offset, out.size(), decision);
        fs_.Record(FileOp::kRead, path, decision.kind, decision.rule_name,
                   "read " + Range(offset, out.size()) + " made " + std::to_string(marked) +
                       " sector(s) of " + std::to_string(decision.sector_size_bytes) +
                       " bytes bad");
        return IOError(Describe(FileOp::kRead, path, decision.kind, decision.rule_name));
      }
      default:
        KILN_UNREACHABLE("a fault kind that does not apply to reads");
    }
  }

  absl::Status Write(uint64_t offset, std::string_view data) override {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(FileOp::kWrite, path);
    if (std::optional<absl::Status> failed = fs_.ApplyCommonFault(FileOp::kWrite, path, decision)) {
      return *failed;
    }
    if (!decision.fired || decision.kind == FaultKind::kLatency) {
      KILN_RETURN_IF_ERROR(base_->Write(offset, data));
      fs_.RemapBadSectors(*node_, offset, data.size());
      return absl::OkStatus();
    }
    switch (decision.kind) {
      case FaultKind::kShortWrite: {
        const size_t written = ShortWriteLength(decision, data.size());
        if (written > 0) {
          KILN_RETURN_IF_ERROR(base_->Write(offset, data.substr(0, written)));
          fs_.RemapBadSectors(*node_, offset, written);
        }
        fs_.Record(FileOp::kWrite, path, decision.kind, decision.rule_name,
                   "wrote " + std::to_string(written) + " of " + std::to_string(data.size()) +
                       " bytes at offset " + std::to_string(offset));
        return IOError(Describe(FileOp::kWrite, path, decision.kind, decision.rule_name));
      }
      case FaultKind::kMisdirectedWrite:
        return MisdirectedWrite(FileOp::kWrite, path, offset, data, decision);
      default:
        KILN_UNREACHABLE("a fault kind that does not apply to writes");
    }
  }

  absl::Status Append(std::string_view data) override {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(FileOp::kAppend, path);
    if (std::optional<absl::Status> failed =
            fs_.ApplyCommonFault(FileOp::kAppend, path, decision)) {
      return *failed;
    }
    if (!decision.fired || decision.kind == FaultKind::kLatency) {
      return AppendAndRemap(data);
    }
    switch (decision.kind) {
      case FaultKind::kShortWrite: {
        const size_t written = ShortWriteLength(decision, data.size());
        if (written > 0) KILN_RETURN_IF_ERROR(AppendAndRemap(data.substr(0, written)));
        fs_.Record(FileOp::kAppend, path, decision.kind, decision.rule_name,
                   "appended " + std::to_string(written) + " of " + std::to_string(data.size()) +
                       " bytes");
        return IOError(Describe(FileOp::kAppend, path, decision.kind, decision.rule_name));
      }
      case FaultKind::kMisdirectedWrite: {
        KILN_ASSIGN_OR_RETURN(const uint64_t end, base_->Size());
        return MisdirectedWrite(FileOp::kAppend, path, end, data, decision);
      }
      default:
        KILN_UNREACHABLE("a fault kind that does not apply to appends");
    }
  }

  absl::Status Truncate(uint64_t size_bytes) override {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(FileOp::kTruncate, path);
    if (std::optional<absl::Status> failed =
            fs_.ApplyCommonFault(FileOp::kTruncate, path, decision)) {
      return *failed;
    }
    KILN_ASSERT(!decision.fired || decision.kind == FaultKind::kLatency);
    KILN_RETURN_IF_ERROR(base_->Truncate(size_bytes));
    fs_.TruncateBadSectors(*node_, size_bytes);
    return absl::OkStatus();
  }

  absl::Status Sync() override { return SyncWith(FileOp::kSync); }
  absl::Status SyncData() override { return SyncWith(FileOp::kSyncData); }

  absl::StatusOr<uint64_t> Size() override {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(FileOp::kSize, path);
    if (std::optional<absl::Status> failed = fs_.ApplyCommonFault(FileOp::kSize, path, decision)) {
      return *failed;
    }
    KILN_ASSERT(!decision.fired || decision.kind == FaultKind::kLatency);
    return base_->Size();
  }

  absl::Status Close() override {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(FileOp::kClose, path);
    if (std::optional<absl::Status> failed = fs_.ApplyCommonFault(FileOp::kClose, path, decision)) {
      return *failed;
    }
    KILN_ASSERT(!decision.fired || decision.kind == FaultKind::kLatency);
    return base_->Close();
  }

  // Not a faultable op: the fault model's own hook passes straight through.
  absl::Status DropUnsyncedData() override { return base_->DropUnsyncedData(); }
  // Not faultable either: it changes how appends reach the disk, not the
  // disk, and every append after it still meets the append faults.
  absl::Status MapAppends(uint64_t reserve_bytes) override {
    return base_->MapAppends(reserve_bytes);
  }

 private:
  static size_t ShortWriteLength(const Decision& decision, size_t length) {
    return length == 0 ? 0 : Random(decision.entropy).Uniform(length);
  }

  // Appends and, if the file has bad sectors, remaps those the data covered,
  // which needs the offset the append landed at.
  absl::Status AppendAndRemap(std::string_view data) {
    if (!fs_.HasBadSectors(*node_)) return base_->Append(data);
    KILN_ASSIGN_OR_RETURN(const uint64_t end, base_->Size());
    KILN_RETURN_IF_ERROR(base_->Append(data));
    fs_.RemapBadSectors(*node_, end, data.size());
    return absl::OkStatus();
  }

  absl::Status MisdirectedWrite(FileOp op, std::string_view path, uint64_t intended,
                                std::string_view data, const Decision& decision) {
    KILN_ASSIGN_OR_RETURN(const uint64_t file_size, base_->Size());
    const uint64_t target = MisdirectedOffset(intended, data.size(), file_size,
                                              decision.sector_size_bytes, decision.entropy);
    KILN_RETURN_IF_ERROR(base_->Write(target, data));
    fs_.RemapBadSectors(*node_, target, data.size());
    fs_.Record(op, path, decision.kind, decision.rule_name,
               std::to_string(data.size()) + " bytes meant for offset " + std::to_string(intended) +
                   " landed at offset " + std::to_string(target));
    return absl::OkStatus();
  }

  absl::Status SyncWith(FileOp op) {
    const std::string path = fs_.PathOf(*node_);
    const Decision decision = fs_.Decide(op, path);
    if (std::optional<absl::Status> failed = fs_.ApplyCommonFault(op, path, decision)) {
      return *failed;
    }
    if (!decision.fired || decision.kind == FaultKind::kLatency) {
      return op == FileOp::kSync ? base_->Sync() : base_->SyncData();
    }
    KILN_ASSERT(decision.kind == FaultKind::kSyncLosesData);
    const absl::Status dropped = base_->DropUnsyncedData();
    std::string detail = "sync failed; unsynced writes dropped";
    if (absl::IsUnimplemented(dropped)) {
      detail = "sync failed; the base cannot drop unsynced writes, so they were kept";
    } else if (!dropped.ok()) {
      detail = "sync failed; dropping unsynced writes failed: " + dropped.ToString();
    }
    fs_.Record(op, path, decision.kind, decision.rule_name, std::move(detail));
    return IOError(Describe(op, path, decision.kind, decision.rule_name));
  }

  FaultFileSystem& fs_;
  const std::unique_ptr<File> base_;
  const std::shared_ptr<Node> node_;
};

// ---------------------------------------------------------------------------
// FaultFileSystem

FaultFileSystem::FaultFileSystem(FileSystem& base, FaultFileSystemOptions options)
    : base_(base), options_(options) {}

FaultFileSystem::~FaultFileSystem() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [path, node] : nodes_) {
    KILN_ASSERT_MSG(node->open_handles == 0, "a File outlived its FaultFileSystem");
  }
}

absl::StatusOr<std::unique_ptr<File>> FaultFileSystem::OpenFile(std::string_view path,
                                                                OpenMode mode) {
  const Decision decision = Decide(FileOp::kOpen, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kOpen, path, decision)) {
    return *failed;
  }
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_.OpenFile(path, mode));
  return std::make_unique<FaultFile>(*this, std::move(file), AcquireNode(path, mode));
}

absl::Status FaultFileSystem::CreateDir(std::string_view path) {
  const Decision decision = Decide(FileOp::kCreateDir, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kCreateDir, path, decision)) {
    return *failed;
  }
  return base_.CreateDir(path);
}

absl::Status FaultFileSystem::RemoveDir(std::string_view path) {
  const Decision decision = Decide(FileOp::kRemoveDir, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kRemoveDir, path, decision)) {
    return *failed;
  }
  return base_.RemoveDir(path);
}

absl::Status FaultFileSystem::RemoveFile(std::string_view path) {
  const Decision decision = Decide(FileOp::kRemoveFile, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kRemoveFile, path, decision)) {
    return *failed;
  }
  KILN_RETURN_IF_ERROR(base_.RemoveFile(path));
  std::lock_guard<std::mutex> lock(mutex_);
  UnlinkLocked(path);
  return absl::OkStatus();
}

absl::Status FaultFileSystem::Rename(std::string_view source, std::string_view target) {
  const Decision decision = Decide(FileOp::kRename, source, target);
  const std::string both = std::string(source) + " -> " + std::string(target);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kRename, both, decision)) {
    return *failed;
  }
  KILN_RETURN_IF_ERROR(base_.Rename(source, target));
  if (source == target) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mutex_);
  UnlinkLocked(target);
  if (auto it = nodes_.find(source); it != nodes_.end()) {
    std::shared_ptr<Node> node = std::move(it->second);
    nodes_.erase(it);
    node->path = std::string(target);
    std::string key = node->path;
    nodes_.emplace(std::move(key), std::move(node));
  }
  return absl::OkStatus();
}

absl::Status FaultFileSystem::SyncDir(std::string_view path) {
  const Decision decision = Decide(FileOp::kSyncDir, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kSyncDir, path, decision)) {
    return *failed;
  }
  return base_.SyncDir(path);
}

absl::StatusOr<std::vector<std::string>> FaultFileSystem::ListDir(std::string_view path) {
  const Decision decision = Decide(FileOp::kListDir, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kListDir, path, decision)) {
    return *failed;
  }
  return base_.ListDir(path);
}

absl::StatusOr<uint64_t> FaultFileSystem::FileSize(std::string_view path) {
  const Decision decision = Decide(FileOp::kFileSize, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kFileSize, path, decision)) {
    return *failed;
  }
  return base_.FileSize(path);
}

absl::StatusOr<bool> FaultFileSystem::Exists(std::string_view path) {
  const Decision decision = Decide(FileOp::kExists, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kExists, path, decision)) {
    return *failed;
  }
  return base_.Exists(path);
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultFileSystem::LockFile(std::string_view path) {
  const Decision decision = Decide(FileOp::kLock, path);
  if (std::optional<absl::Status> failed = ApplyCommonFault(FileOp::kLock, path, decision)) {
    return *failed;
  }
  return base_.LockFile(path);
}

// ---------------------------------------------------------------------------
// Rules

absl::StatusOr<RuleId> FaultFileSystem::AddRule(FaultRule rule) {
  KILN_RETURN_IF_ERROR(ValidateFaultRule(rule, options_.clock != nullptr));
  std::lock_guard<std::mutex> lock(mutex_);
  if (rules_.size() >= kMaxFaultRules) {
    return absl::FailedPreconditionError("too many fault rules (kMaxFaultRules)");
  }
  const RuleId id = next_rule_id_++;
  // Each rule has its own stream, so adding a rule never shifts the choices
  // of the rules already there.
  Random random(MixSeed(MixSeed(options_.seed, id), StableHash64(rule.name)));
  rules_.push_back(Rule{.id = id, .rule = std::move(rule), .random = random});
  return id;
}

void FaultFileSystem::SetRuleEnabled(RuleId id, bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [id](const Rule& r) { return r.id == id; });
  KILN_ASSERT_MSG(it != rules_.end(), "SetRuleEnabled: no such rule");
  it->enabled = enabled;
}

void FaultFileSystem::RemoveRule(RuleId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [id](const Rule& r) { return r.id == id; });
  KILN_ASSERT_MSG(it != rules_.end(), "RemoveRule: no such rule");
  rules_.erase(it);
}

void FaultFileSystem::ClearRules() {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.clear();
}

FaultFileSystem::Decision FaultFileSystem::Decide(FileOp op, std::string_view path,
                                                  std::string_view target_path) {
  std::lock_guard<std::mutex> lock(mutex_);
  Decision decision;
  for (Rule& rule : rules_) {
    if (!rule.enabled || !RuleSelects(rule.rule, op, path, target_path)) continue;
    ++rule.matches;
    if (decision.fired) continue;  // an earlier rule won; later ones only count
    const FaultPredicate& when = rule.rule.when;
    if (when.nth != 0) {
      if (rule.matches < when.nth) continue;
      if (when.occurrence == OccurrenceMode::kOnlyNth && rule.matches != when.nth) continue;
    }
    if (!rule.random.Chance(when.probability)) continue;
    decision.fired = true;
    decision.kind = rule.rule.kind;
    decision.rule_name = rule.rule.name;
    decision.latency_ns = rule.rule.latency_ns;
    decision.sector_size_bytes = rule.rule.sector_size_bytes;
    decision.entropy = rule.random.Next();
  }
  return decision;
}

std::optional<absl::Status> FaultFileSystem::ApplyCommonFault(FileOp op, std::string_view path,
                                                              const Decision& decision) {
  if (!decision.fired) return std::nullopt;
  switch (decision.kind) {
    case FaultKind::kEio:
      Record(op, path, decision.kind, decision.rule_name, "");
      return IOError(Describe(op, path, decision.kind, decision.rule_name));
    case FaultKind::kNoSpace:
      Record(op, path, decision.kind, decision.rule_name, "");
      return NoSpace(Describe(op, path, decision.kind, decision.rule_name));
    case FaultKind::kLatency:
      KILN_ASSERT(options_.clock != nullptr);
      options_.clock->SleepNs(decision.latency_ns);
      Record(op, path, decision.kind, decision.rule_name,
             "slept " + std::to_string(decision.latency_ns) + " ns");
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// The log

void FaultFileSystem::Record(FileOp op, std::string_view path, FaultKind kind,
                             std::string_view rule_name, std::string detail) {
  FaultRecord record{.op = op,
                     .path = std::string(path),
                     .kind = kind,
                     .rule_name = std::string(rule_name),
                     .detail = std::move(detail)};
  std::function<void(const FaultRecord&)> observer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record.sequence = fault_count_++;
    ++fault_count_by_kind_[static_cast<size_t>(kind)];
    log_.push_back(record);
    if (log_.size() > kMaxFaultLogRecords) log_.pop_front();
    observer = observer_;
  }
  if (observer) observer(record);
}

std::vector<FaultRecord> FaultFileSystem::log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::vector<FaultRecord>(log_.begin(), log_.end());
}

uint64_t FaultFileSystem::fault_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_count_;
}

uint64_t FaultFileSystem::fault_count(FaultKind kind) const {
  KILN_ASSERT(static_cast<size_t>(kind) < kFaultKindCount);
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_count_by_kind_[static_cast<size_t>(kind)];
}

void FaultFileSystem::SetObserver(std::function<void(const FaultRecord&)> observer) {
  std::lock_guard<std::mutex> lock(mutex_);
  observer_ = std::move(observer);
}

// ---------------------------------------------------------------------------
// Per-file state

std::shared_ptr<FaultFileSystem::Node> FaultFileSystem::AcquireNode(std::string_view path,
                                                                    OpenMode mode) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = nodes_.find(path);
  if (it != nodes_.end() && mode == OpenMode::kCreateNew) {
    // The base just created this file, so whatever we knew under this name
    // was about a file that is gone (e.g. the base was reset underneath us).
    UnlinkLocked(path);
    it = nodes_.end();
  }
  if (it == nodes_.end()) {
    auto node = std::make_shared<Node>();
    node->path = std::string(path);
    std::string key = node->path;
    it = nodes_.emplace(std::move(key), std::move(node)).first;
  }
  Node& node = *it->second;
  if (mode == OpenMode::kTruncate) node.bad_sectors.Truncate(0);
  ++node.open_handles;
  return it->second;
}

void FaultFileSystem::ReleaseNode(const std::shared_ptr<Node>& node) {
  std::lock_guard<std::mutex> lock(mutex_);
  KILN_ASSERT(node->open_handles > 0);
  --node->open_handles;
  if (node->open_handles > 0 || !node->bad_sectors.empty() || !node->linked) return;
  auto it = nodes_.find(node->path);
  KILN_ASSERT(it != nodes_.end() && it->second == node);
  nodes_.erase(it);
}

std::string FaultFileSystem::PathOf(const Node& node) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return node.path;
}

std::optional<BadSectorMap::Sector> FaultFileSystem::FindBadSector(const Node& node,
                                                                   uint64_t offset,
                                                                   uint64_t length) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return node.bad_sectors.FirstOverlap(offset, length);
}

bool FaultFileSystem::HasBadSectors(const Node& node) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !node.bad_sectors.empty();
}

size_t FaultFileSystem::MarkBadSectors(Node& node, uint64_t offset, uint64_t length,
                                       const Decision& decision) {
  std::lock_guard<std::mutex> lock(mutex_);
  // An unlinked file is marked too: the handles still open on it read it.
  return node.bad_sectors.Mark(offset, length, decision.sector_size_bytes, decision.rule_name);
}

void FaultFileSystem::RemapBadSectors(Node& node, uint64_t offset, uint64_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  node.bad_sectors.Remap(offset, length);
}

void FaultFileSystem::TruncateBadSectors(Node& node, uint64_t size_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  node.bad_sectors.Truncate(size_bytes);
}

void FaultFileSystem::UnlinkLocked(std::string_view path) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return;
  Node& node = *it->second;
  node.linked = false;
  node.bad_sectors = BadSectorMap();
  nodes_.erase(it);
}

}  // namespace kiln::faultfs
