// The simulator world: one seeded Runtime (fibers, clock, trace), one
// in-memory disk with a crash model (faultfs::MemFileSystem), fault
// injection around it (faultfs::FaultFileSystem), and the Env that hands the
// engine all three. Build it from a seed, spawn fibers that use env(), run,
// crash, and run again on the post-crash disk.
//
//   disk <- faults <- SimFileSystem (scheduling point + trace + crash cut-off)
//                      ^ env().file_system
//
// A crash (Crash) freezes the disk at that instant, lets every fiber wind
// down on I/O errors (so all in-memory state is destroyed, nothing leaks),
// then keeps some of the pending (unsynced) state as the crash policy
// chooses; the choice is returned so a scenario can replay it exactly.
//
// Thread-safety: a Simulator belongs to the thread that built it.
#ifndef KILN_SIM_SIMULATOR_H_
#define KILN_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "faultfs/crash_choice.h"
#include "faultfs/crash_policy.h"
#include "faultfs/fault_file_system.h"
#include "faultfs/mem_file_system.h"
#include "kiln/env.h"
#include "sim/runtime.h"
#include "sim/sim_file_system.h"

namespace kiln::sim {

struct SimulatorOptions {
  uint64_t seed = 0;
  bool record_trace = false;
  bool buggify = true;
  size_t fiber_stack_bytes = kDefaultFiberStackBytes;
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options);
  // REQUIRES: every fiber finished (Run to quiescence, or Crash).
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // The Env to open the engine with. Valid for the simulator's lifetime.
  const Env& env() const { return env_; }
  Runtime& runtime() { return runtime_; }
  faultfs::MemFileSystem& disk() { return disk_; }
  faultfs::FaultFileSystem& faults() { return faults_; }

  RunResult Run(RunLimits limits = {}) { return runtime_.Run(limits); }
  void RunInFiber(std::string_view name, std::function<void()> body) {
    runtime_.RunInFiber(name, std::move(body));
  }

  // Crashes the simulated machine: every I/O fails from now on; teardown (if
  // given) runs in a fiber to destroy state the driver owns (e.g. a Db);
  // every fiber runs to completion; then the disk keeps what policy chooses
  // of its pending state. Returns that choice. REQUIRES: called from the driver.
  faultfs::CrashChoice Crash(const faultfs::CrashPolicy& policy,
                             std::function<void()> teardown = nullptr);
  // As Crash, with an explicit choice (replaying a scenario). InvalidArgument
  // if the choice does not fit the disk's pending state; the crash has still
  // happened then, with everything unsynced dropped.
  [[nodiscard]] absl::Status CrashWith(const faultfs::CrashChoice& choice,
                                       std::function<void()> teardown = nullptr);

  // As Crash, applying preferred when it fits the disk's pending state (a
  // scenario replaying a recorded choice) and otherwise what fallback
  // chooses. Sets *used_preferred (if given) to which it was.
  faultfs::CrashChoice CrashPreferring(const faultfs::CrashChoice& preferred,
                                       const faultfs::CrashPolicy& fallback,
                                       std::function<void()> teardown = nullptr,
                                       bool* used_preferred = nullptr);

  uint64_t crashes() const { return crashes_; }
  uint64_t trace_hash() const { return runtime_.trace_hash(); }

 private:
  // BeginCrash + teardown + WindDown.
  void FreezeAndWindDown(std::function<void()> teardown);
  void FinishCrash(const faultfs::CrashChoice& choice);

  Runtime runtime_;
  faultfs::MemFileSystem disk_;
  faultfs::FaultFileSystem faults_;
  SimFileSystem file_system_;
  Env env_;
  Random crash_random_;
  uint64_t crashes_ = 0;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_SIMULATOR_H_
