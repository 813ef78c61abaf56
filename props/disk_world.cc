#include "props/disk_world.h"

#include <utility>

#include "util/assert.h"

namespace kiln::props {
namespace {

BarrierFileSystem::Hook OrNoHook(BarrierFileSystem::Hook hook) {
  if (hook) return hook;
  return [](const BarrierEvent&) { return BarrierAction::kPass; };
}

}  // namespace

DiskWorld::DiskWorld(uint64_t seed, std::unique_ptr<faultfs::MemFileSystem> disk,
                     BarrierFileSystem::Hook hook)
    : runtime_(sim::RuntimeOptions{.seed = seed, .buggify = false}),
      disk_(std::move(disk)),
      barriers_(*disk_, OrNoHook(std::move(hook))),
      file_system_(barriers_, runtime_),
      crash_random_(runtime_.NewRandom("crash")) {
  KILN_ASSERT(disk_ != nullptr);
  env_.file_system = &file_system_;
  env_.clock = &runtime_.clock();
  env_.scheduler = &runtime_.scheduler();
  env_.random_seed = MixSeed(seed, StableHash64("env"));
}

DiskWorld::~DiskWorld() {
  KILN_ASSERT_MSG(runtime_.live_fibers() == 0,
                  "DiskWorld destroyed with live fibers: run them to completion or Crash()");
}

faultfs::CrashChoice DiskWorld::Crash(const faultfs::CrashPolicy& policy,
                                      std::function<void()> teardown) {
  KILN_ASSERT_MSG(!runtime_.InFiber(), "DiskWorld::Crash must be called from the driver");
  runtime_.BeginCrash();
  if (teardown) runtime_.SpawnDetached("crash-teardown", std::move(teardown));
  runtime_.WindDown();
  faultfs::CrashChoice choice = disk_->Crash(policy, crash_random_);
  runtime_.EndCrash();
  return choice;
}

}  // namespace kiln::props
