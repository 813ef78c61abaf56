// The engine workload: the real engine (kiln/db.h) in the simulator, checked
// against a reference model (engine_model.h) across crashes and faults.
//
// Per seed, with everything drawn from one seeded stream: swarm options
// (memtable budget, block size, bloom bits, compression, L0 triggers, file
// sizes, background tasks or manual maintenance, durability floor), a crash
// policy preset and a fault mix. Then two or three incarnations of a process:
// each recovers the database and checks the recovered state, then runs
// phases of client fibers doing random operations on two buckets over a
// small key space, checking every read against the model; after each phase
// CheckInvariants and a full scan at a snapshot. The machine crashes at a
// seeded step, sometimes mid-phase. The oracles:
//
//   1. A read at a snapshot equals the model at the snapshot's sequence; a
//      read without one equals the model at some batch boundary between the
//      published sequences just before and just after it.
//   2. After a crash, the recovered state equals the model at some batch
//      boundary S, last acknowledged durable <= S <= last issued; or, if
//      writes failed, at the last issued plus any ordered subset of the
//      failed batches (each all-or-nothing).
//   3. CheckInvariants is OK after every phase and every recovery.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultfs/crash_policy.h"
#include "faultfs/fault_rule.h"
#include "kiln/db.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "tools/dst/engine_model.h"
#include "tools/dst/sim_report.h"
#include "tools/dst/workload.h"
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
constexpr int kMaxOpenAttempts = 4;
// Polls (of kModelWaitNs each) a reader waits for the fibers that committed
// the batches it saw to record them in the model.
constexpr int kMaxModelWaits = 10'000;
constexpr uint64_t kModelWaitNs = 1'000;
// Manual maintenance steps after a phase when background_tasks == 0.
constexpr int kMaxMaintenanceSteps = 8;
// Failed batches whose orders a recovery check enumerates: each client
// stops after its first failed write, so there is at most one per client.
constexpr size_t kMaxUncertainBatches = kMaxClients;
// Scheduling steps an incarnation may take when it is not crashed mid-phase;
// a typical one takes tens of thousands, so more means fibers that keep
// waking each other without progress (a livelock).
constexpr uint64_t kMaxIncarnationSteps = 3'000'000;
constexpr uint64_t kMaxMidPhaseCrashStep = 40'000;
// An open takes a few hundred steps; a crash lands somewhere inside it.
constexpr uint64_t kMaxOpenCrashStep = 600;

constexpr char kDbPath[] = "/db";
constexpr char kNamedBucket[] = "named";
constexpr char kKeyPrefixes[] = "abc";
constexpr int kKeysPerPrefix = 12;
// Range and iterator bounds also fall between and around the keys.
constexpr const char* kExtraBounds[] = {"a", "b", "b05", "c", "d", "a0", "c1"};
constexpr const char* kScanPrefixes[] = {"a", "b", "c", "a0", "b1", "c0", "z"};

constexpr Durability kDurabilities[] = {Durability::kBuffered, Durability::kFlush,
                                        Durability::kSyncData, Durability::kSyncAll};

struct Config {
  Options options;
  BucketOptions named_options;
  faultfs::CrashPolicy policy;
  int clients = 1;
  int ops_per_client = 1;
  size_t max_value_bytes = 16;
  bool read_faults = false;
  // The fault mix's rules, switched off for a last recovery attempt.
  std::vector<faultfs::RuleId> fault_rules;
};

// What the outside world was told; lives in the driver, across crashes.
struct Tracker {
  EngineModel model;
  // The last sequence acknowledged durable (or made durable by recovery).
  uint64_t durable_sequence = 0;
  // Batches whose write returned an error: present or absent after a crash.
  std::vector<std::vector<ModelEntry>> uncertain;
  // A write or maintenance call failed: the database's sticky error is set
  // (or a crash is under way), so the incarnation stops writing.
  bool broken = false;
  uint64_t operations = 0;
  std::string failure;

  void Fail(std::string message) {
    if (failure.empty()) failure = std::move(message);
  }
};

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

std::string StatusText(const absl::Status& status) {
  return std::string(absl::StatusCodeToString(status.code())) + ": " +
         std::string(status.message().data(), status.message().size());
}

std::string Show(const std::optional<std::string>& value) {
  if (!value.has_value()) return "<absent>";
  return "\"" + value->substr(0, 24) + (value->size() > 24 ? "..." : "") + "\"";
}

// Errors the fault mix can cause. Anything else is a failure.
bool IsInjectedError(const absl::Status& status) { return IsIOError(status) || IsNoSpace(status); }

