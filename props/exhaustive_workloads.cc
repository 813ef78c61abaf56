#include "props/exhaustive_workloads.h"

#include <algorithm>
#include <array>
#include <functional>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "kiln/db.h"
#include "kiln/write_batch.h"
#include "props/disk_world.h"
#include "util/assert.h"

namespace kiln::props {
namespace {

using dst::ModelEntry;

constexpr std::array<std::string_view, 3> kKeys = {"ka", "kb", "kc"};
constexpr std::string_view kRangeBegin = "ka";
constexpr std::string_view kRangeEnd = "kc";
// Values are padded so the tiny memtables below switch every write or two.
constexpr size_t kValueBytes = 48;
// DoMaintenanceStep calls after one operation; the work is a few flushes and
// at most a compaction or two, so this is never reached unless it loops.
constexpr int kMaxMaintenanceSteps = 64;
// A flush ends with the written tables and a manifest edit synced, so every
// write committed before Flush() returns survives a crash. db.h only says the
// writes "are in tables"; this test holds the engine to the durable reading.
constexpr bool kFlushMakesWritesDurable = true;

// Sequences for any durability floor: every letter, 1 to 4 operations, with
// flushes landing before, between and after writes and range deletions.
constexpr std::array<std::string_view, 12> kGeneralOps = {
    "P", "PD", "PR", "B", "PPD", "PFP", "BFR", "PBDR", "PRFP", "BFBD", "PFPF", "DPRB",
};
// Sequences for the kBuffered floor: each has a barrier the client asked for
// (S, Y, Q, F), so something is acknowledged durable mid-workload.
constexpr std::array<std::string_view, 8> kBufferedOps = {
    "PS", "PYD", "PQ", "BSPY", "PFP", "PDSR", "QPFD", "RPSB",
};
// The named-bucket option set runs the sequences that write "second".
constexpr std::array<std::string_view, 6> kBucketOps = {
    "B", "PBDR", "BFR", "BFBD", "DPRB", "BQ",
};

const OptionSet& ManualTiny() {
  // No background tasks: the host runs maintenance after every operation; a
  // 256-byte memtable switches on almost every write, and two L0 tables
  // trigger a compaction, so flushes and compactions land mid-workload.
  static const OptionSet set{
      .name = "manual_tiny",
      .options =
          Options{.memtable_budget_bytes = 256, .l0_compaction_trigger = 2, .background_tasks = 0},
      .second_bucket = {},
      .manual_maintenance = true,
  };
  return set;
}

const OptionSet& WalOnly() {
  // The default 64 MiB memtable: nothing leaves the WAL unless F flushes it.
  static const OptionSet set{
      .name = "wal_only",
      .options = Options{.background_tasks = 0},
      .second_bucket = {},
      .manual_maintenance = false,
  };
  return set;
}

const OptionSet& NamedBucket() {
  // A background task flushes while the client writes; the named bucket has
  // its own, different table options.
  static const OptionSet set{
      .name = "named_bucket",
      .options =
          Options{.memtable_budget_bytes = 512, .l0_compaction_trigger = 2, .background_tasks = 1},
      .second_bucket = BucketOptions{.block_size_bytes = 256,
                                     .block_restart_interval = 2,
                                     .bloom_bits_per_key = 0,
                                     .compression = Compression::kNone},
      .manual_maintenance = false,
  };
  return set;
}

void AddWorkloads(const OptionSet& set, Durability floor, std::span<const std::string_view> ops,
                  std::vector<Workload>& out) {
  for (std::string_view letters : ops) {
    KILN_ASSERT(!letters.empty());
    KILN_ASSERT(letters.size() <= kMaxWorkloadOps);
    std::string name(set.name);
    name.append("/").append(DurabilityName(floor)).append("/").append(letters);
    out.push_back(Workload{
        .name = std::move(name), .option_set = &set, .floor = floor, .ops = std::string(letters)});
  }
}

std::string ValueFor(char letter, size_t position, std::string_view tag) {
  std::string value(1, letter);
  value.append(std::to_string(position)).append(tag).append(".");
  value.resize(kValueBytes, 'x');
  return value;
}

std::string StatusText(const absl::Status& status) { return std::string(status.ToString()); }

// What the client knows, read by the barrier hook.
struct Progress {
  uint64_t durable_sequence = 0;
  uint64_t last_acked_sequence = 0;
  size_t writes_started = 0;
  bool open_returned = false;
};

// The client: opens, creates "second", runs the operations, closes. Runs in
// a fiber; may yield. Returns "" or what went wrong.
class Driver {
 public:
  Driver(const Workload& workload, const Env& env, WorkloadRun& run, Progress& progress,
         std::function<void(std::string)> checkpoint)
      : workload_(workload),
        env_(env),
        run_(run),
        progress_(progress),
        checkpoint_(std::move(checkpoint)) {}

