// The self-test workload: the simulator checking itself end to end before
// the engine arrives. A tiny durable log store runs as several fibers on the
// simulated disk: writers append checksummed records under a lock, a syncer
// group-commits them and acknowledges durability, a checkpointer installs a
// checkpoint file atomically (temp file, sync, rename, sync directory), a
// reader re-reads what was written. The driver crashes the machine at a
// seeded step under a seeded crash policy, with a seeded fault mix, three
// times per seed; after every crash a recovery checks the oracles:
//
//   1. the log holds records 1..S with no holes and each record intact;
//   2. S >= the last sequence acknowledged durable, S <= the last issued;
//   3. the checkpoint file is whole, names a sequence <= S and >= the last
//      checkpoint whose installation was acknowledged.
//
// Variant "selftest-unsafe" acknowledges before syncing: a planted bug the
// oracles must catch (tools/dst/dst_cli_test.sh checks that they do).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "faultfs/crash_policy.h"
#include "faultfs/fault_rule.h"
#include "kiln/env.h"
#include "sim/simulator.h"
#include "tools/dst/sim_report.h"
#include "tools/dst/workload.h"
#include "util/assert.h"
#include "util/sim_hooks.h"
#include "xxhash.h"

namespace kiln::dst {
namespace {

constexpr int kCycles = 3;
constexpr int kMaxWriters = 4;
constexpr int kMaxRecordsPerWriter = 40;
constexpr int kMaxCheckpoints = 4;
constexpr uint32_t kMaxPayloadBytes = 64;
constexpr size_t kRecordHeaderBytes = 4 + 8;
constexpr size_t kRecordTrailerBytes = 8;
constexpr uint64_t kMaxLogBytes = 1 << 20;
constexpr uint64_t kCheckpointBytes = 16;

constexpr char kDir[] = "/selftest";
constexpr char kLogPath[] = "/selftest/log";
constexpr char kCheckpointPath[] = "/selftest/checkpoint";
constexpr char kCheckpointTempPath[] = "/selftest/checkpoint.tmp";

void PutU32(std::string& out, uint32_t value) { out.append(reinterpret_cast<char*>(&value), 4); }
void PutU64(std::string& out, uint64_t value) { out.append(reinterpret_cast<char*>(&value), 8); }
uint32_t GetU32(const char* p) {
  uint32_t value;
  std::memcpy(&value, p, 4);
  return value;
}
uint64_t GetU64(const char* p) {
  uint64_t value;
  std::memcpy(&value, p, 8);
  return value;
}

// The payload of record seq is a function of seq, so recovery can check
// content, not only checksums.
std::string Payload(uint64_t seq) {
  std::string payload(1 + seq % kMaxPayloadBytes, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(seq * 31 + i);
  return payload;
}

uint64_t RecordChecksum(uint64_t seq, std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(), seq);
}

std::string EncodeRecord(uint64_t seq) {
  const std::string payload = Payload(seq);
  std::string record;
  PutU32(record, static_cast<uint32_t>(payload.size()));
  PutU64(record, seq);
  record += payload;
  PutU64(record, RecordChecksum(seq, payload));
  return record;
}

struct ParsedLog {
  uint64_t last_seq = 0;
  uint64_t valid_bytes = 0;
  // Why parsing stopped before the end ("" if it reached the end).
  std::string stop_reason;
};

// Parses records 1, 2, ... until the first one that is not intact.
ParsedLog ParseLog(std::string_view bytes) {
  ParsedLog parsed;
  size_t offset = 0;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < kRecordHeaderBytes) {
      parsed.stop_reason = "short header";
      break;
    }
    const uint32_t length = GetU32(bytes.data() + offset);
    const uint64_t seq = GetU64(bytes.data() + offset + 4);
    if (length == 0 || length > kMaxPayloadBytes ||
        bytes.size() - offset < kRecordHeaderBytes + length + kRecordTrailerBytes) {
      parsed.stop_reason = "bad length";
      break;
    }
    const std::string_view payload = bytes.substr(offset + kRecordHeaderBytes, length);
    const uint64_t checksum = GetU64(bytes.data() + offset + kRecordHeaderBytes + length);
    if (checksum != RecordChecksum(seq, payload)) {
      parsed.stop_reason = "bad checksum";
      break;
    }
    if (seq != parsed.last_seq + 1 || payload != Payload(seq)) {
      parsed.stop_reason = "sequence gap";
      break;
    }
    parsed.last_seq = seq;
    offset += kRecordHeaderBytes + length + kRecordTrailerBytes;
    parsed.valid_bytes = offset;
  }
  return parsed;
}

