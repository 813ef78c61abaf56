#include "fuzz/scenario_decoder.h"

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultfs/crash_policy.h"
#include "faultfs/fault_rule.h"
#include "fuzz/fuzz_input.h"
#include "util/assert.h"

namespace kiln::fuzz {
namespace {

using dst::ModelEntry;
using dst::Scenario;
using dst::ScenarioEntry;
using dst::ScenarioFault;
using dst::Step;

constexpr int kMaxClients = 3;
constexpr size_t kMaxFaults = 3;
constexpr size_t kMaxBatchEntries = 6;
constexpr size_t kMaxScanLimit = 32;
constexpr size_t kMaxWalkSteps = 16;
constexpr uint64_t kMaxSleepNs = 200'000;
constexpr uint64_t kMaxMidSegmentCrashStep = 40'000;
constexpr uint64_t kMaxOpenCrashStep = 600;
constexpr uint64_t kMaxCrashDirOps = 12;
constexpr int kMaxCheckMaintenanceSteps = 8;

constexpr char kKeyPrefixes[] = "abc";
constexpr int kKeysPerPrefix = 12;
constexpr const char* kExtraBounds[] = {"a", "b", "b05", "c", "d", "a0", "c1"};
constexpr const char* kScanPrefixes[] = {"a", "b", "c", "a0", "b1", "c0", "z"};
constexpr size_t kValueSizes[] = {1, 16, 200, 2000};
constexpr Durability kDurabilities[] = {Durability::kBuffered, Durability::kFlush,
                                        Durability::kSyncData, Durability::kSyncAll};

struct FaultTemplate {
  const char* name;
  faultfs::FaultKind kind;
  std::vector<faultfs::FileOp> ops;
  FileKind file_kind;
};

const std::vector<FaultTemplate>& FaultTemplates() {
  using faultfs::FaultKind;
  using faultfs::FileOp;
  static const auto* const templates = new std::vector<FaultTemplate>{
      {"wal-write-eio", FaultKind::kEio, {FileOp::kAppend, FileOp::kWrite}, FileKind::kWal},
      {"wal-sync-eio", FaultKind::kEio, {FileOp::kSync, FileOp::kSyncData}, FileKind::kWal},
      {"wal-short-write", FaultKind::kShortWrite, {FileOp::kAppend, FileOp::kWrite},
       FileKind::kWal},
      {"wal-sync-loses-data", FaultKind::kSyncLosesData, {FileOp::kSync, FileOp::kSyncData},
       FileKind::kWal},
      {"table-write-eio", FaultKind::kEio, {FileOp::kAppend, FileOp::kWrite}, FileKind::kTable},
      {"table-write-nospace", FaultKind::kNoSpace, {FileOp::kAppend, FileOp::kWrite},
       FileKind::kTable},
      {"table-read-eio", FaultKind::kEio, {FileOp::kRead}, FileKind::kTable},
      {"table-read-bit-flip", FaultKind::kBitFlipOnRead, {FileOp::kRead}, FileKind::kTable},
      {"table-short-read", FaultKind::kShortRead, {FileOp::kRead}, FileKind::kTable},
      {"manifest-sync-eio", FaultKind::kEio, {FileOp::kSync, FileOp::kSyncData},
       FileKind::kManifest},
      {"current-rename-eio", FaultKind::kEio, {FileOp::kRename}, FileKind::kCurrent},
  };
  return *templates;
}

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : input_(bytes) {}

