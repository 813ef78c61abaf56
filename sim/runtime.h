// The deterministic runtime: every simulated task is a fiber on the calling
// OS thread, and a seeded scheduler picks which runnable fiber runs at every
// scheduling point. Time is simulated: it starts at 0 (monotonic) and
// start_wall_ns (wall), stands still while fibers run (unless step_cost_ns is
// set), and jumps straight to the earliest timer when no fiber can run.
//
// Two kinds of code run against a Runtime:
//   * the driver: the test or simulator code on the thread's own stack. It
//     spawns fibers and calls Run(); it never blocks. A blocking operation
//     from the driver (Lock on a held mutex, Wait, Sleep, Join of an
//     unfinished task) aborts with a message: run such code in a fiber
//     (RunInFiber, or Spawn + Run).
//   * fibers: they use the Clock and Scheduler handed out here (or the same
//     operations on the Runtime directly). Scheduling points: Yield, SleepNs,
//     Mutex::Lock, CondVar::Wait/WaitForNs, Task::Join of an unfinished task.
//
// Determinism: same seed and same code => same scheduling choices, same
// trace hash. Mutex hand-off and condvar wake-up pick among waiters with the
// same seeded stream. Fibers, mutexes and condvars are numbered in creation
// order from 1; those numbers, never addresses, appear in traces and reports.
//
// Crash: BeginCrash() switches to wind-down mode. Every blocked fiber is
// released except those joining a task; Lock always succeeds at once
// (ownership is no longer exclusive nor checked), Wait/WaitForNs/SleepNs
// return at once, Join still waits for the task; scheduling becomes a plain
// round robin. WindDown() then runs every fiber to the end of its body, so
// stacks unwind naturally and everything they own is destroyed; EndCrash()
// returns to normal mode. The filesystem layer makes every I/O fail while
// crashing() is true, which is what drives the engine's code to return.
//
// Thread-safety: a Runtime and everything it hands out belong to the thread
// that created it. It installs itself as that thread's SimHooks (buggify and
// probes) for its lifetime. Tasks, mutexes and condvars it created must be
// destroyed before it.
#ifndef KILN_SIM_RUNTIME_H_
#define KILN_SIM_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/env.h"
#include "kiln/random.h"
#include "sim/buggify.h"
#include "sim/coverage.h"
#include "sim/fiber.h"
#include "sim/trace.h"
#include "util/sim_hooks.h"

namespace kiln::sim {

struct FiberRecord;
class SimMutex;
class SimCondVar;
class WaitQueue;
enum class WaitKind : uint8_t;
class Runtime;

// 2023-11-14T22:13:20Z: a fixed, unremarkable wall-clock origin.
inline constexpr uint64_t kDefaultStartWallNs = 1'700'000'000'000'000'000ULL;
inline constexpr uint64_t kNoTimeLimit = UINT64_MAX;
inline constexpr uint64_t kNoStepLimit = UINT64_MAX;
// Steps WindDown (and a driver-side Join while crashing) may take before it
// declares the fibers stuck.
inline constexpr uint64_t kWindDownMaxSteps = 1'000'000;
// Unfinished fibers at once (bounds every run and wait queue).
inline constexpr size_t kMaxLiveFibers = 100'000;

struct RuntimeOptions {
  uint64_t seed = 0;
  uint64_t start_wall_ns = kDefaultStartWallNs;
  size_t fiber_stack_bytes = kDefaultFiberStackBytes;
  // Keep every trace step (for FirstDivergence and --trace), not just the hash.
  bool record_trace = false;
  // Simulated time each scheduling step costs. 0: time moves only when no
  // fiber can run, so a fiber spinning on Yield() starves sleepers.
  uint64_t step_cost_ns = 0;
  // false: every KILN_BUGGIFY site stays off for this runtime's life.
  bool buggify = true;
};

struct RunLimits {
  // Absolute simulated monotonic time: Run executes everything due at or
  // before it, then returns kTimeReached with now_ns() == until_ns (or just
  // past it when step_cost_ns > 0).
  uint64_t until_ns = kNoTimeLimit;
  // Scheduling steps this call may take.
  uint64_t max_steps = kNoStepLimit;
};

enum class RunReason : uint8_t {
  kQuiescent,      // every fiber finished
  kTimeReached,    // limits.until_ns
  kStepLimit,      // limits.max_steps
  kStopRequested,  // a fiber (or the driver) called RequestStop
  kDeadlock,       // no fiber runnable, no timer pending, some unfinished
  kTaskFinished,   // RunUntilFinished: the task's body returned
};

std::string_view RunReasonName(RunReason reason);

struct RunResult {
  RunReason reason = RunReason::kQuiescent;
  uint64_t steps = 0;   // scheduling steps taken by this call
  uint64_t now_ns = 0;  // simulated monotonic time on return
  // kDeadlock: one line per blocked fiber, e.g.
  //   fiber 'compaction' (#3) waits on condvar #2; mutex #1 held by 'writer' (#1)
  // kStopRequested: the reason given to RequestStop. Otherwise empty.
  std::string report;
};

// A fiber's handle. Destroying it joins the fiber.
class FiberTask final : public Task {
 public:
  ~FiberTask() override;
  FiberTask(const FiberTask&) = delete;
  FiberTask& operator=(const FiberTask&) = delete;

