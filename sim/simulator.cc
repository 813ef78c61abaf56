#include "sim/simulator.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "util/assert.h"

namespace kiln::sim {

Simulator::Simulator(SimulatorOptions options)
    : runtime_(RuntimeOptions{.seed = options.seed,
                              .fiber_stack_bytes = options.fiber_stack_bytes,
                              .record_trace = options.record_trace,
                              .buggify = options.buggify}),
      faults_(disk_, faultfs::FaultFileSystemOptions{
                         .clock = &runtime_.clock(),
                         .seed = MixSeed(options.seed, StableHash64("faults"))}),
      file_system_(faults_, runtime_),
      crash_random_(runtime_.NewRandom("crash")) {
  env_.file_system = &file_system_;
  env_.clock = &runtime_.clock();
  env_.scheduler = &runtime_.scheduler();
  env_.random_seed = MixSeed(options.seed, StableHash64("env"));
  faults_.SetObserver(
      [this](const faultfs::FaultRecord& record) { runtime_.RecordFault(record.ToString()); });
}

Simulator::~Simulator() {
  KILN_ASSERT_MSG(runtime_.live_fibers() == 0,
                  "Simulator destroyed with live fibers: run them to completion or Crash()");
}

void Simulator::FreezeAndWindDown(std::function<void()> teardown) {
  KILN_ASSERT_MSG(!runtime_.InFiber(), "Simulator::Crash must be called from the driver");
  runtime_.BeginCrash();
  if (teardown) runtime_.SpawnDetached("crash-teardown", std::move(teardown));
  runtime_.WindDown();
}

void Simulator::FinishCrash(const faultfs::CrashChoice& choice) {
  ++crashes_;
  char note[64];
  std::snprintf(note, sizeof(note), "crash #%" PRIu64 " disk=%016" PRIx64, crashes_,
                disk_.ContentHash());
  runtime_.RecordNote(note);
  runtime_.RecordNote(choice.ToText());
  runtime_.EndCrash();
}

faultfs::CrashChoice Simulator::Crash(const faultfs::CrashPolicy& policy,
                                      std::function<void()> teardown) {
  FreezeAndWindDown(std::move(teardown));
  faultfs::CrashChoice choice = disk_.Crash(policy, crash_random_);
  FinishCrash(choice);
  return choice;
}

absl::Status Simulator::CrashWith(const faultfs::CrashChoice& choice,
                                  std::function<void()> teardown) {
  FreezeAndWindDown(std::move(teardown));
  absl::Status applied = disk_.ApplyCrash(choice);
  if (!applied.ok()) {
    // Fall back to the strictest crash so the world stays consistent.
    faultfs::CrashChoice strict = disk_.Crash(faultfs::CrashPolicy{}, crash_random_);
    FinishCrash(strict);
    return applied;
  }
  FinishCrash(choice);
  return absl::OkStatus();
}

faultfs::CrashChoice Simulator::CrashPreferring(const faultfs::CrashChoice& preferred,
                                                const faultfs::CrashPolicy& fallback,
                                                std::function<void()> teardown,
                                                bool* used_preferred) {
  FreezeAndWindDown(std::move(teardown));
  // CrashContentHash validates the choice against the pending state without
  // changing anything, so a misfit falls back to the policy, not to strict.
  const bool fits = disk_.CrashContentHash(preferred).ok();
  if (used_preferred != nullptr) *used_preferred = fits;
  faultfs::CrashChoice choice = fits ? preferred : disk_.ChooseCrash(fallback, crash_random_);
  const absl::Status applied = disk_.ApplyCrash(choice);
  KILN_ASSERT_MSG(applied.ok(), "a crash choice that fit the disk did not apply");
  FinishCrash(choice);
  return choice;
}

}  // namespace kiln::sim
