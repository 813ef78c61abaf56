// The small workloads the exhaustive crash-state test runs (README.md,
// "Exhaustive crash states"), and the driver that runs one against the real
// engine on a simulated disk, copying the disk just before every durability
// barrier the engine issues.
//
// A workload is up to kMaxWorkloadOps operations from a small alphabet, a
// durability floor and an option set. Each letter of its op string is one
// operation; its arguments follow from its position, so a name such as
// "manual_tiny/sync_all/PBFR" says everything needed to run it again:
//   P  Put(key, value) into the default bucket
//   Q  Put with WriteOptions{kSyncAll} (a write stronger than the floor)
//   D  Delete the key most recently put (or "ka")
//   R  DeleteRange["ka", "kc") in the default bucket
//   B  a 3-entry batch: Put in the default bucket, Put and Delete in "second"
//   F  Flush
//   S  Persist(kSyncAll)
//   Y  Persist(kSyncData)
#ifndef KILN_PROPS_EXHAUSTIVE_WORKLOADS_H_
#define KILN_PROPS_EXHAUSTIVE_WORKLOADS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultfs/mem_file_system.h"
#include "kiln/options.h"
#include "props/barrier_file_system.h"
#include "tools/dst/engine_model.h"

namespace kiln::props {

inline constexpr std::string_view kExhaustiveDbPath = "/db";
// Model bucket 1; model bucket 0 is the default bucket.
inline constexpr std::string_view kSecondBucketName = "second";
inline constexpr size_t kMaxWorkloadOps = 4;
// Barriers copied per workload; a workload that issues more fails.
inline constexpr size_t kMaxBarriersPerWorkload = 512;

struct OptionSet {
  std::string_view name;
  // env, create_if_missing and durability are set per run.
  Options options;
  BucketOptions second_bucket;
  // Run Db::DoMaintenanceStep until idle after every operation (for
  // background_tasks == 0: a host that schedules maintenance itself).
  bool manual_maintenance = false;
};

struct Workload {
  std::string name;  // "<option set>/<floor>/<ops>"
  const OptionSet* option_set = nullptr;
  Durability floor = Durability::kSyncAll;
  std::string ops;  // letters, see the file comment
};

// The fixed, deterministic family, in a stable order.
const std::vector<Workload>& AllWorkloads();
std::string_view DurabilityName(Durability durability);

// The options to open the workload's database with on env.
Options OpenOptions(const Workload& workload, const Env& env);

// The disk as it was just before one barrier (or at a checkpoint: the end of
// the operations, after Close), with what the client knew at that instant.
struct BarrierCopy {
  // "sync_dir /db", or "end of operations" / "after close".
  std::string what;
  std::unique_ptr<faultfs::MemFileSystem> disk;
  // The highest sequence acknowledged durable before the barrier (0: none).
  uint64_t durable_sequence = 0;
  // Writes issued before the barrier, the one in flight included; every
  // write is recorded in WorkloadRun::write_sequences in issue order.
  size_t writes_started = 0;
  // Db::Open had returned OK: the database must survive every crash.
  bool open_returned = false;
  // True for intercepted barriers, false for the two checkpoints.
  bool is_barrier = true;
};

struct WorkloadRun {
  // Empty if the workload itself ran cleanly (no crash involved).
  std::string failure;
  dst::EngineModel model;
  std::vector<uint64_t> write_sequences;
  std::vector<BarrierCopy> barriers;
  // The sequence the last issued write may have, per BarrierCopy.
  uint64_t LastIssuedSequence(const BarrierCopy& copy) const;
};

// Runs the workload from an empty disk in a fresh simulated world seeded
// with seed, and returns the model of what it committed plus a copy of the
// disk before every barrier. Barriers for which ignore_barrier (if given)
// returns true are lies (BarrierAction::kIgnore): for self-checks only.
WorkloadRun RunWorkload(const Workload& workload, uint64_t seed,
                        const std::function<bool(const BarrierEvent&)>& ignore_barrier = nullptr);

}  // namespace kiln::props

#endif  // KILN_PROPS_EXHAUSTIVE_WORKLOADS_H_