// What the outside world was told; survives crashes (it lives in the driver).
struct Model {
  bool ack_before_sync = false;  // the planted bug of selftest-unsafe
  uint64_t acked_durable_seq = 0;
  uint64_t issued_seq = 0;
  uint64_t checkpoint_installed = 0;
  uint64_t operations = 0;
  std::string failure;

  void Fail(std::string message) {
    if (failure.empty()) failure = std::move(message);
  }
};

// One incarnation's parameters, drawn by the driver before it runs.
struct IncarnationPlan {
  int writers = 1;
  int records_per_writer = 1;
  int sync_every = 1;
  int checkpoints = 0;
  uint64_t pause_ns = 1000;
};

// The store of one incarnation of the process; owned by its "process" fiber.
class LogStore {
 public:
  LogStore(const Env& env, Model& model)
      : env_(env),
        model_(model),
        mutex_(env.scheduler->NewMutex()),
        changed_(env.scheduler->NewCondVar(*mutex_)) {}

  // Recovers and checks the oracles. False if this incarnation cannot run
  // (an I/O error during recovery: allowed, the store stays closed).
  bool Recover() {
    FileSystem& fs = *env_.file_system;
    absl::StatusOr<bool> dir_exists = fs.Exists(kDir);
    if (!dir_exists.ok()) return false;
    if (!*dir_exists) {
      if (model_.acked_durable_seq > 0) {
        model_.Fail("the store's directory vanished after records were acknowledged durable");
        return false;
      }
      if (!fs.CreateDir(kDir).ok() || !fs.SyncDir("/").ok()) return false;
    }
    absl::StatusOr<std::unique_ptr<File>> log = fs.OpenFile(kLogPath, OpenMode::kCreate);
    if (!log.ok()) return false;
    log_ = std::move(*log);
    if (!fs.SyncDir(kDir).ok()) return false;

    absl::StatusOr<uint64_t> size = log_->Size();
    if (!size.ok() || *size > kMaxLogBytes) return false;
    std::string bytes(*size, '\0');
    absl::StatusOr<size_t> read = log_->Read(0, std::span<char>(bytes.data(), bytes.size()));
    if (!read.ok() || *read != *size) return false;
    const ParsedLog parsed = ParseLog(bytes);
    KILN_PROBE(parsed.valid_bytes < bytes.size(), "selftest: recovery found a torn log tail");
    KILN_PROBE(parsed.last_seq > model_.acked_durable_seq,
               "selftest: recovery kept records never acknowledged durable");
    if (parsed.last_seq < model_.acked_durable_seq) {
      model_.Fail("lost acknowledged records: recovered up to seq " +
                  std::to_string(parsed.last_seq) + " but seq " +
                  std::to_string(model_.acked_durable_seq) + " was acknowledged durable (log " +
                  (parsed.stop_reason.empty() ? "ends" : parsed.stop_reason) + " at byte " +
                  std::to_string(parsed.valid_bytes) + ")");
      return false;
    }
    if (parsed.last_seq > model_.issued_seq) {
      model_.Fail("recovered seq " + std::to_string(parsed.last_seq) +
                  " that was never written (last issued " + std::to_string(model_.issued_seq) +
                  ")");
      return false;
    }
    if (!CheckCheckpoint(parsed.last_seq)) return false;

    // Cut the torn tail so new records follow the last intact one.
    if (!log_->Truncate(parsed.valid_bytes).ok() || !log_->Sync().ok()) return false;
    size_bytes_ = parsed.valid_bytes;
    last_seq_ = durable_seq_ = parsed.last_seq;
    model_.issued_seq = parsed.last_seq;  // anything later is gone for good
    return true;
  }