  // Destroys the database before returning, on every path, so no engine
  // task outlives the client fiber.
  std::string Run() {
    std::string error = OpenAndRun();
    db_.reset();
    return error;
  }

 private:
  std::string OpenAndRun() {
    absl::StatusOr<std::unique_ptr<Db>> opened =
        Db::Open(OpenOptions(workload_, env_), kExhaustiveDbPath);
    if (!opened.ok()) return "Db::Open: " + StatusText(opened.status());
    db_ = *std::move(opened);
    progress_.open_returned = true;
    absl::StatusOr<Bucket*> second =
        db_->GetOrCreateBucket(kSecondBucketName, workload_.option_set->second_bucket);
    if (!second.ok()) return "GetOrCreateBucket: " + StatusText(second.status());
    second_ = *second;
    for (size_t position = 0; position < workload_.ops.size(); ++position) {
      std::string error = RunOp(workload_.ops[position], position);
      if (error.empty() && workload_.option_set->manual_maintenance) error = Maintain();
      if (!error.empty()) {
        return "op " + std::to_string(position) + " '" + workload_.ops[position] + "': " + error;
      }
    }
    checkpoint_("end of operations");
    const absl::Status closed = db_->Close();
    if (!closed.ok()) return "Close: " + StatusText(closed);
    return "";
  }

  std::string RunOp(char letter, size_t position) {
    switch (letter) {
      case 'P':
      case 'Q': {
        const std::string key(kKeys[position % kKeys.size()]);
        const std::string value = ValueFor(letter, position, "");
        WriteOptions options;
        if (letter == 'Q') options.durability = Durability::kSyncAll;
        last_put_key_ = key;
        return Record({{ModelEntry::Kind::kPut, 0, key, value}}, options,
                      [&] { return db_->Put(key, value, options); });
      }
      case 'D': {
        const std::string key = last_put_key_;
        return Record({{ModelEntry::Kind::kDelete, 0, key, ""}}, {},
                      [&] { return db_->Delete(key); });
      }
      case 'R':
        return Record(
            {{ModelEntry::Kind::kDeleteRange, 0, std::string(kRangeBegin), std::string(kRangeEnd)}},
            {}, [&] { return db_->DeleteRange(kRangeBegin, kRangeEnd); });
      case 'B': {
        const std::string key(kKeys[position % kKeys.size()]);
        const std::string other(kKeys[(position + 1) % kKeys.size()]);
        const std::string value_default = ValueFor(letter, position, "d");
        const std::string value_second = ValueFor(letter, position, "s");
        WriteBatch batch;
        absl::Status added = batch.Put(key, value_default);
        if (added.ok()) added = batch.Put(key, value_second, second_);
        if (added.ok()) added = batch.Delete(other, second_);
        if (!added.ok()) return "building the batch: " + StatusText(added);
        last_put_key_ = key;
        return Record({{ModelEntry::Kind::kPut, 0, key, value_default},
                       {ModelEntry::Kind::kPut, 1, key, value_second},
                       {ModelEntry::Kind::kDelete, 1, other, ""}},
                      {}, [&] { return db_->Write(batch); });
      }
      case 'F':
        return AckDurable(db_->Flush(), kFlushMakesWritesDurable, "Flush");
      case 'S':
        return AckDurable(db_->Persist(Durability::kSyncAll), true, "Persist(kSyncAll)");
      case 'Y':
        return AckDurable(db_->Persist(Durability::kSyncData), true, "Persist(kSyncData)");
      default:
        KILN_UNREACHABLE("unknown workload letter");
    }
  }

  // Issues one write (write() calls the engine) and records its outcome.
  template <typename WriteFn>
  std::string Record(std::vector<ModelEntry> entries, const WriteOptions& options, WriteFn write) {
    ++progress_.writes_started;
    const absl::StatusOr<CommitInfo> result = write();
    if (!result.ok()) return StatusText(result.status());
    std::string error = run_.model.AddBatch(result->sequence, entries);
    if (!error.empty()) return error;
    run_.write_sequences.push_back(result->sequence);
    progress_.last_acked_sequence = result->sequence;
    const Durability effective =
        std::max(workload_.floor, options.durability.value_or(workload_.floor));
    if (effective >= Durability::kSyncData) {
      progress_.durable_sequence = std::max(progress_.durable_sequence, result->sequence);
    }
    return "";
  }