  // Waits until the fiber's body has returned. From a fiber: a scheduling
  // point if the task is unfinished. From the driver: returns at once if it
  // finished; while crashing, runs the scheduler until it does; otherwise
  // aborts (the driver cannot block).
  void Join() override;

  uint32_t fiber_id() const { return fiber_id_; }
  bool finished() const;

 private:
  friend class Runtime;
  FiberTask(Runtime& runtime, FiberRecord* record);

  Runtime& runtime_;
  FiberRecord* record_;  // owned by the runtime; valid while this handle lives
  uint32_t fiber_id_;
};

class Runtime final : private SimHooks {
 public:
  explicit Runtime(RuntimeOptions options);
  // REQUIRES: every fiber finished (after a crash: WindDown + EndCrash); no
  // Task, Mutex or CondVar from this runtime remains.
  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // --- The seam: hand these to an Env. Valid for the runtime's lifetime.
  Clock& clock() { return clock_; }
  Scheduler& scheduler() { return scheduler_; }

  // --- Tasks and synchronisation (also reachable through scheduler()).
  // Starts body as a runnable fiber; not a scheduling point. From the driver
  // or a fiber. name appears in traces and reports.
  std::unique_ptr<FiberTask> Spawn(std::string_view name, std::function<void()> body);
  // As Spawn, with no handle: the fiber's record goes away when it finishes.
  void SpawnDetached(std::string_view name, std::function<void()> body);
  // In a fiber: a scheduling point (the fiber stays runnable). From the
  // driver: runs one scheduling step, jumping time to the next timer if no
  // fiber is runnable; does nothing if no fiber can run.
  void Yield();
  // Blocks the calling fiber for duration_ns of simulated time. May yield.
  // REQUIRES: in a fiber (or crashing, where it returns at once).
  void SleepNs(uint64_t duration_ns);
  std::unique_ptr<Mutex> NewMutex();
  // REQUIRES: mutex was created by this runtime.
  std::unique_ptr<CondVar> NewCondVar(Mutex& mutex);

  // --- Driving. All REQUIRE: called from the driver, not from a fiber.
  RunResult Run(RunLimits limits = {});
  // As Run, but returns kTaskFinished as soon as task's body has returned.
  RunResult RunUntilFinished(const FiberTask& task, RunLimits limits = {});
  // Spawns body as fiber `name` and runs until it finished; other fibers may
  // still be alive afterwards. Aborts with the report if the run deadlocks or
  // stops first.
  void RunInFiber(std::string_view name, std::function<void()> body);
  // Makes the current (or next) Run return kStopRequested with reason as its
  // report, at the next scheduling step. Not a scheduling point itself. The
  // request is consumed by the Run that honours it. Ignored while winding down.
  void RequestStop(std::string_view reason);

  // --- Crash wind-down (see the file comment).
  // From the driver or a fiber. REQUIRES: !crashing().
  void BeginCrash();
  // Runs every fiber to completion. Aborts, naming the fibers left, if they
  // do not finish within kWindDownMaxSteps or block on each other.
  // REQUIRES: crashing(); called from the driver.
  void WindDown();
  // REQUIRES: crashing(); no unfinished fiber; called from the driver.
  void EndCrash();
  bool crashing() const { return crashing_; }

  // --- State.
  uint64_t now_ns() const { return now_ns_; }
  uint64_t wall_ns() const { return options_.start_wall_ns + now_ns_; }
  // Scheduling steps since the runtime was created.
  uint64_t steps() const { return steps_; }
  uint64_t seed() const { return options_.seed; }
  bool InFiber() const { return current_ != nullptr; }
  // "driver" outside fibers.
  std::string_view current_fiber_name() const;
  // kDriverFiberId outside fibers.
  uint32_t current_fiber_id() const;
  // Spawned fibers whose body has not returned.
  size_t live_fibers() const { return live_fibers_; }
  // An independent stream derived from the seed, as Env::NewRandom derives
  // it from Env::random_seed == seed().
  Random NewRandom(std::string_view stream) const;

  // --- Trace.
  const Trace& trace() const { return trace_; }
  uint64_t trace_hash() const { return trace_.hash(); }
  // Recorded against the current fiber (or the driver). For the filesystem
  // layer: one event per I/O call, e.g. RecordIo("append", "000007.log 4096").
  void RecordIo(std::string_view op, std::string_view detail);
  void RecordFault(std::string_view detail);
  void RecordNote(std::string_view detail);