  // Runs the incarnation's fibers to completion. May yield.
  void Serve(const IncarnationPlan& plan) {
    std::vector<std::unique_ptr<Task>> tasks;
    tasks.push_back(env_.scheduler->Spawn("syncer", [this] { SyncLoop(); }));
    for (int w = 0; w < plan.writers; ++w) {
      tasks.push_back(env_.scheduler->Spawn("writer", [this, plan] { WriteLoop(plan); }));
    }
    tasks.push_back(env_.scheduler->Spawn("reader", [this, plan] { ReadLoop(plan); }));
    std::unique_ptr<Task> checkpointer =
        env_.scheduler->Spawn("checkpointer", [this, plan] { CheckpointLoop(plan); });
    for (size_t i = 1; i < tasks.size(); ++i) tasks[i]->Join();
    checkpointer->Join();
    {
      MutexLock lock(*mutex_);
      done_ = true;
      changed_->SignalAll();
    }
    tasks[0]->Join();
    (void)log_->Close();
  }

 private:
  bool CheckCheckpoint(uint64_t recovered_seq) {
    FileSystem& fs = *env_.file_system;
    absl::StatusOr<bool> temp_exists = fs.Exists(kCheckpointTempPath);
    if (!temp_exists.ok()) return false;
    KILN_PROBE(*temp_exists, "selftest: a checkpoint temp file survived a crash");
    if (*temp_exists && !fs.RemoveFile(kCheckpointTempPath).ok()) return false;
    absl::StatusOr<bool> exists = fs.Exists(kCheckpointPath);
    if (!exists.ok()) return false;
    if (!*exists) {
      if (model_.checkpoint_installed > 0) {
        model_.Fail("an installed checkpoint vanished");
        return false;
      }
      return true;
    }
    absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile(kCheckpointPath, OpenMode::kRead);
    if (!file.ok()) return false;
    char bytes[kCheckpointBytes + 1];
    absl::StatusOr<size_t> read = (*file)->Read(0, std::span<char>(bytes, sizeof(bytes)));
    if (!read.ok()) return false;
    const uint64_t value = GetU64(bytes);
    if (*read != kCheckpointBytes || GetU64(bytes + 8) != XXH3_64bits_withSeed(bytes, 8, 7)) {
      model_.Fail("the checkpoint file is torn (" + std::to_string(*read) +
                  " bytes); it was installed by an atomic rename");
      return false;
    }
    if (value < model_.checkpoint_installed || value > recovered_seq) {
      model_.Fail("checkpoint names seq " + std::to_string(value) + ", outside [" +
                  std::to_string(model_.checkpoint_installed) + ", " +
                  std::to_string(recovered_seq) + "]");
      return false;
    }
    return true;
  }

  void WriteLoop(const IncarnationPlan& plan) {
    for (int k = 0; k < plan.records_per_writer; ++k) {
      uint64_t seq;
      {
        MutexLock lock(*mutex_);
        if (failed_) return;
        seq = last_seq_ + 1;
        const std::string record = EncodeRecord(seq);
        if (!log_->Append(record).ok()) {
          KILN_PROBE(true, "selftest: an append failed; the store stops acknowledging");
          failed_ = true;
          changed_->SignalAll();
          return;
        }
        last_seq_ = seq;
        size_bytes_ += record.size();
        model_.issued_seq = std::max(model_.issued_seq, seq);
        ++model_.operations;
        if (model_.ack_before_sync && k % plan.sync_every == 0) {
          model_.acked_durable_seq = std::max(model_.acked_durable_seq, seq);
        }
      }
      if (k % plan.sync_every == 0 && !WaitDurable(seq)) return;
      if (KILN_BUGGIFY) env_.clock->SleepNs(plan.pause_ns * 10);
      env_.clock->SleepNs(plan.pause_ns);
    }
  }

  // Asks the syncer for durability up to seq and waits; true when acknowledged.
  bool WaitDurable(uint64_t seq) {
    MutexLock lock(*mutex_);
    sync_requested_ = true;
    changed_->SignalAll();
    while (durable_seq_ < seq && !failed_) changed_->Wait();
    if (durable_seq_ < seq) return false;
    model_.acked_durable_seq = std::max(model_.acked_durable_seq, seq);
    return true;
  }

