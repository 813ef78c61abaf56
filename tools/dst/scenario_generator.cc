#include "tools/dst/scenario_generator.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultfs/crash_policy.h"
#include "kiln/random.h"
#include "util/assert.h"

namespace kiln::dst {
namespace {

constexpr int kMinCycles = 2;
constexpr int kMaxCycles = 3;
constexpr int kMaxPhases = 3;
constexpr int kMaxClients = 4;
constexpr int kMaxOpsPerClient = 80;
constexpr int kMaxBatchEntries = 6;
constexpr size_t kMaxScanEntries = 48;
constexpr int kMaxCheckMaintenanceSteps = 8;
constexpr uint64_t kMaxMidPhaseCrashStep = 40'000;
// An open takes a few hundred steps; a crash lands somewhere inside it.
constexpr uint64_t kMaxOpenCrashStep = 600;
// Crashes right after a directory operation (before a SyncDir covers it):
// rarer than a random step, so metadata-ordering windows a few steps wide are
// hit often. An open or a segment takes a handful to a few dozen.
constexpr uint64_t kMaxCrashDirOps = 12;

constexpr char kKeyPrefixes[] = "abc";
constexpr int kKeysPerPrefix = 12;
// Range and iterator bounds also fall between and around the keys.
constexpr const char* kExtraBounds[] = {"a", "b", "b05", "c", "d", "a0", "c1"};
constexpr const char* kScanPrefixes[] = {"a", "b", "c", "a0", "b1", "c0", "z"};

constexpr Durability kDurabilities[] = {Durability::kBuffered, Durability::kFlush,
                                        Durability::kSyncData, Durability::kSyncAll};

std::string Key(Random& random) {
  std::string key(1, kKeyPrefixes[random.Uniform(sizeof(kKeyPrefixes) - 1)]);
  const uint64_t n = random.Uniform(kKeysPerPrefix);
  key += static_cast<char>('0' + n / 10);
  key += static_cast<char>('0' + n % 10);
  return key;
}

std::string Bound(Random& random) {
  if (random.OneIn(3)) return kExtraBounds[random.Uniform(std::size(kExtraBounds))];
  return Key(random);
}

void DrawOptions(Random& random, Scenario& scenario) {
  Options& o = scenario.options;
  constexpr size_t kBudgets[] = {4 << 10, 16 << 10, 64 << 10, 256 << 10};
  o.memtable_budget_bytes = kBudgets[random.Uniform(std::size(kBudgets))];
  o.block_cache_bytes = random.OneIn(2) ? (64 << 10) : (4 << 20);
  o.max_open_tables = random.OneIn(3) ? 4 : 100;
  o.target_file_size_bytes = size_t{2} << random.Range(10, 16);
  o.l0_compaction_trigger = static_cast<int>(random.Range(2, 4));
  o.l0_slowdown_trigger = o.l0_compaction_trigger + static_cast<int>(random.Range(2, 8));
  o.l0_stop_trigger = o.l0_slowdown_trigger + static_cast<int>(random.Range(1, 6));
  o.level1_target_bytes = uint64_t{16} << random.Range(10, 16);
  o.level_size_multiplier = static_cast<int>(random.Range(2, 10));
  o.background_tasks = static_cast<int>(random.Uniform(3));
  o.durability = kDurabilities[random.Uniform(std::size(kDurabilities))];
  for (BucketOptions* bucket : {&o.default_bucket, &scenario.named_options}) {
    constexpr size_t kBlockSizes[] = {256, 1024, 4096};
    bucket->block_size_bytes = kBlockSizes[random.Uniform(std::size(kBlockSizes))];
    bucket->block_restart_interval = static_cast<int>(random.Range(1, 16));
    bucket->bloom_bits_per_key = random.OneIn(2) ? 0 : 10;
    bucket->prefix_length = random.Uniform(3);
    bucket->compression = random.OneIn(2) ? Compression::kNone : Compression::kLz4;
  }
  const auto presets = faultfs::CrashPolicyPresets();
  scenario.crash_policy = std::string(presets[random.Uniform(presets.size())].name);
  scenario.check_every_step = random.OneIn(4);
}

// A seeded fault mix: each kind is on with some probability, or absent
// entirely (swarm testing); half the seeds run fault-free. Media faults
// (damaged bytes rather than failed calls) are rarer: a damaged table can
// end a run early, as inconclusive.
void DrawFaultMix(Random& random, Scenario& scenario) {
  using faultfs::FaultKind;
  using faultfs::FileOp;
  if (random.OneIn(2)) return;
  struct Candidate {
    const char* name;
    FaultKind kind;
    std::vector<FileOp> ops;
    std::vector<FileKind> file_kinds;
    int one_in;
    // The op is rare (WAL reads happen only in recovery): fire far more often.
    bool rare_op = false;
  };
  const std::vector<FileOp> writes = {FileOp::kAppend, FileOp::kWrite};
  const std::vector<FileOp> syncs = {FileOp::kSync, FileOp::kSyncData};
  const Candidate candidates[] = {
      {"wal-write-eio", FaultKind::kEio, writes, {FileKind::kWal}, 4},
      {"wal-sync-eio", FaultKind::kEio, syncs, {FileKind::kWal}, 4},
      {"wal-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kWal}, 4},
      {"wal-short-write", FaultKind::kShortWrite, writes, {FileKind::kWal}, 6},
      {"table-write-eio", FaultKind::kEio, writes, {FileKind::kTable}, 4},
      {"table-sync-eio", FaultKind::kEio, syncs, {FileKind::kTable}, 4},
      {"table-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kTable}, 4},
      {"table-short-write", FaultKind::kShortWrite, writes, {FileKind::kTable}, 6},
      {"manifest-write-eio", FaultKind::kEio, writes, {FileKind::kManifest}, 4},
      {"manifest-sync-eio", FaultKind::kEio, syncs, {FileKind::kManifest}, 4},
      {"current-rename-eio", FaultKind::kEio, {FileOp::kRename}, {FileKind::kCurrent}, 4},
      {"wal-sync-loses-data", FaultKind::kSyncLosesData, syncs, {FileKind::kWal}, 4},
      {"table-read-eio", FaultKind::kEio, {FileOp::kRead}, {FileKind::kTable}, 4},
      {"table-read-bit-flip", FaultKind::kBitFlipOnRead, {FileOp::kRead}, {FileKind::kTable}, 8},
      {"table-latent-sector", FaultKind::kLatentSectorError, {FileOp::kRead}, {FileKind::kTable}, 12},
      {"table-short-read", FaultKind::kShortRead, {FileOp::kRead}, {FileKind::kTable}, 8},
      {"table-misdirected-write", FaultKind::kMisdirectedWrite, writes, {FileKind::kTable}, 12},
      // Recovery reads the WAL: damage inside synced records must be
      // Corruption, never taken for a torn tail.
      {"wal-read-bit-flip", FaultKind::kBitFlipOnRead, {FileOp::kRead}, {FileKind::kWal}, 6, true},
      {"wal-latent-sector", FaultKind::kLatentSectorError, {FileOp::kRead}, {FileKind::kWal}, 16,
       true},
      {"wal-misdirected-write", FaultKind::kMisdirectedWrite, writes, {FileKind::kWal}, 12},
      {"latency", FaultKind::kLatency, {}, {}, 4},
  };
  for (const Candidate& candidate : candidates) {
    if (!random.OneIn(static_cast<uint64_t>(candidate.one_in))) continue;
    ScenarioFault fault;
    fault.rule = faultfs::FaultRule{
        .name = candidate.name,
        .when = {.ops = candidate.ops,
                 .file_kinds = candidate.file_kinds,
                 .probability = 0.001 * static_cast<double>(random.Range(1, 10))},
        .kind = candidate.kind};
    if (candidate.rare_op) {
      // One fault, on the nth such op of the run: a flip on a WAL read is
      // transient, and the reader's second read must see through it.
      fault.rule.when.probability = 1.0;
      fault.rule.when.nth = random.Range(1, 6);
    }
    if (candidate.kind == FaultKind::kLatency) {
      fault.rule.when.probability = 0.1;
      fault.rule.latency_ns = 1000 + random.Uniform(200'000);
    }
    // A window rule starts off; fault_on / fault_off steps toggle it.
    fault.enabled = !random.OneIn(3);
    scenario.faults.push_back(std::move(fault));
  }
}

class StepDrawer {
 public:
  StepDrawer(Random& random, Scenario& scenario) : random_(random), scenario_(scenario) {}

  void Phase(int clients, int ops_per_client) {
    // Round-robin listing; the clients run concurrently anyway.
    for (int op = 0; op < ops_per_client; ++op) {
      for (int c = 0; c < clients; ++c) ClientOp(c);
    }
  }

  void Check() {
    Step step;
    step.kind = Step::Kind::kCheck;
    step.maintain_steps = static_cast<int>(random_.Range(1, kMaxCheckMaintenanceSteps));
    Add(std::move(step));
  }

  void Crash(bool mid_phase) {
    Step step;
    step.kind = Step::Kind::kCrash;
    if (mid_phase) {
      if (random_.OneIn(3)) {
        step.crash_after_dir_ops = random_.Range(1, kMaxCrashDirOps);
      } else {
        step.crash_steps = random_.Range(1, kMaxMidPhaseCrashStep);
      }
    }
    Add(std::move(step));
    snapshot_of_client_.fill(std::nullopt);
  }

  void CrashInOpen() {
    Step step;
    step.kind = Step::Kind::kCrashInOpen;
    if (random_.OneIn(2)) {
      step.crash_after_dir_ops = random_.Range(1, kMaxCrashDirOps);
    } else {
      step.crash_steps = random_.Range(1, kMaxOpenCrashStep);
    }
    Add(std::move(step));
  }

 private:
  void Add(Step step) {
    KILN_ASSERT(scenario_.steps.size() < kMaxScenarioSteps);
    scenario_.steps.push_back(std::move(step));
  }

  Step ClientStep(int client, Step::Kind kind) {
    Step step;
    step.kind = kind;
    step.client = client;
    return step;
  }

  void ClientOp(int client) {
    const uint64_t dice = random_.Uniform(100);
    const bool manual = scenario_.options.background_tasks == 0;
    if (!scenario_.faults.empty() && random_.OneIn(40)) {
      const ScenarioFault& fault = scenario_.faults[random_.Uniform(scenario_.faults.size())];
      Step step = ClientStep(client, random_.OneIn(2) ? Step::Kind::kFaultOn : Step::Kind::kFaultOff);
      step.fault = fault.rule.name;
      Add(std::move(step));
    } else if (dice < 22) {
      Step step = ClientStep(client, Step::Kind::kPut);
      step.entries.push_back(DrawEntry(0));
      step.kind = step.entries[0].entry.kind == ModelEntry::Kind::kPut      ? Step::Kind::kPut
                  : step.entries[0].entry.kind == ModelEntry::Kind::kDelete ? Step::Kind::kDelete
                                                                             : Step::Kind::kDeleteRange;
      DrawDurability(step);
      Add(std::move(step));
    } else if (dice < 34) {
      Step step = ClientStep(client, Step::Kind::kBatch);
      const size_t count = random_.Range(1, kMaxBatchEntries);
      for (size_t i = 0; i < count; ++i) step.entries.push_back(DrawEntry(i));
      DrawDurability(step);
      Add(std::move(step));
    } else if (dice < 50) {
      Step step = ClientStep(client, Step::Kind::kGet);
      step.bucket = static_cast<int>(random_.Uniform(kModelBuckets));
      step.key = Key(random_);
      step.via_db = step.bucket == 0 && random_.OneIn(2);
      MaybeAtSnapshot(client, step);
      Add(std::move(step));
    } else if (dice < 62) {
      Add(DrawScan(client));
    } else if (dice < 72) {
      std::optional<int>& held = snapshot_of_client_[static_cast<size_t>(client)];
      if (!held.has_value() || random_.OneIn(3)) {
        Step step = ClientStep(client, Step::Kind::kSnapshot);
        held = next_snapshot_id_++;
        step.snapshot_id = held;
        Add(std::move(step));
      } else {
        Step step = ClientStep(client, Step::Kind::kRelease);
        step.snapshot_id = held;
        held.reset();
        Add(std::move(step));
      }
    } else if (dice < 75) {
      Add(ClientStep(client, Step::Kind::kFlush));
    } else if (dice < 78) {
      Step step = ClientStep(client, Step::Kind::kCompact);
      if (random_.OneIn(2)) step.begin = Bound(random_);
      if (random_.OneIn(2)) step.end = Bound(random_);
      Add(std::move(step));
    } else if (dice < 83) {
      Step step = ClientStep(client, Step::Kind::kPersist);
      step.durability = kDurabilities[random_.Uniform(std::size(kDurabilities))];
      Add(std::move(step));
    } else if (dice < 88 && manual) {
      Add(ClientStep(client, Step::Kind::kMaintain));
    } else {
      Step step = ClientStep(client, Step::Kind::kSleep);
      step.sleep_ns = random_.Range(1, 200'000);
      Add(std::move(step));
    }
  }

  void MaybeAtSnapshot(int client, Step& step) {
    const std::optional<int>& held = snapshot_of_client_[static_cast<size_t>(client)];
    if (held.has_value() && random_.OneIn(2)) step.snapshot_id = held;
  }

  std::string Value(size_t entry) {
    if (random_.OneIn(25)) return "";
    std::string value =
        "s" + std::to_string(scenario_.steps.size()) + "e" + std::to_string(entry) + ".";
    value.append(random_.Uniform(max_value_bytes_ + 1), static_cast<char>('a' + random_.Uniform(26)));
    return value;
  }

  ScenarioEntry DrawEntry(size_t index) {
    ScenarioEntry e;
    e.entry.bucket = static_cast<int>(random_.Uniform(kModelBuckets));
    const uint64_t kind = random_.Uniform(10);
    if (kind < 6) {
      e.entry.kind = ModelEntry::Kind::kPut;
      e.entry.key = Key(random_);
      e.entry.value = Value(index);
    } else if (kind < 9) {
      e.entry.kind = ModelEntry::Kind::kDelete;
      e.entry.key = Key(random_);
    } else {
      e.entry.kind = ModelEntry::Kind::kDeleteRange;
      std::string begin = Bound(random_);
      std::string end = Bound(random_);
      if (end < begin) std::swap(begin, end);
      if (begin == end) end += "0";
      e.entry.key = begin;
      e.entry.value = end;
    }
    e.via_db = e.entry.bucket == 0 && random_.OneIn(2);
    return e;
  }

  void DrawDurability(Step& step) {
    if (random_.OneIn(4)) step.durability = kDurabilities[random_.Uniform(std::size(kDurabilities))];
  }

  Step DrawScan(int client) {
    Step step = ClientStep(client, Step::Kind::kScan);
    step.bucket = static_cast<int>(random_.Uniform(kModelBuckets));
    MaybeAtSnapshot(client, step);
    if (random_.OneIn(3)) step.lower_bound = Bound(random_);
    if (random_.OneIn(3)) step.upper_bound = Bound(random_);
    if (random_.OneIn(4)) step.prefix = kScanPrefixes[random_.Uniform(std::size(kScanPrefixes))];
    step.fill_cache = !random_.OneIn(4);
    step.reverse = random_.OneIn(2);
    if (random_.OneIn(2)) step.start = Bound(random_);
    step.limit = random_.Range(1, kMaxScanEntries);
    if (random_.OneIn(3)) {
      // Direction changes: runs of Next and Prev.
      const size_t steps = random_.Range(1, kMaxScanEntries);
      bool forward = random_.OneIn(2);
      for (size_t i = 0; i < steps; ++i) {
        if (random_.OneIn(4)) forward = !forward;
        step.walk.push_back(forward);
      }
    }
    step.via_db = step.bucket == 0 && random_.OneIn(2);
    return step;
  }

 public:
  size_t max_value_bytes_ = 16;

 private:
  Random& random_;
  Scenario& scenario_;
  std::array<std::optional<int>, kMaxClients> snapshot_of_client_{};
  int next_snapshot_id_ = 1;
};

}  // namespace

Scenario GenerateScenario(uint64_t seed) {
  Scenario scenario;
  scenario.seed = seed;
  Random random(MixSeed(seed, StableHash64("scenario-generator")));
  DrawOptions(random, scenario);
  // Its own stream: adding this choice left every other draw of a seed as it
  // was, so seeds recorded before it still make the same scenarios.
  scenario.options.map_table_files =
      Random(MixSeed(seed, StableHash64("scenario-generator/map_table_files"))).OneIn(2);
  {
    // Plain WAL appends, or mapped ones reserving a little or the default.
    Random reserve(MixSeed(seed, StableHash64("scenario-generator/wal_reserve_bytes")));
    constexpr uint64_t kReserves[] = {0, 512, 4096, uint64_t{1} << 20};
    scenario.options.wal_reserve_bytes = kReserves[reserve.Uniform(std::size(kReserves))];
  }
  DrawFaultMix(random, scenario);
  const int clients = static_cast<int>(random.Range(1, kMaxClients));
  const int ops_per_client = static_cast<int>(random.Range(10, kMaxOpsPerClient));
  StepDrawer drawer(random, scenario);
  constexpr size_t kValueSizes[] = {8, 64, 512, 4096};
  drawer.max_value_bytes_ = kValueSizes[random.Uniform(std::size(kValueSizes))];
  const int cycles = static_cast<int>(random.Range(kMinCycles, kMaxCycles));
  for (int cycle = 0; cycle < cycles; ++cycle) {
    if (cycle > 0 && random.OneIn(4)) drawer.CrashInOpen();
    const int phases = static_cast<int>(random.Range(1, kMaxPhases));
    const bool mid_phase_crash = random.OneIn(2);
    for (int phase = 0; phase < phases; ++phase) {
      drawer.Phase(clients, ops_per_client);
      if (phase + 1 < phases || !mid_phase_crash) drawer.Check();
    }
    drawer.Crash(mid_phase_crash);
  }
  KILN_ASSERT_MSG(ValidateScenario(scenario).ok(), "the generator drew an invalid scenario");
  return scenario;
}

}  // namespace kiln::dst