  // --- Buggify and probes seen by this runtime.
  const ProbeCoverage& probe_coverage() const { return coverage_; }
  const BuggifyState& buggify() const { return buggify_; }

 private:
  friend class FiberTask;
  friend class SimMutex;
  friend class SimCondVar;

  class ClockImpl final : public Clock {
   public:
    explicit ClockImpl(Runtime& runtime) : runtime_(runtime) {}
    uint64_t MonotonicNs() override { return runtime_.now_ns(); }
    uint64_t WallNs() override { return runtime_.wall_ns(); }
    void SleepNs(uint64_t duration_ns) override { runtime_.SleepNs(duration_ns); }

   private:
    Runtime& runtime_;
  };

  class SchedulerImpl final : public Scheduler {
   public:
    explicit SchedulerImpl(Runtime& runtime) : runtime_(runtime) {}
    std::unique_ptr<Mutex> NewMutex() override { return runtime_.NewMutex(); }
    std::unique_ptr<CondVar> NewCondVar(Mutex& mutex) override {
      return runtime_.NewCondVar(mutex);
    }
    std::unique_ptr<Task> Spawn(std::string_view name, std::function<void()> body) override {
      return runtime_.Spawn(name, std::move(body));
    }
    void Yield() override { runtime_.Yield(); }

   private:
    Runtime& runtime_;
  };

  // SimHooks, installed for this thread while the runtime lives.
  bool BuggifyFires(const BuggifySite& site, double fire_probability) override;
  void ProbeHit(const ProbeSite& site) override;

  FiberRecord* NewFiber(std::string_view name, std::function<void()> body);
  // The scheduler loop behind Run, RunUntilFinished, WindDown and a
  // driver-side Join. target: stop with kTaskFinished once it finished.
  RunResult Loop(const RunLimits& limits, const FiberRecord* target, bool honour_stop);
  // Fires every timer due at now_ns_.
  void FireDueTimers();
  // Picks a runnable fiber and runs it until its next scheduling point.
  // REQUIRES: driver; a fiber is runnable.
  void Step();
  void OnFinished(FiberRecord* fiber);

  // For fibers (REQUIRE InFiber()):
  // The current fiber stays runnable and lets the scheduler choose again.
  void YieldCurrent();
  // Blocks the current fiber until Wake(); returns whether BeginCrash woke it.
  // The caller has already put it in queue (if any) and set its timer.
  bool Block(WaitKind kind, uint64_t object_id, const SimMutex* mutex);
  void Wake(FiberRecord* fiber);
  void AddTimer(FiberRecord* fiber, uint64_t deadline_ns);
  void CancelTimer(FiberRecord* fiber);
  // A seeded choice in [0, count) among waiters. REQUIRES: count > 0.
  size_t ChooseWaiter(size_t count);
  [[noreturn]] void AbortBlockingInDriver(const std::string& operation) const;
  // "'name' (#id)", "the driver", or "finished fiber #id".
  std::string DescribeFiber(uint32_t fiber_id) const;
  std::string DescribeBlocked(const FiberRecord& fiber) const;
  std::string DeadlockReport() const;
  std::string UnfinishedFibers() const;
  void ReleaseTask(FiberRecord* record);
  void RegisterMutex(uint64_t id, SimMutex* mutex);
  void UnregisterMutex(uint64_t id);

  const RuntimeOptions options_;
  ClockImpl clock_{*this};
  SchedulerImpl scheduler_{*this};
  SimHooks* previous_hooks_;
  StackPool stacks_;
  Random sched_random_;
  Trace trace_;
  BuggifyState buggify_;
  ProbeCoverage coverage_;

  uint64_t now_ns_ = 0;
  uint64_t steps_ = 0;
  bool crashing_ = false;
  bool looping_ = false;
  bool stop_requested_ = false;
  std::string stop_reason_;

  uint32_t next_fiber_id_ = 1;
  uint64_t next_mutex_id_ = 1;
  uint64_t next_condvar_id_ = 1;
  uint64_t next_timer_sequence_ = 0;
  size_t live_fibers_ = 0;
  FiberRecord* current_ = nullptr;
  // Every fiber not yet released, by id (ordered: reports list by id).
  std::map<uint32_t, std::unique_ptr<FiberRecord>> fibers_;
  // Runnable fibers in the order they became runnable.
  std::vector<FiberRecord*> runnable_;
  // Pending timers by (deadline_ns, sequence): earliest first, then set order.
  std::map<std::pair<uint64_t, uint64_t>, FiberRecord*> timers_;
  // Live mutexes by id, for deadlock reports.
  std::map<uint64_t, SimMutex*> mutexes_;
  std::string io_detail_;  // scratch for RecordIo
};

}  // namespace kiln::sim

#endif  // KILN_SIM_RUNTIME_H_