  // Group commit: one sync covers every record appended before it started.
  void SyncLoop() {
    while (true) {
      uint64_t target;
      {
        MutexLock lock(*mutex_);
        while (!sync_requested_ && !done_ && !failed_) changed_->Wait();
        if (failed_ || (done_ && !sync_requested_)) return;
        sync_requested_ = false;
        sync_in_flight_ = true;
        target = last_seq_;
      }
      const absl::Status synced = log_->Sync();
      MutexLock lock(*mutex_);
      sync_in_flight_ = false;
      if (!synced.ok()) {
        KILN_PROBE(true, "selftest: a log sync failed; the store stops acknowledging");
        failed_ = true;  // sticky: after a failed fsync nothing more is acknowledged
      } else {
        durable_seq_ = std::max(durable_seq_, target);
      }
      changed_->SignalAll();
    }
  }

  // Re-reads everything appended so far and checks it parses completely.
  void ReadLoop(const IncarnationPlan& plan) {
    for (int k = 0; k < 3; ++k) {
      env_.clock->SleepNs(plan.pause_ns * 7);
      MutexLock lock(*mutex_);
      if (failed_) return;
      std::string bytes(size_bytes_, '\0');
      absl::StatusOr<size_t> read = log_->Read(0, std::span<char>(bytes.data(), bytes.size()));
      if (!read.ok()) return;  // an injected read error: nothing to check
      ++model_.operations;
      const ParsedLog parsed = ParseLog(std::string_view(bytes.data(), *read));
      // Durable records can never vanish. Unsynced ones can, while a sync is
      // in flight: a failed fsync drops the dirty pages it could not write
      // before the syncer gets the lock back to mark the store failed
      // (found by seed 1191; tools/dst/testdata/selftest_regressions.txt).
      if (parsed.last_seq < durable_seq_) {
        model_.Fail("a live read lost durable records: saw up to " +
                    std::to_string(parsed.last_seq) + ", durable up to " +
                    std::to_string(durable_seq_) + " (" + parsed.stop_reason + ")");
        return;
      }
      KILN_PROBE(sync_in_flight_ && parsed.last_seq < last_seq_,
                 "selftest: a read raced a failing sync that dropped unsynced records");
      if (!sync_in_flight_ && (*read != size_bytes_ || parsed.last_seq != last_seq_)) {
        model_.Fail("a live read saw records up to " + std::to_string(parsed.last_seq) +
                    " of " + std::to_string(last_seq_) + " (" +
                    (parsed.stop_reason.empty() ? "log ends" : parsed.stop_reason) + ")");
        return;
      }
    }
  }

  void CheckpointLoop(const IncarnationPlan& plan) {
    FileSystem& fs = *env_.file_system;
    for (int k = 0; k < plan.checkpoints; ++k) {
      env_.clock->SleepNs(plan.pause_ns * 5);
      uint64_t value;
      {
        MutexLock lock(*mutex_);
        if (failed_) return;
        value = durable_seq_;
      }
      std::string bytes;
      PutU64(bytes, value);
      PutU64(bytes, XXH3_64bits_withSeed(bytes.data(), 8, 7));
      absl::StatusOr<std::unique_ptr<File>> temp =
          fs.OpenFile(kCheckpointTempPath, OpenMode::kTruncate);
      if (!temp.ok()) return;
      if (!(*temp)->Append(bytes).ok() || !(*temp)->Sync().ok() || !(*temp)->Close().ok()) return;
      if (!fs.Rename(kCheckpointTempPath, kCheckpointPath).ok()) return;
      if (!fs.SyncDir(kDir).ok()) return;
      ++model_.operations;
      model_.checkpoint_installed = std::max(model_.checkpoint_installed, value);
    }
  }

  const Env& env_;
  Model& model_;
  std::unique_ptr<File> log_;
  std::unique_ptr<Mutex> mutex_;
  std::unique_ptr<CondVar> changed_;
  // Guarded by mutex_:
  uint64_t last_seq_ = 0;
  uint64_t durable_seq_ = 0;
  uint64_t size_bytes_ = 0;
  bool sync_requested_ = false;
  bool sync_in_flight_ = false;
  bool failed_ = false;
  bool done_ = false;
};

