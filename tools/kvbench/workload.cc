#include "tools/kvbench/workload.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "tools/kvbench/keys.h"
#include "tools/kvbench/phase.h"
#include "tools/kvbench/process_stats.h"
#include "util/assert.h"

namespace kiln::kvbench {
namespace {

constexpr size_t kSetupBatchEntries = 100;
constexpr int kSeekNexts = 10;
constexpr int kSyncWriters = 8;
// recover: the memtable that holds every key the dying child writes. At most
// 1 GiB: LevelDB clips write_buffer_size through an int, so 2 GiB turned into
// its 64 KiB minimum and its child flushed tables instead of leaving a WAL.
constexpr size_t kRecoverWriteBufferBytes = size_t{1} << 30;
// recover: keys read back after the timed open, to prove it recovered.
constexpr uint64_t kRecoverCheckKeys = 1000;
constexpr double kBytesPerMb = 1048576.0;
// Operations at least this slow count into slow_time_pct.
constexpr uint64_t kSlowOpNs = 100'000;

// Salts that give each workload its own key order and random stream.
enum Salt : uint64_t {
  kSaltFill = 1,
  kSaltFillRandom,
  kSaltOverwrite,
  kSaltRead,
  kSaltSeek,
  kSaltWriter,
  kSaltDelete,
  kSaltSync,
};

struct Range {
  uint64_t begin;
  uint64_t end;
};

// Thread `thread` of `threads` takes this part of [0, total).
Range ShareOf(uint64_t total, int threads, int thread) {
  const auto t = static_cast<uint64_t>(thread);
  const auto n = static_cast<uint64_t>(threads);
  return {total * t / n, total * (t + 1) / n};
}

// Writes keys 0..num-1 in a seeded random order, in untimed batches.
absl::Status Prefill(Engine& engine, const WorkloadConfig& config) {
  const std::vector<uint32_t> order = Permutation(config.num, config.seed + kSaltFill);
  std::vector<KeyFormatter> formatters(kSetupBatchEntries);
  std::vector<KeyValue> batch;
  ValueSource values(config.value_bytes, config.seed + kSaltFill);
  for (size_t start = 0; start < order.size(); start += kSetupBatchEntries) {
    batch.clear();
    const size_t end = std::min(order.size(), start + kSetupBatchEntries);
    for (size_t i = start; i < end; ++i) {
      batch.push_back({formatters[i - start].Key(order[i]), values.Next()});
    }
    if (absl::Status status = engine.PutBatch(batch, /*sync=*/false); !status.ok()) return status;
  }
  return absl::OkStatus();
}

bool NeedsPrefill(std::string_view workload) {
  return workload == "overwrite" || workload == "readrandom" || workload == "readseq" ||
         workload == "seekrandom" || workload == "readwhilewriting" ||
         workload == "deleterandom";
}

// Whether the database ends the phase holding exactly num live keys, so
// space amplification is meaningful.
bool HoldsAllKeys(std::string_view workload) {
  return workload == "fillseq" || workload == "fillrandom" || workload == "overwrite";
}

absl::Status ErrorIfNotFound(bool found, std::string_view key) {
  if (found) return absl::OkStatus();
  return absl::InternalError("key " + std::string(key) + " is missing");
}

// The timed phase's per-thread work, and what its ops move.
struct PhasePlan {
  PhaseOptions options;
  PhaseBody body;
  // User bytes each op moves (reads: each op that found its key).
  uint64_t bytes_per_op = 0;
};

PhasePlan PlanPhase(std::string_view workload, const WorkloadConfig& config, Engine& engine,
                    std::vector<uint32_t>& order) {
  const uint64_t num = config.num;
  const uint64_t seed = config.seed;
  const size_t value_bytes = config.value_bytes;
  const uint64_t entry_bytes = kKeyBytes + value_bytes;
  PhasePlan plan;
  plan.options.counted_threads = config.threads;
  plan.options.expected_ops = num;
  plan.bytes_per_op = entry_bytes;

  if (workload == "fillseq" || workload == "fillrandom") {
    const bool random = workload == "fillrandom";
    if (random) order = Permutation(num, seed + kSaltFillRandom);
    plan.body = [&engine, &order, num, random, seed, value_bytes,
                 threads = config.threads](int thread, PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      ValueSource values(value_bytes, seed + thread);
      const Range range = ShareOf(num, threads, thread);
      for (uint64_t i = range.begin; i < range.end; ++i) {
        const uint64_t key = random ? order[i] : i;
        if (absl::Status s = engine.Put(keys.Key(key), values.Next(), false); !s.ok()) return s;
        self.OpDone();
      }
      return absl::OkStatus();
    };
  } else if (workload == "overwrite" || workload == "fillsync1" || workload == "fillsync8") {
    const bool sync = workload != "overwrite";
    uint64_t ops = num;
    if (sync) {
      ops = config.sync_num;
      plan.options.counted_threads = workload == "fillsync8" ? kSyncWriters : 1;
      plan.options.expected_ops = ops;
    }
    const uint64_t salt = sync ? kSaltSync : kSaltOverwrite;
    plan.body = [&engine, num, ops, sync, seed, salt, value_bytes,
                 threads = plan.options.counted_threads](int thread,
                                                         PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      ValueSource values(value_bytes, seed + thread);
      std::mt19937_64 random = ThreadRandom(seed + salt, thread);
      const Range range = ShareOf(ops, threads, thread);
      for (uint64_t i = range.begin; i < range.end; ++i) {
        if (absl::Status s = engine.Put(keys.Key(random() % num), values.Next(), sync); !s.ok()) {
          return s;
        }
        self.OpDone();
      }
      return absl::OkStatus();
    };
  } else if (workload == "readrandom" || workload == "readwhilewriting") {
    plan.options.expected_ops = config.reads;
    if (workload == "readwhilewriting") plan.options.uncounted_threads = 1;
    plan.body = [&engine, num, seed, value_bytes, reads = config.reads,
                 threads = config.threads](int thread, PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      if (!self.counted()) {
        // The writer: overwrites until every reader is done (at least once).
        ValueSource values(value_bytes, seed + thread);
        std::mt19937_64 random = ThreadRandom(seed + kSaltWriter, thread);
        do {
          if (absl::Status s = engine.Put(keys.Key(random() % num), values.Next(), false);
              !s.ok()) {
            return s;
          }
          self.OpDone();
        } while (!self.CountedThreadsDone());
        return absl::OkStatus();
      }
      std::mt19937_64 random = ThreadRandom(seed + kSaltRead, thread);
      std::string value;
      const Range range = ShareOf(reads, threads, thread);
      for (uint64_t i = range.begin; i < range.end; ++i) {
        const std::string_view key = keys.Key(random() % num);
        absl::StatusOr<bool> found = engine.Get(key, &value);
        if (!found.ok()) return found.status();
        if (absl::Status s = ErrorIfNotFound(*found, key); !s.ok()) return s;
        self.Found();
        self.OpDone();
      }
      return absl::OkStatus();
    };
  } else if (workload == "readseq") {
    plan.body = [&engine, num, threads = config.threads](int thread,
                                                         PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      const Range range = ShareOf(num, threads, thread);
      std::unique_ptr<EngineIterator> it = engine.NewIterator();
      if (range.begin == 0) {
        it->SeekToFirst();
      } else {
        it->Seek(keys.Key(range.begin));
      }
      uint64_t bytes = 0;  // touch what is read, as a reader would
      for (uint64_t i = range.begin; i < range.end && it->Valid(); ++i) {
        bytes += it->key().size() + it->value().size();
        self.Found();
        it->Next();
        self.OpDone();
      }
      if (!it->status().ok()) return it->status();
      if (bytes == 0 && range.end > range.begin) return absl::InternalError("readseq read nothing");
      return absl::OkStatus();
    };
  } else if (workload == "seekrandom") {
    plan.options.expected_ops = config.reads;
    plan.body = [&engine, num, seed, reads = config.reads,
                 threads = config.threads](int thread, PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      std::mt19937_64 random = ThreadRandom(seed + kSaltSeek, thread);
      const Range range = ShareOf(reads, threads, thread);
      for (uint64_t i = range.begin; i < range.end; ++i) {
        const std::string_view key = keys.Key(random() % num);
        std::unique_ptr<EngineIterator> it = engine.NewIterator();
        it->Seek(key);
        if (absl::Status s = ErrorIfNotFound(it->Valid() && it->key() == key, key); !s.ok()) {
          return s;
        }
        self.Found();
        for (int next = 0; next < kSeekNexts && it->Valid(); ++next) it->Next();
        if (!it->status().ok()) return it->status();
        self.OpDone();
      }
      return absl::OkStatus();
    };
  } else if (workload == "deleterandom") {
    order = Permutation(num, seed + kSaltDelete);
    plan.bytes_per_op = kKeyBytes;
    plan.body = [&engine, &order, num, threads = config.threads](int thread,
                                                                 PhaseThread& self) -> absl::Status {
      KeyFormatter keys;
      const Range range = ShareOf(num, threads, thread);
      for (uint64_t i = range.begin; i < range.end; ++i) {
        if (absl::Status s = engine.Delete(keys.Key(order[i]), false); !s.ok()) return s;
        self.OpDone();
      }
      return absl::OkStatus();
    };
  } else {
    KILN_UNREACHABLE("PlanPhase: unknown workload");
  }
  return plan;
}

// (WAL + table bytes) / user bytes written between two Engine::Stats(), for
// an engine that counts them; nullopt otherwise.
std::optional<double> PhaseWriteAmp(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after) {
  auto delta = [&](const std::string& name) -> std::optional<double> {
    auto b = before.find(name);
    auto a = after.find(name);
    if (b == before.end() || a == after.end()) return std::nullopt;
    return a->second - b->second;
  };
  const std::optional<double> user = delta("user_bytes_written");
  const std::optional<double> wal = delta("wal_bytes_written");
  const std::optional<double> table = delta("table_bytes_written");
  if (!user.has_value() || !wal.has_value() || !table.has_value() || *user <= 0) {
    return std::nullopt;
  }
  return (*wal + *table) / *user;
}

double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

Measurement RunRecover(std::string_view engine_name, const WorkloadConfig& config,
                       const std::string& dir, Measurement measurement) {
  EngineSettings settings = config.settings;
  settings.write_buffer_bytes = kRecoverWriteBufferBytes;
  std::fflush(nullptr);
  const pid_t writer = fork();
  if (writer < 0) {
    measurement.error = "fork failed";
    return measurement;
  }
  if (writer == 0) {
    // Writes every key, then dies without closing: the WAL is the only copy.
    absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(engine_name, settings, dir);
    if (!engine.ok()) _exit(3);
    const std::vector<uint32_t> order = Permutation(config.num, config.seed + kSaltFill);
    KeyFormatter keys;
    ValueSource values(config.value_bytes, config.seed);
    for (uint32_t key : order) {
      if (!(*engine)->Put(keys.Key(key), values.Next(), /*sync=*/false).ok()) _exit(4);
    }
    _exit(0);
  }
  int wait_status = 0;
  if (waitpid(writer, &wait_status, 0) != writer || !WIFEXITED(wait_status) ||
      WEXITSTATUS(wait_status) != 0) {
    measurement.error = "the recover writer failed (status " + std::to_string(wait_status) + ")";
    return measurement;
  }
  const uint64_t wal_bytes = DirectoryBytes(dir);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(engine_name, settings, dir);
  const double seconds = Seconds(std::chrono::steady_clock::now() - start);
  if (!engine.ok()) {
    measurement.error = "recover: open: " + std::string(engine.status().message());
    return measurement;
  }
  KeyFormatter keys;
  std::string value;
  const uint64_t stride = std::max<uint64_t>(1, config.num / kRecoverCheckKeys);
  for (uint64_t key = 0; key < config.num; key += stride) {
    absl::StatusOr<bool> found = (*engine)->Get(keys.Key(key), &value);
    if (!found.ok() || !*found) {
      measurement.error = "recover: key " + std::string(keys.Key(key)) + " lost";
      return measurement;
    }
  }
  if (absl::Status status = (*engine)->Close(); !status.ok()) {
    measurement.error = "recover: close: " + std::string(status.message());
  }
  measurement.metrics["ops"] = double(config.num);
  measurement.metrics["seconds"] = seconds;
  measurement.metrics["recover_ms"] = seconds * 1e3;
  measurement.metrics["ops_per_sec"] = double(config.num) / seconds;
  measurement.metrics["wal_mb"] = double(wal_bytes) / kBytesPerMb;
  measurement.metrics["mb_per_sec"] = double(wal_bytes) / kBytesPerMb / seconds;
  return measurement;
}

}  // namespace

const std::vector<std::string>& WorkloadNames() {
  static const std::vector<std::string> names = {
      "fillseq",          "fillrandom",   "overwrite", "readrandom", "readseq", "seekrandom",
      "readwhilewriting", "deleterandom", "fillsync1", "fillsync8",  "recover"};
  return names;
}

bool IsWorkload(std::string_view name) {
  const std::vector<std::string>& names = WorkloadNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool IsWriteWorkload(std::string_view name) {
  return name == "fillseq" || name == "fillrandom" || name == "overwrite" ||
         name == "deleterandom" || name == "fillsync1" || name == "fillsync8";
}

Measurement RunWorkload(std::string_view engine_name, std::string_view workload,
                        const WorkloadConfig& config, const std::string& dir) {
  KILN_ASSERT(IsWorkload(workload));
  KILN_ASSERT(config.threads >= 1);
  KILN_ASSERT(config.num >= 1);
  Measurement measurement;
  measurement.engine = std::string(engine_name);
  measurement.workload = std::string(workload);
  if (workload == "recover") return RunRecover(engine_name, config, dir, std::move(measurement));

  // What the process holds before the engine exists, so the peak below can
  // be told apart from kvbench's own memory.
  const uint64_t anon_before_open = ProcessResidentBytes().anon;
  AnonPeakSampler anon_peak;
  absl::StatusOr<std::unique_ptr<Engine>> opened = OpenEngine(engine_name, config.settings, dir);
  if (!opened.ok()) {
    measurement.error = "open: " + std::string(opened.status().message());
    return measurement;
  }
  Engine& engine = **opened;
  if (NeedsPrefill(workload)) {
    if (absl::Status status = Prefill(engine, config); !status.ok()) {
      measurement.error = "setup: " + std::string(status.message());
      return measurement;
    }
  }
  std::vector<uint32_t> order;
  PhasePlan plan = PlanPhase(workload, config, engine, order);
  plan.options.label = config.progress_label;
  const std::map<std::string, double> stats_before = engine.Stats();
  const uint64_t written_before = ProcessBytesWritten();
  const PhaseResult phase = RunPhase(plan.options, plan.body);
  const uint64_t written = ProcessBytesWritten() - written_before;
  const uint64_t anon_peak_bytes = anon_peak.Stop();
  if (!phase.status.ok()) {
    measurement.error = std::string(phase.status.message());
    return measurement;
  }

  auto& metrics = measurement.metrics;
  const bool reads = workload == "readrandom" || workload == "readseq" ||
                     workload == "seekrandom" || workload == "readwhilewriting";
  const uint64_t moved_bytes = (reads ? phase.found : phase.ops) * plan.bytes_per_op;
  metrics["ops"] = double(phase.ops);
  metrics["found"] = double(phase.found);
  metrics["seconds"] = phase.seconds;
  metrics["ops_per_sec"] = double(phase.ops) / phase.seconds;
  metrics["mb_per_sec"] = double(moved_bytes) / kBytesPerMb / phase.seconds;
  metrics["p50_us"] = phase.latency.Percentile(0.5) / 1e3;
  metrics["p99_us"] = phase.latency.Percentile(0.99) / 1e3;
  metrics["max_us"] = double(phase.latency.max_ns()) / 1e3;
  metrics["mean_us"] = phase.latency.mean_ns() / 1e3;
  // Where a phase's time went: operations of 100 us or more are stalls of
  // some kind (a memtable switch, a WAL reservation, a sync, a preemption),
  // not the steady per-operation cost.
  metrics["slow_time_pct"] = 100 * phase.latency.ShareOfSumAtLeast(kSlowOpNs);
  if (phase.core_wait_pct.has_value()) metrics["core_wait_pct"] = *phase.core_wait_pct;
  if (phase.uncounted_ops > 0) {
    metrics["writer_ops_per_sec"] = double(phase.uncounted_ops) / phase.seconds;
  }
  if (IsWriteWorkload(workload) && moved_bytes > 0) {
    metrics["write_amp"] = double(written) / double(moved_bytes);
  }
  const uint64_t db_bytes = DirectoryBytes(dir);
  metrics["db_mb"] = double(db_bytes) / kBytesPerMb;
  // With the engine still open: what it holds, split heap from mapped files.
  const ResidentBytes resident = ProcessResidentBytes();
  metrics["rss_anon_mb"] = double(resident.anon) / kBytesPerMb;
  metrics["rss_file_mb"] = double(resident.file) / kBytesPerMb;
  // From open through the timed phase (the key order included: 4 B a key).
  metrics["peak_anon_mb"] = double(anon_peak_bytes) / kBytesPerMb;
  metrics["engine_peak_anon_mb"] =
      double(anon_peak_bytes - std::min(anon_peak_bytes, anon_before_open)) / kBytesPerMb;
  if (HoldsAllKeys(workload)) {
    metrics["space_amp"] = double(db_bytes) / double(config.num * (kKeyBytes + config.value_bytes));
  }
  const std::map<std::string, double> stats_after = engine.Stats();
  for (const auto& [name, value] : stats_after) {
    metrics[std::string(engine_name) + "." + name] = value;
  }
  // The engine's own count of what the timed phase wrote, setup excluded.
  if (std::optional<double> amp = PhaseWriteAmp(stats_before, stats_after); amp.has_value()) {
    metrics[std::string(engine_name) + ".phase_write_amp"] = *amp;
  }
  if (absl::Status status = engine.Close(); !status.ok()) {
    measurement.error = "close: " + std::string(status.message());
  }
  return measurement;
}

}  // namespace kiln::kvbench
