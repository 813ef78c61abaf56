// Recovering one post-crash disk image with the real engine, and judging the
// result against the model (DESIGN.md, "Oracles": durability after a crash).
#ifndef KILN_PROPS_CRASH_STATE_CHECK_H_
#define KILN_PROPS_CRASH_STATE_CHECK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "faultfs/crash_policy.h"
#include "faultfs/mem_file_system.h"
#include "props/exhaustive_workloads.h"
#include "tools/dst/engine_model.h"

namespace kiln::props {

struct Recovery {
  // The image held the database's CURRENT before recovery touched it.
  bool had_database = false;
  // "" if Db::Open, the reads, CheckInvariants, a write after recovery and
  // Close all worked and agreed; else the first thing that did not.
  std::string error;
  // Both buckets, read in full.
  dst::ModelState state;
  // The recovered database's last sequence (its snapshot's).
  uint64_t sequence = 0;
  // Scheduling steps Db::Open took (where a crash during recovery can land).
  uint64_t open_steps = 0;
  // With RecoveryCrash: "crash at step N: <CrashChoice text>", for replay,
  // and whether the first open was still running when the crash came.
  std::string recovery_crash;
  bool crashed_mid_open = false;
};

// Crash the machine once while Db::Open runs, then recover again.
struct RecoveryCrash {
  // Scheduling steps into the open (it may finish first).
  uint64_t max_steps = 0;
  faultfs::CrashPolicy policy;
};

// Opens the workload's database on image in a fresh DiskWorld seeded with
// seed (create_if_missing, as an application would), creates or opens
// "second", reads both buckets forward, backward and key by key, runs
// CheckInvariants, writes once more and reads that back, and closes.
// With crash_first, first crashes an open at crash_first->max_steps.
Recovery RecoverImage(std::unique_ptr<faultfs::MemFileSystem> image, const Workload& workload,
                      uint64_t seed, const std::optional<RecoveryCrash>& crash_first);

// "" if recovery is a legal outcome of a crash at copy: no error; the
// database exists if Db::Open had returned; the state equals the model at a
// batch boundary S with copy.durable_sequence <= S <= the last write issued
// and S <= the recovered sequence (later writes must not reuse sequences).
// Else why not.
std::string JudgeRecovery(const Recovery& recovery, const WorkloadRun& run,
                          const BarrierCopy& copy);

}  // namespace kiln::props

#endif  // KILN_PROPS_CRASH_STATE_CHECK_H_
