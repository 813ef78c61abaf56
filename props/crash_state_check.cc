#include "props/crash_state_check.h"

#include <array>
#include <utility>
#include <vector>

#include "kiln/db.h"
#include "props/disk_world.h"
#include "util/assert.h"

namespace kiln::props {
namespace {

using dst::ModelBucketState;
using dst::ModelState;

// Point reads cover every key the workloads write, plus one they never do.
constexpr std::array<std::string_view, 4> kProbeKeys = {"ka", "kb", "kc", "kz"};
constexpr std::string_view kAfterRecoveryKey = "ka";
constexpr std::string_view kAfterRecoveryValue = "written after recovery";
// Entries a recovered bucket may hold (the workloads write three keys).
constexpr size_t kMaxBucketEntries = 64;

std::string StatusText(const absl::Status& status) { return std::string(status.ToString()); }

std::string CurrentPath() { return std::string(kExhaustiveDbPath) + "/CURRENT"; }

// Reads bucket forward, backward and key by key; "" or the disagreement.
std::string ReadBucket(Bucket& bucket, ModelBucketState& out) {
  std::unique_ptr<Iterator> it = bucket.NewIterator();
  for (it->SeekToFirst(); it->Valid() && out.size() <= kMaxBucketEntries; it->Next()) {
    out.emplace(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return "forward scan: " + StatusText(it->status());
  if (out.size() > kMaxBucketEntries) return "forward scan: more entries than ever written";
  ModelBucketState backward;
  for (it->SeekToLast(); it->Valid() && backward.size() <= kMaxBucketEntries; it->Prev()) {
    backward.emplace(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return "backward scan: " + StatusText(it->status());
  if (backward != out) {
    return "backward scan disagrees with forward scan: " +
           dst::DescribeBucketDifference(0, out, backward);
  }
  for (std::string_view key : kProbeKeys) {
    absl::StatusOr<std::optional<std::string>> got = bucket.Get(key);
    if (!got.ok()) return "Get(" + std::string(key) + "): " + StatusText(got.status());
    auto scanned = out.find(std::string(key));
    const std::optional<std::string> expected =
        scanned == out.end() ? std::nullopt : std::optional<std::string>(scanned->second);
    if (*got != expected) {
      return "Get(" + std::string(key) + ") = " + got->value_or("<absent>") +
             " but the scan shows " + expected.value_or("<absent>");
    }
  }
  return "";
}

// The checks on an opened database. Runs in a fiber; may yield.
std::string CheckOpened(Db& db, const Workload& workload, Recovery& recovery) {
  absl::StatusOr<Bucket*> second =
      db.GetOrCreateBucket(kSecondBucketName, workload.option_set->second_bucket);
  if (!second.ok()) return "GetOrCreateBucket: " + StatusText(second.status());
  const std::array<Bucket*, dst::kModelBuckets> buckets = {db.DefaultBucket(), *second};
  for (size_t b = 0; b < buckets.size(); ++b) {
    std::string error = ReadBucket(*buckets[b], recovery.state[b]);
    if (!error.empty()) return "bucket " + std::to_string(b) + ": " + error;
  }
  const absl::Status invariants = db.CheckInvariants();
  if (!invariants.ok()) return "CheckInvariants: " + StatusText(invariants);
  recovery.sequence = db.GetSnapshot()->sequence();
  // A write after recovery must take a fresh sequence and win over every
  // recovered version of its key.
  absl::StatusOr<CommitInfo> put = db.Put(kAfterRecoveryKey, kAfterRecoveryValue,
                                          WriteOptions{.durability = Durability::kSyncAll});
  if (!put.ok()) return "Put after recovery: " + StatusText(put.status());
  if (put->sequence <= recovery.sequence) {
    return "Put after recovery got sequence " + std::to_string(put->sequence) +
           ", not above the recovered " + std::to_string(recovery.sequence);
  }
  absl::StatusOr<std::optional<std::string>> got = db.Get(kAfterRecoveryKey);
  if (!got.ok()) return "Get after recovery: " + StatusText(got.status());
  if (*got != std::optional<std::string>(kAfterRecoveryValue)) {
    return "Get after recovery returned " + got->value_or("<absent>");
  }
  const absl::Status closed = db.Close();
  if (!closed.ok()) return "Close: " + StatusText(closed);
  return "";
}

std::string OpenAndCheck(const Workload& workload, DiskWorld& world, Recovery& recovery) {
  const uint64_t steps_before = world.runtime().steps();
  absl::StatusOr<std::unique_ptr<Db>> opened =
      Db::Open(OpenOptions(workload, world.env()), kExhaustiveDbPath);
  recovery.open_steps = world.runtime().steps() - steps_before;
  if (!opened.ok()) return "Db::Open: " + StatusText(opened.status());
  return CheckOpened(**opened, workload, recovery);
}

// Crashes the world while an open runs (or just after it finished).
void CrashDuringOpen(DiskWorld& world, const Workload& workload, const RecoveryCrash& crash,
                     Recovery& recovery) {
  std::unique_ptr<Db> doomed;
  std::unique_ptr<sim::FiberTask> opener = world.runtime().Spawn("open-then-crash", [&] {
    absl::StatusOr<std::unique_ptr<Db>> opened =
        Db::Open(OpenOptions(workload, world.env()), kExhaustiveDbPath);
    if (opened.ok()) doomed = *std::move(opened);
  });
  const sim::RunResult run =
      world.runtime().RunUntilFinished(*opener, {.max_steps = crash.max_steps});
  recovery.crashed_mid_open = run.reason != sim::RunReason::kTaskFinished;
  const faultfs::CrashChoice choice = world.Crash(crash.policy, [&] {
    opener->Join();
    doomed.reset();
  });
  recovery.recovery_crash = "crash at step " + std::to_string(crash.max_steps) + " of the open (" +
                            faultfs::CrashPolicyToText(crash.policy) + "): " + choice.ToText();
}

}  // namespace

Recovery RecoverImage(std::unique_ptr<faultfs::MemFileSystem> image, const Workload& workload,
                      uint64_t seed, const std::optional<RecoveryCrash>& crash_first) {
  Recovery recovery;
  absl::StatusOr<bool> has_current = image->Exists(CurrentPath());
  KILN_ASSERT(has_current.ok());
  recovery.had_database = *has_current;
  DiskWorld world(seed, std::move(image));
  if (crash_first) CrashDuringOpen(world, workload, *crash_first, recovery);
  world.runtime().RunInFiber("recover",
                             [&] { recovery.error = OpenAndCheck(workload, world, recovery); });
  const sim::RunResult rest = world.runtime().Run();
  KILN_ASSERT_MSG(rest.reason == sim::RunReason::kQuiescent,
                  "engine tasks outlived the recovered database");
  return recovery;
}

std::string JudgeRecovery(const Recovery& recovery, const WorkloadRun& run,
                          const BarrierCopy& copy) {
  if (!recovery.error.empty()) return "recovery failed: " + recovery.error;
  if (copy.open_returned && !recovery.had_database) {
    return "the database is gone (no CURRENT) although Db::Open had returned";
  }
  const uint64_t low = copy.durable_sequence;
  const uint64_t high = run.LastIssuedSequence(copy);
  const std::vector<uint64_t> candidates = run.model.Boundaries(low, high);
  bool matched_above_sequence = false;
  for (uint64_t sequence : candidates) {
    if (run.model.StateAt(sequence) != recovery.state) continue;
    if (sequence <= recovery.sequence) return "";
    matched_above_sequence = true;
  }
  if (matched_above_sequence) {
    return "the state matches the model only above the recovered sequence " +
           std::to_string(recovery.sequence) + ", so later writes would reuse sequences";
  }
  const uint64_t nearest = candidates.empty() ? high : candidates.front();
  return "the state matches no batch boundary in [" + std::to_string(low) + ", " +
         std::to_string(high) + "] (acknowledged durable, last issued); against sequence " +
         std::to_string(nearest) + ": " +
         dst::DescribeStateDifference(run.model.StateAt(nearest), recovery.state);
}

}  // namespace kiln::props