  Scenario Decode() {
    scenario_.seed = input_.Range(0, 65'535);
    DecodeOptions();
    const auto presets = faultfs::CrashPolicyPresets();
    scenario_.crash_policy = std::string(presets[input_.Index(presets.size())].name);
    DecodeFaults();
    clients_ = static_cast<int>(input_.Range(1, kMaxClients));
    while (!input_.empty() && scenario_.steps.size() < kMaxFuzzScenarioSteps) DecodeStep();
    return std::move(scenario_);
  }

 private:
  void DecodeOptions() {
    Options& o = scenario_.options;
    constexpr size_t kBudgets[] = {4 << 10, 16 << 10, 64 << 10};
    o.memtable_budget_bytes = input_.Pick(kBudgets);
    constexpr size_t kCacheSizes[] = {64 << 10, 4 << 20};
    o.block_cache_bytes = input_.Pick(kCacheSizes);
    constexpr size_t kOpenTables[] = {4, 100};
    o.max_open_tables = input_.Pick(kOpenTables);
    constexpr size_t kFileSizes[] = {2 << 10, 8 << 10, 64 << 10};
    o.target_file_size_bytes = input_.Pick(kFileSizes);
    o.l0_compaction_trigger = static_cast<int>(input_.Range(2, 4));
    o.l0_slowdown_trigger = o.l0_compaction_trigger + static_cast<int>(input_.Range(2, 8));
    o.l0_stop_trigger = o.l0_slowdown_trigger + static_cast<int>(input_.Range(1, 6));
    constexpr uint64_t kLevel1Sizes[] = {16 << 10, 64 << 10, 1 << 20};
    o.level1_target_bytes = input_.Pick(kLevel1Sizes);
    o.level_size_multiplier = static_cast<int>(input_.Range(2, 10));
    o.background_tasks = static_cast<int>(input_.Range(0, 2));
    o.durability = input_.Pick(kDurabilities);
    scenario_.check_every_step = input_.Bool();
    for (BucketOptions* bucket : {&o.default_bucket, &scenario_.named_options}) {
      constexpr size_t kBlockSizes[] = {256, 1024, 4096};
      bucket->block_size_bytes = input_.Pick(kBlockSizes);
      bucket->block_restart_interval = static_cast<int>(input_.Range(1, 16));
      bucket->bloom_bits_per_key = input_.Bool() ? 10 : 0;
      bucket->prefix_length = input_.Range(0, 2);
      bucket->compression = input_.Bool() ? Compression::kLz4 : Compression::kNone;
    }
  }

  void DecodeFaults() {
    const size_t count = input_.Range(0, kMaxFaults);
    for (size_t i = 0; i < count; ++i) {
      const FaultTemplate& t = FaultTemplates()[input_.Index(FaultTemplates().size())];
      ScenarioFault fault;
      // Unique names: a fault window toggles exactly one rule.
      fault.rule.name = std::string(t.name) + "-" + std::to_string(i);
      fault.rule.kind = t.kind;
      fault.rule.when.ops = t.ops;
      fault.rule.when.file_kinds = {t.file_kind};
      fault.rule.when.probability = 0.002 * static_cast<double>(input_.Range(1, 25));
      fault.enabled = input_.Bool();
      scenario_.faults.push_back(std::move(fault));
    }
  }

  std::string Key() {
    const size_t n = input_.Index(sizeof(kKeyPrefixes) - 1);
    const size_t index = input_.Index(kKeysPerPrefix);
    std::string key(1, kKeyPrefixes[n]);
    key += static_cast<char>('0' + index / 10);
    key += static_cast<char>('0' + index % 10);
    return key;
  }

  std::string Bound() {
    if (input_.Range(0, 3) == 0) return input_.Pick(kExtraBounds);
    return Key();
  }

  std::string Value() {
    const size_t size = input_.Pick(kValueSizes);
    std::string value = "s" + std::to_string(scenario_.steps.size()) + ".";
    value.append(size, static_cast<char>('a' + scenario_.steps.size() % 26));
    return value;
  }

  ScenarioEntry Entry(ModelEntry::Kind kind) {
    ScenarioEntry e;
    e.entry.kind = kind;
    e.entry.bucket = input_.Bool() ? 1 : 0;
    if (kind == ModelEntry::Kind::kDeleteRange) {
      std::string begin = Bound();
      std::string end = Bound();
      if (end < begin) std::swap(begin, end);
      if (begin == end) end += "0";
      e.entry.key = std::move(begin);
      e.entry.value = std::move(end);
    } else {
      e.entry.key = Key();
      if (kind == ModelEntry::Kind::kPut) e.entry.value = Value();
    }
    e.via_db = e.entry.bucket == 0 && input_.Bool();
    return e;
  }

  ModelEntry::Kind EntryKind() {
    const uint64_t roll = input_.Range(0, 9);
    if (roll < 6) return ModelEntry::Kind::kPut;
    if (roll < 9) return ModelEntry::Kind::kDelete;
    return ModelEntry::Kind::kDeleteRange;
  }

  Step ClientStep(Step::Kind kind) {
    Step step;
    step.kind = kind;
    step.client = static_cast<int>(input_.Index(static_cast<size_t>(clients_)));
    return step;
  }

  void MaybeDurability(Step& step) {
    if (input_.Range(0, 3) == 0) step.durability = input_.Pick(kDurabilities);
  }

  void MaybeSnapshot(Step& step) {
    const std::optional<int>& held = held_[static_cast<size_t>(step.client)];
    if (held.has_value() && input_.Bool()) step.snapshot_id = held;
  }

  void Add(Step step) { scenario_.steps.push_back(std::move(step)); }

  void DecodeStep() {
    const uint8_t op = input_.Byte() % 20;
    const bool manual = scenario_.options.background_tasks == 0;
    if (op <= 3) {
      const ModelEntry::Kind kind = op <= 1 ? ModelEntry::Kind::kPut : EntryKind();
      Step step = ClientStep(kind == ModelEntry::Kind::kPut      ? Step::Kind::kPut
                             : kind == ModelEntry::Kind::kDelete ? Step::Kind::kDelete
                                                                 : Step::Kind::kDeleteRange);
      step.entries.push_back(Entry(kind));
      MaybeDurability(step);
      Add(std::move(step));
    } else if (op <= 5) {
      Step step = ClientStep(Step::Kind::kBatch);
      const size_t count = input_.Range(1, kMaxBatchEntries);
      for (size_t i = 0; i < count; ++i) step.entries.push_back(Entry(EntryKind()));
      MaybeDurability(step);
      Add(std::move(step));
    } else if (op <= 8) {
      Step step = ClientStep(Step::Kind::kGet);
      step.bucket = input_.Bool() ? 1 : 0;
      step.key = Key();
      step.via_db = step.bucket == 0 && input_.Bool();
      MaybeSnapshot(step);
      Add(std::move(step));
    } else if (op <= 10) {
      Add(Scan());
    } else if (op == 11) {
      Step step = ClientStep(Step::Kind::kSnapshot);
      std::optional<int>& held = held_[static_cast<size_t>(step.client)];
      if (held.has_value() && input_.Bool()) {
        step.kind = Step::Kind::kRelease;
        step.snapshot_id = held;
        held.reset();
      } else {
        held = next_snapshot_id_++;
        step.snapshot_id = held;
      }
      Add(std::move(step));
    } else if (op == 12) {
      Add(ClientStep(Step::Kind::kFlush));
    } else if (op == 13) {
      Step step = ClientStep(Step::Kind::kCompact);
      if (input_.Bool()) step.begin = Bound();
      if (input_.Bool()) step.end = Bound();
      Add(std::move(step));
    } else if (op == 14) {
      Step step = ClientStep(Step::Kind::kPersist);
      step.durability = input_.Pick(kDurabilities);
      Add(std::move(step));
    } else if (op == 15 && manual) {
      Add(ClientStep(Step::Kind::kMaintain));
    } else if (op <= 15) {
      Step step = ClientStep(Step::Kind::kSleep);
      step.sleep_ns = input_.Range(1, kMaxSleepNs);
      Add(std::move(step));
    } else if (op == 16 && !scenario_.faults.empty()) {
      Step step = ClientStep(input_.Bool() ? Step::Kind::kFaultOn : Step::Kind::kFaultOff);
      step.fault = scenario_.faults[input_.Index(scenario_.faults.size())].rule.name;
      Add(std::move(step));
    } else {
      Barrier();
    }
  }

  Step Scan() {
    Step step = ClientStep(Step::Kind::kScan);
    step.bucket = input_.Bool() ? 1 : 0;
    MaybeSnapshot(step);
    const uint8_t shape = input_.Byte();
    if (shape & 1) step.lower_bound = Bound();
    if (shape & 2) step.upper_bound = Bound();
    if (shape & 4) step.prefix = input_.Pick(kScanPrefixes);
    if (shape & 8) step.start = Bound();
    step.reverse = (shape & 16) != 0;
    step.fill_cache = (shape & 32) == 0;
    step.via_db = step.bucket == 0 && (shape & 64) != 0;
    step.limit = input_.Range(1, kMaxScanLimit);
    if (shape & 128) {
      const size_t steps = input_.Range(1, kMaxWalkSteps);
      const uint16_t directions = static_cast<uint16_t>(input_.Range(0, 65'535));
      for (size_t i = 0; i < steps; ++i) step.walk.push_back(((directions >> i) & 1) != 0);
    }
    return step;
  }

  void Barrier() {
    Step step;
    switch (input_.Range(0, 3)) {
      case 0:
      case 1:
        step.kind = Step::Kind::kCheck;
        step.maintain_steps = static_cast<int>(input_.Range(1, kMaxCheckMaintenanceSteps));
        break;
      case 2:
        step.kind = Step::Kind::kCrash;
        // 0: after the segment; 1: a scheduling step into it; 2: right after
        // its nth directory operation.
        switch (input_.Range(0, 2)) {
          case 1:
            step.crash_steps = input_.Range(1, kMaxMidSegmentCrashStep);
            break;
          case 2:
            step.crash_after_dir_ops = input_.Range(1, kMaxCrashDirOps);
            break;
          default:
            break;
        }
        held_.fill(std::nullopt);
        break;
      default:
        step.kind = Step::Kind::kCrashInOpen;
        if (input_.Bool()) {
          step.crash_after_dir_ops = input_.Range(1, kMaxCrashDirOps);
        } else {
          step.crash_steps = input_.Range(1, kMaxOpenCrashStep);
        }
        held_.fill(std::nullopt);
        break;
    }
    Add(std::move(step));
  }

  FuzzInput input_;
  Scenario scenario_;
  int clients_ = 1;
  std::array<std::optional<int>, kMaxClients> held_{};
  int next_snapshot_id_ = 1;
};

}  // namespace

dst::Scenario DecodeScenario(std::string_view bytes) {
  dst::Scenario scenario = Decoder(bytes).Decode();
  KILN_ASSERT_MSG(dst::ValidateScenario(scenario).ok(), "DecodeScenario made an invalid scenario");
  return scenario;
}

}  // namespace kiln::fuzz