  // A barrier call (Flush, Persist) that, when it succeeds and makes_durable,
  // acknowledges every write acknowledged before it as durable.
  std::string AckDurable(const absl::Status& status, bool makes_durable, std::string_view what) {
    if (!status.ok()) return std::string(what) + ": " + StatusText(status);
    if (makes_durable) {
      progress_.durable_sequence =
          std::max(progress_.durable_sequence, progress_.last_acked_sequence);
    }
    return "";
  }

  std::string Maintain() {
    for (int step = 0; step < kMaxMaintenanceSteps; ++step) {
      absl::StatusOr<bool> did = db_->DoMaintenanceStep();
      if (!did.ok()) return "DoMaintenanceStep: " + StatusText(did.status());
      if (!*did) return "";
    }
    return "DoMaintenanceStep still busy after " + std::to_string(kMaxMaintenanceSteps) + " steps";
  }

  const Workload& workload_;
  const Env& env_;
  WorkloadRun& run_;
  Progress& progress_;
  std::function<void(std::string)> checkpoint_;
  std::unique_ptr<Db> db_;
  Bucket* second_ = nullptr;
  std::string last_put_key_ = std::string(kKeys[0]);
};

}  // namespace

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kBuffered:
      return "buffered";
    case Durability::kFlush:
      return "flush";
    case Durability::kSyncData:
      return "sync_data";
    case Durability::kSyncAll:
      return "sync_all";
  }
  KILN_UNREACHABLE("unknown Durability");
}

const std::vector<Workload>& AllWorkloads() {
  static const std::vector<Workload> workloads = [] {
    std::vector<Workload> out;
    AddWorkloads(ManualTiny(), Durability::kSyncAll, kGeneralOps, out);
    AddWorkloads(ManualTiny(), Durability::kBuffered, kBufferedOps, out);
    AddWorkloads(WalOnly(), Durability::kSyncData, kGeneralOps, out);
    AddWorkloads(WalOnly(), Durability::kBuffered, kBufferedOps, out);
    AddWorkloads(NamedBucket(), Durability::kSyncAll, kBucketOps, out);
    return out;
  }();
  return workloads;
}

Options OpenOptions(const Workload& workload, const Env& env) {
  Options options = workload.option_set->options;
  options.env = &env;
  options.create_if_missing = true;
  options.durability = workload.floor;
  return options;
}

uint64_t WorkloadRun::LastIssuedSequence(const BarrierCopy& copy) const {
  if (copy.writes_started == 0) return model.base_sequence();
  KILN_ASSERT(copy.writes_started <= write_sequences.size());
  return write_sequences[copy.writes_started - 1];
}

WorkloadRun RunWorkload(const Workload& workload, uint64_t seed,
                        const std::function<bool(const BarrierEvent&)>& ignore_barrier) {
  WorkloadRun run;
  run.model.Reset(dst::ModelState{}, 0);
  Progress progress;
  auto owned_disk = std::make_unique<faultfs::MemFileSystem>();
  const faultfs::MemFileSystem* disk = owned_disk.get();
  size_t barriers_seen = 0;
  auto copy = [&](std::string what, bool is_barrier) {
    run.barriers.push_back(BarrierCopy{.what = std::move(what),
                                       .disk = disk->Clone(),
                                       .durable_sequence = progress.durable_sequence,
                                       .writes_started = progress.writes_started,
                                       .open_returned = progress.open_returned,
                                       .is_barrier = is_barrier});
  };
  DiskWorld world(seed, std::move(owned_disk), [&](const BarrierEvent& event) {
    ++barriers_seen;
    if (run.barriers.size() < kMaxBarriersPerWorkload) copy(event.ToString(), true);
    const bool ignore = ignore_barrier && ignore_barrier(event);
    return ignore ? BarrierAction::kIgnore : BarrierAction::kPass;
  });
  Driver driver(workload, world.env(), run, progress,
                [&](std::string what) { copy(std::move(what), false); });
  world.runtime().RunInFiber("client", [&] { run.failure = driver.Run(); });
  const sim::RunResult rest = world.runtime().Run();
  if (run.failure.empty() && rest.reason != sim::RunReason::kQuiescent) {
    run.failure = "fibers still running after Close: " + rest.report;
  }
  if (run.failure.empty() && barriers_seen > kMaxBarriersPerWorkload) {
    run.failure = "issued " + std::to_string(barriers_seen) + " barriers, more than " +
                  std::to_string(kMaxBarriersPerWorkload);
  }
  copy("after close", false);
  return run;
}

}  // namespace kiln::props