// A seeded fault mix; some kinds stay off entirely (swarm testing). Only
// faults the store reports as errors: it has no checksummed reads to catch
// silent corruption with, so bit flips belong to the engine's workloads.
void AddFaultMix(Random& random, faultfs::FaultFileSystem& faults) {
  using faultfs::FaultKind;
  using faultfs::FileOp;
  if (random.OneIn(2)) return;  // half the seeds run fault-free
  struct Candidate {
    const char* name;
    FaultKind kind;
    std::vector<FileOp> ops;
  };
  const Candidate candidates[] = {
      {"sync-eio", FaultKind::kEio, {FileOp::kSync}},
      {"sync-loses-data", FaultKind::kSyncLosesData, {FileOp::kSync}},
      {"append-nospace", FaultKind::kNoSpace, {FileOp::kAppend}},
      {"append-short", FaultKind::kShortWrite, {FileOp::kAppend}},
      {"syncdir-eio", FaultKind::kEio, {FileOp::kSyncDir}},
      {"rename-eio", FaultKind::kEio, {FileOp::kRename}},
      {"read-eio", FaultKind::kEio, {FileOp::kRead}},
      {"latency", FaultKind::kLatency, {}},
  };
  for (const Candidate& candidate : candidates) {
    if (!random.OneIn(3)) continue;
    faultfs::FaultRule rule{.name = candidate.name,
                            .when = {.ops = candidate.ops, .probability = 0.02},
                            .kind = candidate.kind};
    if (candidate.kind == FaultKind::kLatency) {
      rule.when.probability = 0.2;
      rule.latency_ns = 1000 + random.Uniform(50'000);
    }
    absl::StatusOr<faultfs::RuleId> id = faults.AddRule(rule);
    KILN_ASSERT_MSG(id.ok(), "selftest fault rule rejected");
  }
}

class SelftestWorkload final : public Workload {
 public:
  explicit SelftestWorkload(bool ack_before_sync) : ack_before_sync_(ack_before_sync) {}
  std::string_view name() const override {
    return ack_before_sync_ ? "selftest-unsafe" : "selftest";
  }
  std::string_view description() const override {
    return ack_before_sync_
               ? "selftest with a planted bug (acknowledges before syncing); must fail"
               : "a durable log store on the simulated disk: crashes, faults, group commit";
  }

  SeedResult Run(const SeedOptions& options) override {
    sim::Simulator sim(sim::SimulatorOptions{.seed = options.seed,
                                             .record_trace = options.record_trace});
    Random random = sim.runtime().NewRandom("selftest");
    Model model;
    model.ack_before_sync = ack_before_sync_;
    const auto presets = faultfs::CrashPolicyPresets();
    const faultfs::CrashPolicy policy = presets[random.Uniform(presets.size())].policy;
    AddFaultMix(random, sim.faults());

    for (int cycle = 0; cycle < kCycles && model.failure.empty(); ++cycle) {
      IncarnationPlan plan{.writers = static_cast<int>(random.Range(1, kMaxWriters)),
                           .records_per_writer =
                               static_cast<int>(random.Range(1, kMaxRecordsPerWriter)),
                           .sync_every = static_cast<int>(random.Range(1, 4)),
                           .checkpoints = static_cast<int>(random.Uniform(kMaxCheckpoints + 1)),
                           .pause_ns = random.Range(100, 20'000)};
      sim.runtime().SpawnDetached("process", [&sim, &model, plan] {
        LogStore store(sim.env(), model);
        if (store.Recover()) store.Serve(plan);
      });
      // Crash at a seeded step: early, in the middle, or after everything ran.
      sim.Run(sim::RunLimits{.max_steps = random.Range(1, 3000)});
      sim.Crash(policy);
    }
    if (model.failure.empty()) {
      sim.RunInFiber("final-recovery", [&sim, &model] {
        LogStore store(sim.env(), model);
        (void)store.Recover();
      });
    }

    SeedResult result;
    FillFromSimulator(sim, options, result);
    result.passed = model.failure.empty();
    result.failure = model.failure;
    result.operations = model.operations;
    return result;
  }

 private:
  bool ack_before_sync_;
};

const bool registered =
    RegisterWorkload("selftest", [] { return std::make_unique<SelftestWorkload>(false); }) &&
    RegisterWorkload("selftest-unsafe", [] { return std::make_unique<SelftestWorkload>(true); });

}  // namespace
}  // namespace kiln::dst