Config DrawConfig(Random& random) {
  Config config;
  Options& o = config.options;
  o.create_if_missing = true;
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
  for (BucketOptions* bucket : {&o.default_bucket, &config.named_options}) {
    constexpr size_t kBlockSizes[] = {256, 1024, 4096};
    bucket->block_size_bytes = kBlockSizes[random.Uniform(std::size(kBlockSizes))];
    bucket->block_restart_interval = static_cast<int>(random.Range(1, 16));
    bucket->bloom_bits_per_key = random.OneIn(2) ? 0 : 10;
    bucket->prefix_length = random.Uniform(3);
    bucket->compression = random.OneIn(2) ? Compression::kNone : Compression::kLz4;
  }
  const auto presets = faultfs::CrashPolicyPresets();
  config.policy = presets[random.Uniform(presets.size())].policy;
  config.clients = static_cast<int>(random.Range(1, kMaxClients));
  config.ops_per_client = static_cast<int>(random.Range(10, kMaxOpsPerClient));
  constexpr size_t kValueSizes[] = {8, 64, 512, 4096};
  config.max_value_bytes = kValueSizes[random.Uniform(std::size(kValueSizes))];
  return config;
}

// A seeded fault mix; each kind is on with some probability (swarm testing).
// Only faults the engine reports as errors: writes, syncs and table reads
// fail (a failed WAL sync may drop the unsynced pages, as Linux does), or slow.
std::vector<faultfs::RuleId> AddFaultMix(Random& random, faultfs::FaultFileSystem& faults,
                                         bool& read_faults) {
  using faultfs::FaultKind;
  using faultfs::FileOp;
  std::vector<faultfs::RuleId> rules;
  if (random.OneIn(2)) return rules;  // half the seeds run fault-free
  struct Candidate {
    const char* name;
    FaultKind kind;
    std::vector<FileOp> ops;
    std::vector<FileKind> file_kinds;
  };
  const std::vector<FileOp> writes = {FileOp::kAppend, FileOp::kWrite};
  const std::vector<FileOp> syncs = {FileOp::kSync, FileOp::kSyncData};
  const Candidate candidates[] = {
      {"wal-write-eio", FaultKind::kEio, writes, {FileKind::kWal}},
      {"wal-sync-eio", FaultKind::kEio, syncs, {FileKind::kWal}},
      {"wal-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kWal}},
      {"table-write-eio", FaultKind::kEio, writes, {FileKind::kTable}},
      {"table-sync-eio", FaultKind::kEio, syncs, {FileKind::kTable}},
      {"table-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kTable}},
      {"manifest-write-eio", FaultKind::kEio, writes, {FileKind::kManifest}},
      {"manifest-sync-eio", FaultKind::kEio, syncs, {FileKind::kManifest}},
      {"current-rename-eio", FaultKind::kEio, {FileOp::kRename}, {FileKind::kCurrent}},
      {"wal-sync-loses-data", FaultKind::kSyncLosesData, syncs, {FileKind::kWal}},
      {"table-read-eio", FaultKind::kEio, {FileOp::kRead}, {FileKind::kTable}},
      {"latency", FaultKind::kLatency, {}, {}},
  };
  for (const Candidate& candidate : candidates) {
    if (!random.OneIn(4)) continue;
    faultfs::FaultRule rule{
        .name = candidate.name,
        .when = {.ops = candidate.ops,
                 .file_kinds = candidate.file_kinds,
                 .probability = 0.001 * static_cast<double>(random.Range(1, 10))},
        .kind = candidate.kind};
    if (candidate.kind == FaultKind::kLatency) {
      rule.when.probability = 0.1;
      rule.latency_ns = 1000 + random.Uniform(200'000);
    }
    if (candidate.ops.size() == 1 && candidate.ops[0] == FileOp::kRead) read_faults = true;
    absl::StatusOr<faultfs::RuleId> id = faults.AddRule(rule);
    KILN_ASSERT_MSG(id.ok(), "engine workload fault rule rejected");
    rules.push_back(*id);
  }
  return rules;
}

struct ScanSpec {
  ReadOptions options;
  bool reverse = false;
  // Non-empty: after positioning, step Next (true) or Prev (false) in this
  // order, recording every entry visited (limit is ignored).
  std::vector<bool> walk;
  std::optional<std::string> start;  // Seek / SeekForPrev target; else SeekToFirst / SeekToLast
  size_t limit = kMaxScanEntries;
};

using ScanResult = std::vector<std::pair<std::string, std::string>>;

ScanResult ExpectedScan(const ModelBucketState& state, const ScanSpec& spec) {
  ScanResult in_view;
  for (const auto& [key, value] : state) {
    if (spec.options.lower_bound.has_value() && key < *spec.options.lower_bound) continue;
    if (spec.options.upper_bound.has_value() && key >= *spec.options.upper_bound) continue;
    if (spec.options.prefix.has_value() &&
        key.compare(0, spec.options.prefix->size(), *spec.options.prefix) != 0) {
      continue;
    }
    in_view.emplace_back(key, value);
  }
  ScanResult result;
  if (!spec.walk.empty()) {
    // Positions index in_view; -1 and size() are "invalid".
    int64_t at = 0;
    const int64_t size = static_cast<int64_t>(in_view.size());
    if (!spec.reverse) {
      while (at < size && spec.start.has_value() &&
             in_view[static_cast<size_t>(at)].first < *spec.start)
        ++at;
    } else {
      at = size - 1;
      while (at >= 0 && spec.start.has_value() &&
             in_view[static_cast<size_t>(at)].first > *spec.start)
        --at;
    }
    for (size_t step = 0; at >= 0 && at < size; ++step) {
      result.push_back(in_view[static_cast<size_t>(at)]);
      if (step == spec.walk.size()) break;
      at += spec.walk[step] ? 1 : -1;
    }
    return result;
  }
  if (!spec.reverse) {
    for (const auto& entry : in_view) {
      if (result.size() >= spec.limit) break;
      if (spec.start.has_value() && entry.first < *spec.start) continue;
      result.push_back(entry);
    }
  } else {
    for (auto it = in_view.rbegin(); it != in_view.rend(); ++it) {
      if (result.size() >= spec.limit) break;
      if (spec.start.has_value() && it->first > *spec.start) continue;
      result.push_back(*it);
    }
  }
  return result;
}

std::string DescribeScanDifference(const ScanResult& expected, const ScanResult& got) {
  for (size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
    const std::optional<std::string> want_key =
        i < expected.size() ? std::optional(expected[i].first) : std::nullopt;
    const std::optional<std::string> got_key =
        i < got.size() ? std::optional(got[i].first) : std::nullopt;
    if (want_key != got_key) {
      return "entry " + std::to_string(i) + ": expected key " + Show(want_key) + ", got key " +
             Show(got_key);
    }
    if (expected[i].second != got[i].second) {
      return "key \"" + expected[i].first + "\": expected " + Show(expected[i].second) + ", got " +
             Show(got[i].second);
    }
  }
  return "";
}

std::string DescribeScan(const ScanSpec& spec) {
  std::string text = spec.reverse ? "reverse scan" : "scan";
  if (spec.options.lower_bound) text += " lower=" + *spec.options.lower_bound;
  if (spec.options.upper_bound) text += " upper=" + *spec.options.upper_bound;
  if (spec.options.prefix) text += " prefix=" + *spec.options.prefix;
  if (spec.start) text += " from=" + *spec.start;
  if (!spec.walk.empty()) {
    text += " walk=";
    for (bool next : spec.walk) text += next ? 'n' : 'p';
  }
  return text;
}

// One incarnation of the process: an open database and the fibers using it.
class Incarnation {
 public:
  Incarnation(sim::Simulator& sim, const Config& config, Tracker& tracker, Db& db,
              std::array<Bucket*, kModelBuckets> buckets)
      : sim_(sim), config_(config), tracker_(tracker), db_(db), buckets_(buckets) {}

  // The coordinator: phases of client fibers, each followed by checks. May yield.
  void RunPhases(int phases, std::vector<Random> client_randoms, Random random) {
    KILN_ASSERT(static_cast<int>(client_randoms.size()) == config_.clients * phases);
    for (int phase = 0; phase < phases; ++phase) {
      if (Stopped()) return;
      std::vector<std::unique_ptr<Task>> clients;
      for (int c = 0; c < config_.clients; ++c) {
        Random client_random = client_randoms[static_cast<size_t>(phase * config_.clients + c)];
        clients.push_back(sim_.env().scheduler->Spawn(
            "client", [this, c, client_random]() mutable { Client(c, client_random); }));
      }
      for (auto& client : clients) client->Join();
      clients.clear();
      if (Stopped()) return;
      if (config_.options.background_tasks == 0) {
        for (int step = 0; step < kMaxMaintenanceSteps && !Stopped(); ++step) {
          absl::StatusOr<bool> did = db_.DoMaintenanceStep();
          if (!did.ok()) {
            NoteFailedCall("DoMaintenanceStep", did.status());
            break;
          }
          if (!*did || random.OneIn(3)) break;
        }
      }
      if (Stopped()) return;
      const absl::Status invariants = db_.CheckInvariants();
      if (!invariants.ok() && !Crashing()) {
        tracker_.Fail("CheckInvariants after phase " + std::to_string(phase) + ": " +
                      StatusText(invariants));
        return;
      }
      CheckFullState("after phase " + std::to_string(phase));
    }
  }

 private:
  bool Crashing() const { return sim_.runtime().crashing(); }
  bool Stopped() const { return Crashing() || tracker_.broken || !tracker_.failure.empty(); }

  uint64_t PublishedSequence() { return db_.GetSnapshot()->sequence(); }

  // Waits until every batch up to sequence is in the model. False if the
  // check must be skipped (a crash), or on a failure.
  bool WaitForModel(uint64_t sequence) {
    for (int i = 0; i < kMaxModelWaits; ++i) {
      if (Crashing()) return false;
      if (tracker_.model.complete_through() >= sequence) return true;
      sim_.env().clock->SleepNs(kModelWaitNs);
    }
    if (Crashing()) return false;
    tracker_.Fail("sequence " + std::to_string(sequence) +
                  " was published but the batches below it never returned (model complete to " +
                  std::to_string(tracker_.model.complete_through()) + ")");
    return false;
  }

  // A read error is expected only from an injected read fault (or a crash).
  void NoteReadError(const std::string& what, const absl::Status& status) {
    if (Crashing()) return;
    if (config_.read_faults && IsInjectedError(status)) return;
    tracker_.Fail(what + " failed: " + StatusText(status));
  }

  void NoteFailedCall(const std::string& what, const absl::Status& status) {
    tracker_.broken = true;
    if (Crashing() || IsInjectedError(status)) return;
    tracker_.Fail(what + " failed with an error no fault explains: " + StatusText(status));
  }

  void Client(int client, Random random) {
    std::unique_ptr<Snapshot> snapshot;
    for (int op = 0; op < config_.ops_per_client; ++op) {
      if (Stopped()) return;
      ++tracker_.operations;
      const uint64_t dice = random.Uniform(100);
      if (dice < 22) {
        SingleWrite(random, client, op);
      } else if (dice < 34) {
        BatchWrite(random, client, op);
      } else if (dice < 50) {
        PointRead(random, snapshot.get());
      } else if (dice < 62) {
        Scan(random, snapshot.get());
      } else if (dice < 72) {
        if (snapshot == nullptr || random.OneIn(3)) {
          snapshot = db_.GetSnapshot();
        } else {
          snapshot.reset();
        }
      } else if (dice < 75) {
        const absl::Status status = db_.Flush();
        if (!status.ok()) NoteFailedCall("Flush", status);
      } else if (dice < 78) {
        std::optional<std::string> begin;
        std::optional<std::string> end;
        if (random.OneIn(2)) begin = Bound(random);
        if (random.OneIn(2)) end = Bound(random);
        const absl::Status status =
            db_.CompactRange(begin ? std::optional<std::string_view>(*begin) : std::nullopt,
                             end ? std::optional<std::string_view>(*end) : std::nullopt);
        if (!status.ok()) NoteFailedCall("CompactRange", status);
      } else if (dice < 83) {
        DoPersist(random);
      } else if (dice < 88 && config_.options.background_tasks == 0) {
        absl::StatusOr<bool> did = db_.DoMaintenanceStep();
        if (!did.ok()) NoteFailedCall("DoMaintenanceStep", did.status());
      } else {
        sim_.env().clock->SleepNs(random.Range(1, 200'000));
      }
    }
  }

  std::string Value(Random& random, int client, int op, size_t entry) {
    if (random.OneIn(25)) return "";
    std::string value =
        "c" + std::to_string(client) + "o" + std::to_string(op) + "e" + std::to_string(entry) + ".";
    const size_t filler = random.Uniform(config_.max_value_bytes + 1);
    const char fill = static_cast<char>('a' + random.Uniform(26));
    value.append(filler, fill);
    return value;
  }

  ModelEntry DrawEntry(Random& random, int client, int op, size_t index) {
    ModelEntry entry;
    entry.bucket = static_cast<int>(random.Uniform(kModelBuckets));
    const uint64_t kind = random.Uniform(10);
    if (kind < 6) {
      entry.kind = ModelEntry::Kind::kPut;
      entry.key = Key(random);
      entry.value = Value(random, client, op, index);
    } else if (kind < 9) {
      entry.kind = ModelEntry::Kind::kDelete;
      entry.key = Key(random);
    } else {
      entry.kind = ModelEntry::Kind::kDeleteRange;
      std::string begin = Bound(random);
      std::string end = Bound(random);
      if (end < begin) std::swap(begin, end);
      if (begin == end) end += "0";
      entry.key = begin;
      entry.value = end;
    }
    return entry;
  }

  WriteOptions DrawWriteOptions(Random& random, Durability& effective) {
    WriteOptions options;
    if (random.OneIn(4))
      options.durability = kDurabilities[random.Uniform(std::size(kDurabilities))];
    effective =
        std::max(config_.options.durability, options.durability.value_or(Durability::kBuffered));
    return options;
  }

  void SingleWrite(Random& random, int client, int op) {
    const ModelEntry entry = DrawEntry(random, client, op, 0);
    Durability effective;
    const WriteOptions options = DrawWriteOptions(random, effective);
    // The default bucket through the Db's own methods half the time.
    const bool via_db = entry.bucket == 0 && random.OneIn(2);
    Bucket& bucket = *buckets_[static_cast<size_t>(entry.bucket)];
    absl::StatusOr<CommitInfo> result = absl::InternalError("unset");
    switch (entry.kind) {
      case ModelEntry::Kind::kPut:
        result = via_db ? db_.Put(entry.key, entry.value, options)
                        : bucket.Put(entry.key, entry.value, options);
        break;
      case ModelEntry::Kind::kDelete:
        result = via_db ? db_.Delete(entry.key, options) : bucket.Delete(entry.key, options);
        break;
      case ModelEntry::Kind::kDeleteRange:
        result = via_db ? db_.DeleteRange(entry.key, entry.value, options)
                        : bucket.DeleteRange(entry.key, entry.value, options);
        break;
    }
    RecordWrite({entry}, effective, result);
  }

  void BatchWrite(Random& random, int client, int op) {
    const size_t count = random.Range(1, kMaxBatchEntries);
    std::vector<ModelEntry> entries;
    WriteBatch batch;
    for (size_t i = 0; i < count; ++i) {
      entries.push_back(DrawEntry(random, client, op, i));
      const ModelEntry& entry = entries.back();
      const Bucket* bucket = entry.bucket == 0 && random.OneIn(2)
                                 ? nullptr
                                 : buckets_[static_cast<size_t>(entry.bucket)];
      absl::Status added;
      switch (entry.kind) {
        case ModelEntry::Kind::kPut:
          added = batch.Put(entry.key, entry.value, bucket);
          break;
        case ModelEntry::Kind::kDelete:
          added = batch.Delete(entry.key, bucket);
          break;
        case ModelEntry::Kind::kDeleteRange:
          added = batch.DeleteRange(entry.key, entry.value, bucket);
          break;
      }
      KILN_ASSERT_MSG(added.ok(), "the workload built an invalid batch entry");
    }
    Durability effective;
    const WriteOptions options = DrawWriteOptions(random, effective);
    RecordWrite(entries, effective, db_.Write(batch, options));
  }

  void RecordWrite(const std::vector<ModelEntry>& entries, Durability effective,
                   const absl::StatusOr<CommitInfo>& result) {
    if (!result.ok()) {
      KILN_ASSERT(tracker_.uncertain.size() < kMaxUncertainBatches);
      tracker_.uncertain.push_back(entries);
      NoteFailedCall("a write", result.status());
      return;
    }
    std::string error = tracker_.model.AddBatch(result->sequence, entries);
    if (!error.empty()) {
      tracker_.Fail(error);
      return;
    }
    if (effective >= Durability::kSyncData) {
      tracker_.durable_sequence = std::max(tracker_.durable_sequence, result->sequence);
    }
  }

  void DoPersist(Random& random) {
    const Durability durability = kDurabilities[random.Uniform(std::size(kDurabilities))];
    const uint64_t before = PublishedSequence();
    const absl::Status status = db_.Persist(durability);
    if (!status.ok()) {
      NoteFailedCall("Persist", status);
      return;
    }
    if (durability >= Durability::kSyncData) {
      tracker_.durable_sequence = std::max(tracker_.durable_sequence, before);
    }
  }

  void PointRead(Random& random, const Snapshot* snapshot) {
    const int b = static_cast<int>(random.Uniform(kModelBuckets));
    const std::string key = Key(random);
    const bool at_snapshot = snapshot != nullptr && random.OneIn(2);
    ReadOptions options;
    if (at_snapshot) options.snapshot = snapshot;
    const bool via_db = b == 0 && random.OneIn(2);
    const uint64_t low = at_snapshot ? snapshot->sequence() : PublishedSequence();
    absl::StatusOr<std::optional<std::string>> got =
        via_db ? db_.Get(key, options) : buckets_[static_cast<size_t>(b)]->Get(key, options);
    const uint64_t high = at_snapshot ? low : PublishedSequence();
    const std::string what = "get bucket " + std::to_string(b) + " key \"" + key + "\"";
    if (!got.ok()) {
      NoteReadError(what, got.status());
      return;
    }
    if (!WaitForModel(high)) return;
    std::optional<std::string> expected;
    for (uint64_t sequence : tracker_.model.Boundaries(low, high)) {
      expected = tracker_.model.Get(b, key, sequence);
      if (expected == *got) return;
    }
    tracker_.Fail(what + (at_snapshot ? " at snapshot" : "") + ": got " + Show(*got) +
                  ", expected " + Show(expected) + " at sequence " + std::to_string(high) +
                  " (or any batch boundary from " + std::to_string(low) + ")");
  }

  void Scan(Random& random, const Snapshot* snapshot) {
    const int b = static_cast<int>(random.Uniform(kModelBuckets));
    ScanSpec spec;
    const bool at_snapshot = snapshot != nullptr && random.OneIn(2);
    if (at_snapshot) spec.options.snapshot = snapshot;
    if (random.OneIn(3)) spec.options.lower_bound = Bound(random);
    if (random.OneIn(3)) spec.options.upper_bound = Bound(random);
    if (random.OneIn(4))
      spec.options.prefix = kScanPrefixes[random.Uniform(std::size(kScanPrefixes))];
    spec.options.fill_cache = !random.OneIn(4);
    spec.reverse = random.OneIn(2);
    if (random.OneIn(2)) spec.start = Bound(random);
    spec.limit = random.Range(1, kMaxScanEntries);
    if (random.OneIn(3)) {
      // Direction changes: runs of Next and Prev.
      const size_t steps = random.Range(1, kMaxScanEntries);
      bool forward = random.OneIn(2);
      for (size_t i = 0; i < steps; ++i) {
        if (random.OneIn(4)) forward = !forward;
        spec.walk.push_back(forward);
      }
    }
    const bool via_db = b == 0 && random.OneIn(2);
    const uint64_t low = at_snapshot ? snapshot->sequence() : PublishedSequence();
    std::unique_ptr<Iterator> it =
        via_db ? db_.NewIterator(spec.options)
               : buckets_[static_cast<size_t>(b)]->NewIterator(spec.options);
    const uint64_t high = at_snapshot ? low : PublishedSequence();
    ScanResult got = ReadScan(*it, spec);
    const std::string what = DescribeScan(spec) + " of bucket " + std::to_string(b);
    if (!it->status().ok()) {
      NoteReadError(what, it->status());
      return;
    }
    it.reset();
    if (!WaitForModel(high)) return;
    ScanResult expected;
    for (uint64_t sequence : tracker_.model.Boundaries(low, high)) {
      expected = ExpectedScan(tracker_.model.BucketAt(b, sequence), spec);
      if (expected == got) return;
    }
    tracker_.Fail(what + (at_snapshot ? " at snapshot" : "") + " at sequence " +
                  std::to_string(high) + ": " + DescribeScanDifference(expected, got));
  }

  static ScanResult ReadScan(Iterator& it, const ScanSpec& spec) {
    if (spec.reverse) {
      spec.start ? it.SeekForPrev(*spec.start) : it.SeekToLast();
    } else {
      spec.start ? it.Seek(*spec.start) : it.SeekToFirst();
    }
    ScanResult result;
    if (!spec.walk.empty()) {
      for (size_t step = 0; it.Valid(); ++step) {
        result.emplace_back(std::string(it.key()), std::string(it.value()));
        if (step == spec.walk.size()) break;
        spec.walk[step] ? it.Next() : it.Prev();
      }
      return result;
    }
    while (it.Valid() && result.size() < spec.limit) {
      result.emplace_back(std::string(it.key()), std::string(it.value()));
      spec.reverse ? it.Prev() : it.Next();
    }
    return result;
  }

  // Both buckets, fully, at one snapshot, against the model.
  void CheckFullState(const std::string& when) {
    std::unique_ptr<Snapshot> snapshot = db_.GetSnapshot();
    for (int b = 0; b < kModelBuckets && !Stopped(); ++b) {
      ScanSpec spec{.options = {.snapshot = snapshot.get()}, .limit = SIZE_MAX};
      spec.reverse = b == 1;
      std::unique_ptr<Iterator> it = buckets_[static_cast<size_t>(b)]->NewIterator(spec.options);
      ScanResult got = ReadScan(*it, spec);
      const std::string what =
          "full " + DescribeScan(spec) + " of bucket " + std::to_string(b) + " " + when;
      if (!it->status().ok()) {
        NoteReadError(what, it->status());
        return;
      }
      it.reset();
      if (!WaitForModel(snapshot->sequence())) return;
      const ScanResult expected =
          ExpectedScan(tracker_.model.BucketAt(b, snapshot->sequence()), spec);
      if (expected != got) {
        tracker_.Fail(what + " at sequence " + std::to_string(snapshot->sequence()) + ": " +
                      DescribeScanDifference(expected, got));
        return;
      }
    }
  }

  sim::Simulator& sim_;
  const Config& config_;
  Tracker& tracker_;
  Db& db_;
  const std::array<Bucket*, kModelBuckets> buckets_;
};

// Reads one bucket fully (no snapshot: nothing else writes during recovery).
absl::StatusOr<ModelBucketState> ReadBucket(Bucket& bucket) {
  std::unique_ptr<Iterator> it = bucket.NewIterator();
  ModelBucketState state;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    state.emplace(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return it->status();
  return state;
}

// Whether state equals base plus some ordered subset of the uncertain
// batches (a failed group's batches reached the WAL in an order the
// workload does not know, and a crash keeps a prefix of them).
bool MatchesWithUncertain(const ModelState& base,
                          const std::vector<std::vector<ModelEntry>>& uncertain,
                          std::vector<bool>& used, const ModelState& state) {
  if (base == state) return true;
  for (size_t i = 0; i < uncertain.size(); ++i) {
    if (used[i]) continue;
    used[i] = true;
    ModelState next = base;
    ApplyEntries(uncertain[i], next);
    const bool matched = MatchesWithUncertain(next, uncertain, used, state);
    used[i] = false;
    if (matched) return true;
  }
  return false;
}

class EngineWorkload final : public Workload {
 public:
  std::string_view name() const override { return "engine"; }
  std::string_view description() const override {
    return "the real engine against a model: two buckets, snapshots, scans, crashes, faults";
  }

  SeedResult Run(const SeedOptions& seed_options) override {
    sim::Simulator sim(sim::SimulatorOptions{.seed = seed_options.seed,
                                             .record_trace = seed_options.record_trace});
    Random random = sim.runtime().NewRandom("engine-workload");
    Config config = DrawConfig(random);
    config.options.env = &sim.env();
    config.fault_rules = AddFaultMix(random, sim.faults(), config.read_faults);
    Tracker tracker;
    tracker.model.Reset(ModelState{}, 0);

    std::unique_ptr<Db> db;
    std::array<Bucket*, kModelBuckets> buckets{};
    const int cycles = static_cast<int>(random.Range(kMinCycles, kMaxCycles));
    for (int cycle = 0; cycle < cycles && tracker.failure.empty(); ++cycle) {
      if (random.OneIn(4)) CrashDuringOpen(sim, config, random.Range(1, kMaxOpenCrashStep));
      bool opened = false;
      sim.RunInFiber("recover", [&] { opened = Recover(sim, config, tracker, db, buckets); });
      if (!opened) break;
      const int phases = static_cast<int>(random.Range(1, kMaxPhases));
      std::vector<Random> client_randoms;
      for (int i = 0; i < phases * config.clients; ++i) client_randoms.emplace_back(random.Next());
      Incarnation incarnation(sim, config, tracker, *db, buckets);
      std::unique_ptr<sim::FiberTask> coordinator = sim.runtime().Spawn(
          "coordinator", [&incarnation, phases, client_randoms, seed = random.Next()] {
            incarnation.RunPhases(phases, client_randoms, Random(seed));
          });
      const uint64_t max_steps =
          random.OneIn(2) ? random.Range(1, kMaxMidPhaseCrashStep) : kMaxIncarnationSteps;
      const sim::RunResult run =
          sim.runtime().RunUntilFinished(*coordinator, {.max_steps = max_steps});
      if (run.reason == sim::RunReason::kDeadlock) {
        tracker.Fail("deadlock in cycle " + std::to_string(cycle) + ": " + run.report);
      } else if (run.reason == sim::RunReason::kStepLimit && max_steps == kMaxIncarnationSteps) {
        tracker.Fail("livelock in cycle " + std::to_string(cycle) +
                     ": the clients did not finish in " + std::to_string(kMaxIncarnationSteps) +
                     " steps (simulated time " + std::to_string(run.now_ns) + " ns)");
      }
      sim.Crash(config.policy, [&] {
        coordinator->Join();
        db.reset();
      });
      coordinator.reset();
    }
    if (tracker.failure.empty()) {
      sim.RunInFiber("final-recovery", [&] {
        if (!Recover(sim, config, tracker, db, buckets)) return;
        (void)db->Close();
        db.reset();
      });
    }
    KILN_ASSERT(db == nullptr);
    return Report(sim, seed_options, tracker);
  }

 private:
  // Crashes the machine max_steps into an open (or after it, if it is done
  // by then): recovery must survive crashing during recovery. Whatever the
  // open did, the database's logical state is unchanged.
  static void CrashDuringOpen(sim::Simulator& sim, const Config& config, uint64_t max_steps) {
    std::unique_ptr<Db> doomed;
    std::unique_ptr<sim::FiberTask> opener = sim.runtime().Spawn("open-then-crash", [&] {
      absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(config.options, kDbPath);
      if (opened.ok()) doomed = *std::move(opened);
    });
    (void)sim.runtime().RunUntilFinished(*opener, {.max_steps = max_steps});
    sim.Crash(config.policy, [&] {
      opener->Join();
      doomed.reset();
    });
  }

  // Opens the database after a crash (retrying injected I/O errors, the
  // last attempt without faults) and checks the recovered state. May yield.
  static bool Recover(sim::Simulator& sim, const Config& config, Tracker& tracker,
                      std::unique_ptr<Db>& db, std::array<Bucket*, kModelBuckets>& buckets) {
    for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
      const bool last = attempt + 1 == kMaxOpenAttempts;
      if (last) SetFaultsEnabled(sim, config, false);
      const bool done = TryRecover(config, tracker, db, buckets);
      if (last) SetFaultsEnabled(sim, config, true);
      if (done) return tracker.failure.empty();
      if (!tracker.failure.empty()) return false;
    }
    tracker.Fail("recovery failed " + std::to_string(kMaxOpenAttempts) +
                 " times, the last without any fault");
    return false;
  }

  static void SetFaultsEnabled(sim::Simulator& sim, const Config& config, bool enabled) {
    for (faultfs::RuleId id : config.fault_rules) sim.faults().SetRuleEnabled(id, enabled);
  }

  // True when open and check both ran (the check may have failed). False
  // on an injected error (retry) or a failure.
  static bool TryRecover(const Config& config, Tracker& tracker, std::unique_ptr<Db>& db,
                         std::array<Bucket*, kModelBuckets>& buckets) {
    absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(config.options, kDbPath);
    if (!opened.ok()) {
      if (!IsInjectedError(opened.status())) {
        tracker.Fail("recovery: Db::Open failed: " + StatusText(opened.status()));
      }
      return false;
    }
    db = *std::move(opened);
    absl::StatusOr<Bucket*> named = db->GetOrCreateBucket(kNamedBucket, config.named_options);
    if (!named.ok()) {
      if (!IsInjectedError(named.status())) {
        tracker.Fail("recovery: GetOrCreateBucket failed: " + StatusText(named.status()));
      }
      db.reset();
      return false;
    }
    buckets = {db->DefaultBucket(), *named};
    ModelState state;
    for (int b = 0; b < kModelBuckets; ++b) {
      absl::StatusOr<ModelBucketState> read = ReadBucket(*buckets[static_cast<size_t>(b)]);
      if (!read.ok()) {
        if (!config.read_faults || !IsInjectedError(read.status())) {
          tracker.Fail("recovery: reading bucket " + std::to_string(b) +
                       " failed: " + StatusText(read.status()));
        }
        db.reset();
        return false;
      }
      state[static_cast<size_t>(b)] = *std::move(read);
    }
    const absl::Status invariants = db->CheckInvariants();
    if (!invariants.ok()) {
      tracker.Fail("recovery: CheckInvariants: " + StatusText(invariants));
      db.reset();
      return false;
    }
    CheckRecoveredState(tracker, state);
    const uint64_t recovered_sequence = db->GetSnapshot()->sequence();
    if (recovered_sequence < tracker.durable_sequence) {
      tracker.Fail("recovery: the recovered sequence " + std::to_string(recovered_sequence) +
                   " is below the sequence acknowledged durable " +
                   std::to_string(tracker.durable_sequence));
    }
    if (!tracker.failure.empty()) {
      db.reset();
      return true;
    }
    // Everything recovered is durable now: the open wrote it to synced tables.
    tracker.model.Reset(state, recovered_sequence);
    tracker.durable_sequence = recovered_sequence;
    tracker.uncertain.clear();
    tracker.broken = false;
    return true;
  }

  static void CheckRecoveredState(Tracker& tracker, const ModelState& state) {
    const EngineModel& model = tracker.model;
    const uint64_t low = std::max(tracker.durable_sequence, model.base_sequence());
    const uint64_t high = model.max_sequence();
    std::vector<uint64_t> candidates = model.Boundaries(low, high);
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
      if (model.StateAt(*it) == state) return;
    }
    if (!tracker.uncertain.empty() && high >= low) {
      std::vector<bool> used(tracker.uncertain.size(), false);
      if (MatchesWithUncertain(model.StateAt(high), tracker.uncertain, used, state)) return;
    }
    const uint64_t nearest = candidates.empty() ? high : candidates.back();
    tracker.Fail("recovery: the state matches no sequence in [" + std::to_string(low) + ", " +
                 std::to_string(high) + "] (" + std::to_string(tracker.uncertain.size()) +
                 " failed writes); against sequence " + std::to_string(nearest) + ": " +
                 DescribeStateDifference(model.StateAt(nearest), state));
  }

  static SeedResult Report(sim::Simulator& sim, const SeedOptions& options,
                           const Tracker& tracker) {
    SeedResult result;
    FillFromSimulator(sim, options, result);
    result.passed = tracker.failure.empty();
    result.failure = tracker.failure;
    result.operations = tracker.operations;
    return result;
  }
};

const bool registered =
    RegisterWorkload("engine", [] { return std::make_unique<EngineWorkload>(); });

}  // namespace
}  // namespace kiln::dst
