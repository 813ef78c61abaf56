// DiskWorld: a deterministic simulated machine built around a disk the caller
// hands in (an empty one, or a crash image taken from another run), where
// sim::Simulator always starts from an empty disk of its own. It has no fault
// injection, and buggify is off, so options mean what they say.
//
//   disk <- BarrierFileSystem (hook before every barrier) <- SimFileSystem
//                                                             ^ env().file_system
//
// Thread-safety: a DiskWorld belongs to the thread that built it (its Runtime
// installs itself as that thread's simulation hooks until destroyed).
#ifndef KILN_PROPS_DISK_WORLD_H_
#define KILN_PROPS_DISK_WORLD_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "faultfs/crash_choice.h"
#include "faultfs/crash_policy.h"
#include "faultfs/mem_file_system.h"
#include "kiln/env.h"
#include "kiln/random.h"
#include "props/barrier_file_system.h"
#include "sim/runtime.h"
#include "sim/sim_file_system.h"

namespace kiln::props {

class DiskWorld {
 public:
  // hook: called before each barrier reaches the disk (none if empty).
  // REQUIRES: disk != nullptr.
  DiskWorld(uint64_t seed, std::unique_ptr<faultfs::MemFileSystem> disk,
            BarrierFileSystem::Hook hook = nullptr);
  // REQUIRES: every fiber finished (run to quiescence, or Crash).
  ~DiskWorld();
  DiskWorld(const DiskWorld&) = delete;
  DiskWorld& operator=(const DiskWorld&) = delete;

  const Env& env() const { return env_; }
  sim::Runtime& runtime() { return runtime_; }
  faultfs::MemFileSystem& disk() { return *disk_; }

  // As sim::Simulator::Crash: every I/O fails from now on, teardown (if
  // given) runs in a fiber, every fiber winds down, then the disk keeps what
  // policy picks of its pending state. Returns that choice.
  // REQUIRES: called from the driver.
  faultfs::CrashChoice Crash(const faultfs::CrashPolicy& policy,
                             std::function<void()> teardown = nullptr);

 private:
  sim::Runtime runtime_;
  std::unique_ptr<faultfs::MemFileSystem> disk_;
  BarrierFileSystem barriers_;
  sim::SimFileSystem file_system_;
  Env env_;
  Random crash_random_;
};

}  // namespace kiln::props

#endif  // KILN_PROPS_DISK_WORLD_H_
