#include "sim/runtime.h"

#include <utility>

#include "sim/fiber_record.h"
#include "sim/sync.h"
#include "util/assert.h"

namespace kiln::sim {
namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

std::string Number(uint64_t value) { return std::to_string(value); }

}  // namespace

std::string_view RunReasonName(RunReason reason) {
  switch (reason) {
    case RunReason::kQuiescent:
      return "quiescent";
    case RunReason::kTimeReached:
      return "time reached";
    case RunReason::kStepLimit:
      return "step limit";
    case RunReason::kStopRequested:
      return "stop requested";
    case RunReason::kDeadlock:
      return "deadlock";
    case RunReason::kTaskFinished:
      return "task finished";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// FiberTask

FiberTask::FiberTask(Runtime& runtime, FiberRecord* record)
    : runtime_(runtime), record_(record), fiber_id_(record->id) {}

FiberTask::~FiberTask() {
  Join();
  runtime_.ReleaseTask(record_);
}

bool FiberTask::finished() const { return record_->state == FiberState::kFinished; }

void FiberTask::Join() {
  if (record_->state == FiberState::kFinished) return;
  FiberRecord* self = runtime_.current_;
  if (self == nullptr) {
    if (!runtime_.crashing_) {
      runtime_.AbortBlockingInDriver("Task::Join of unfinished fiber " +
                                     runtime_.DescribeFiber(fiber_id_));
    }
    // Crashing: the task is bound to finish, so the driver may drive it.
    const RunResult result =
        runtime_.Loop(RunLimits{.max_steps = kWindDownMaxSteps}, record_, /*honour_stop=*/false);
    if (result.reason != RunReason::kTaskFinished) {
      const std::string message = "Task::Join while crashing: fiber " +
                                  runtime_.DescribeFiber(fiber_id_) + " did not finish (" +
                                  std::string(RunReasonName(result.reason)) + ")\n" +
                                  runtime_.UnfinishedFibers();
      KILN_UNREACHABLE(message.c_str());
    }
    return;
  }
  KILN_ASSERT_MSG(self != record_, "a fiber cannot join itself");
  runtime_.trace_.Record(EventKind::kJoin, self->id, fiber_id_, 0);
  record_->joiners.push_back(self);
  runtime_.Block(WaitKind::kJoin, fiber_id_, nullptr);
  KILN_ASSERT(record_->state == FiberState::kFinished);
}

// ---------------------------------------------------------------------------
// Runtime: lifetime

Runtime::Runtime(RuntimeOptions options)
    : options_(options),
      previous_hooks_(SetCurrentSimHooks(this)),
      stacks_(options.fiber_stack_bytes),
      sched_random_(MixSeed(options.seed, StableHash64("sched"))),
      trace_(options.record_trace),
      buggify_(options.seed, options.buggify) {}

Runtime::~Runtime() {
  if (live_fibers_ != 0) {
    const std::string message =
        "Runtime destroyed with unfinished fibers; wind them down first "
        "(BeginCrash, WindDown, EndCrash):\n" +
        UnfinishedFibers();
    KILN_UNREACHABLE(message.c_str());
  }
  KILN_ASSERT_MSG(fibers_.empty(), "Runtime destroyed before the Task handles it gave out");
  KILN_ASSERT_MSG(mutexes_.empty(), "Runtime destroyed before the mutexes it gave out");
  KILN_ASSERT_MSG(CurrentSimHooks() == this,
                  "Runtimes on one thread must be destroyed in reverse order of creation");
  SetCurrentSimHooks(previous_hooks_);
}

// ---------------------------------------------------------------------------
// Runtime: tasks and synchronisation

FiberRecord* Runtime::NewFiber(std::string_view name, std::function<void()> body) {
  KILN_ASSERT(body != nullptr);
  KILN_ASSERT_MSG(live_fibers_ < kMaxLiveFibers, "too many live fibers (kMaxLiveFibers)");
  const uint32_t id = next_fiber_id_++;
  auto record = std::make_unique<FiberRecord>(id, std::string(name), stacks_, std::move(body));
  FiberRecord* fiber = record.get();
  fibers_.emplace(id, std::move(record));
  ++live_fibers_;
  runnable_.push_back(fiber);
  trace_.Record(EventKind::kSpawn, current_fiber_id(), id, 0, name);
  return fiber;
}

std::unique_ptr<FiberTask> Runtime::Spawn(std::string_view name, std::function<void()> body) {
  FiberRecord* fiber = NewFiber(name, std::move(body));
  return std::unique_ptr<FiberTask>(new FiberTask(*this, fiber));
}

void Runtime::SpawnDetached(std::string_view name, std::function<void()> body) {
  NewFiber(name, std::move(body))->detached = true;
}

void Runtime::Yield() {
  if (current_ != nullptr) {
    YieldCurrent();
    return;
  }
  KILN_ASSERT(!looping_);
  FireDueTimers();
  if (runnable_.empty()) {
    if (timers_.empty()) return;
    now_ns_ = timers_.begin()->first.first;
    trace_.Record(EventKind::kTimeJump, kDriverFiberId, now_ns_, 0);
    FireDueTimers();
  }
  Step();
}

void Runtime::SleepNs(uint64_t duration_ns) {
  FiberRecord* self = current_;
  if (crashing_) {
    if (self != nullptr) YieldCurrent();
    return;
  }
  if (self == nullptr) AbortBlockingInDriver("Clock::SleepNs(" + Number(duration_ns) + ")");
  trace_.Record(EventKind::kSleep, self->id, duration_ns, 0);
  AddTimer(self, SaturatingAdd(now_ns_, duration_ns));
  Block(WaitKind::kSleep, 0, nullptr);
  self->timed_out = false;
}

std::unique_ptr<Mutex> Runtime::NewMutex() {
  return std::make_unique<SimMutex>(*this, next_mutex_id_++);
}

std::unique_ptr<CondVar> Runtime::NewCondVar(Mutex& mutex) {
  auto* sim_mutex = dynamic_cast<SimMutex*>(&mutex);
  KILN_ASSERT_MSG(sim_mutex != nullptr, "NewCondVar needs a mutex made by Runtime::NewMutex");
  auto it = mutexes_.find(sim_mutex->id());
  KILN_ASSERT_MSG(it != mutexes_.end() && it->second == sim_mutex,
                  "NewCondVar needs a mutex made by this runtime");
  return std::make_unique<SimCondVar>(*this, *sim_mutex, next_condvar_id_++);
}

// ---------------------------------------------------------------------------
// Runtime: driving

RunResult Runtime::Run(RunLimits limits) { return Loop(limits, nullptr, /*honour_stop=*/true); }

RunResult Runtime::RunUntilFinished(const FiberTask& task, RunLimits limits) {
  KILN_ASSERT(&task.runtime_ == this);
  return Loop(limits, task.record_, /*honour_stop=*/true);
}

void Runtime::RunInFiber(std::string_view name, std::function<void()> body) {
  std::unique_ptr<FiberTask> task = Spawn(name, std::move(body));
  const RunResult result = RunUntilFinished(*task);
  if (result.reason != RunReason::kTaskFinished) {
    const std::string message = "RunInFiber('" + std::string(name) +
                                "') ended before the fiber finished: " +
                                std::string(RunReasonName(result.reason)) + "\n" + result.report;
    KILN_UNREACHABLE(message.c_str());
  }
}

void Runtime::RequestStop(std::string_view reason) {
  if (crashing_) return;
  if (!stop_requested_) stop_reason_.assign(reason);
  stop_requested_ = true;
}

RunResult Runtime::Loop(const RunLimits& limits, const FiberRecord* target, bool honour_stop) {
  KILN_ASSERT_MSG(current_ == nullptr,
                  "Runtime::Run (or WindDown) called from inside a fiber; only the driver runs "
                  "the scheduler");
  KILN_ASSERT_MSG(!looping_, "Runtime::Run is not reentrant");
  looping_ = true;
  const uint64_t steps_before = steps_;
  RunResult result;
  // Every iteration takes a step or moves time forward to a pending timer;
  // max_steps bounds the former, the finite timer queue the latter.
  for (;;) {
    if (target != nullptr && target->state == FiberState::kFinished) {
      result.reason = RunReason::kTaskFinished;
      break;
    }
    if (honour_stop && stop_requested_) {
      stop_requested_ = false;
      result.reason = RunReason::kStopRequested;
      result.report = std::move(stop_reason_);
      stop_reason_.clear();
      break;
    }
    if (live_fibers_ == 0) {
      result.reason = RunReason::kQuiescent;
      break;
    }
    FireDueTimers();
    if (runnable_.empty()) {
      if (timers_.empty()) {
        result.reason = RunReason::kDeadlock;
        result.report = DeadlockReport();
        break;
      }
      const uint64_t next_ns = timers_.begin()->first.first;
      if (next_ns > limits.until_ns) {
        if (now_ns_ < limits.until_ns) now_ns_ = limits.until_ns;
        result.reason = RunReason::kTimeReached;
        break;
      }
      now_ns_ = next_ns;
      trace_.Record(EventKind::kTimeJump, kDriverFiberId, now_ns_, 0);
      continue;
    }
    if (now_ns_ > limits.until_ns) {
      result.reason = RunReason::kTimeReached;
      break;
    }
    if (steps_ - steps_before >= limits.max_steps) {
      result.reason = RunReason::kStepLimit;
      break;
    }
    Step();
  }
  looping_ = false;
  result.steps = steps_ - steps_before;
  result.now_ns = now_ns_;
  return result;
}

void Runtime::FireDueTimers() {
  // Bounded by the timer queue, which holds at most one timer per live fiber.
  while (!timers_.empty() && timers_.begin()->first.first <= now_ns_) {
    auto it = timers_.begin();
    FiberRecord* fiber = it->second;
    const uint64_t deadline_ns = it->first.first;
    timers_.erase(it);
    fiber->has_timer = false;
    fiber->timed_out = true;
    if (fiber->wait_queue != nullptr) fiber->wait_queue->Remove(fiber);
    trace_.Record(EventKind::kTimerFire, fiber->id, deadline_ns, 0);
    Wake(fiber);
  }
}

void Runtime::Step() {
  KILN_ASSERT(current_ == nullptr);
  KILN_ASSERT(!runnable_.empty());
  const size_t count = runnable_.size();
  // While crashing: round robin, so every fiber makes progress towards its end.
  size_t index = 0;
  if (!crashing_ && count > 1) index = sched_random_.Uniform(count);
  FiberRecord* fiber = runnable_[index];
  runnable_.erase(runnable_.begin() + static_cast<std::ptrdiff_t>(index));
  ++steps_;
  now_ns_ = SaturatingAdd(now_ns_, options_.step_cost_ns);
  trace_.Record(EventKind::kSchedule, fiber->id, index, count);
  KILN_ASSERT(fiber->state == FiberState::kRunnable);
  fiber->state = FiberState::kRunning;
  current_ = fiber;
  fiber->fiber.Resume();
  current_ = nullptr;
  if (fiber->fiber.finished()) OnFinished(fiber);
}

void Runtime::OnFinished(FiberRecord* fiber) {
  fiber->state = FiberState::kFinished;
  --live_fibers_;
  trace_.Record(EventKind::kFinish, fiber->id, 0, 0);
  if (!crashing_ && fiber->mutexes_held != 0) {
    const std::string message = "fiber " + DescribeFiber(fiber->id) + " finished holding " +
                                Number(fiber->mutexes_held) + " mutex(es)";
    KILN_UNREACHABLE(message.c_str());
  }
  for (FiberRecord* joiner : fiber->joiners) Wake(joiner);
  fiber->joiners.clear();
  if (fiber->detached) fibers_.erase(fiber->id);
}

void Runtime::ReleaseTask(FiberRecord* record) {
  KILN_ASSERT(record->state == FiberState::kFinished);
  fibers_.erase(record->id);
}

// ---------------------------------------------------------------------------
// Runtime: crash wind-down

void Runtime::BeginCrash() {
  KILN_ASSERT_MSG(!crashing_, "BeginCrash while already crashing");
  crashing_ = true;
  trace_.Record(EventKind::kCrash, current_fiber_id(), 1, 0);
  // Release every blocked fiber but the joiners, in id order; their blocking
  // call returns as if it had succeeded at once.
  for (auto& [id, fiber] : fibers_) {
    if (fiber->state != FiberState::kBlocked || fiber->wait_kind == WaitKind::kJoin) continue;
    if (fiber->wait_queue != nullptr) fiber->wait_queue->Remove(fiber.get());
    CancelTimer(fiber.get());
    fiber->crash_woken = true;
    Wake(fiber.get());
  }
}

void Runtime::WindDown() {
  KILN_ASSERT_MSG(crashing_, "WindDown requires BeginCrash first");
  const RunResult result =
      Loop(RunLimits{.max_steps = kWindDownMaxSteps}, nullptr, /*honour_stop=*/false);
  if (result.reason != RunReason::kQuiescent) {
    const std::string message = "WindDown: fibers did not finish (" +
                                std::string(RunReasonName(result.reason)) + " after " +
                                Number(result.steps) + " steps):\n" + UnfinishedFibers();
    KILN_UNREACHABLE(message.c_str());
  }
}

void Runtime::EndCrash() {
  KILN_ASSERT_MSG(crashing_, "EndCrash without BeginCrash");
  KILN_ASSERT_MSG(current_ == nullptr, "EndCrash must be called from the driver");
  if (live_fibers_ != 0) {
    const std::string message = "EndCrash with unfinished fibers (call WindDown first):\n" +
                                UnfinishedFibers();
    KILN_UNREACHABLE(message.c_str());
  }
  KILN_ASSERT(runnable_.empty());
  KILN_ASSERT(timers_.empty());
  crashing_ = false;
  trace_.Record(EventKind::kCrash, kDriverFiberId, 0, 0);
}

// ---------------------------------------------------------------------------
// Runtime: state, trace, hooks

std::string_view Runtime::current_fiber_name() const {
  return current_ != nullptr ? std::string_view(current_->name) : std::string_view("driver");
}

uint32_t Runtime::current_fiber_id() const {
  return current_ != nullptr ? current_->id : kDriverFiberId;
}

Random Runtime::NewRandom(std::string_view stream) const {
  return Random(MixSeed(options_.seed, StableHash64(stream)));
}

void Runtime::RecordIo(std::string_view op, std::string_view detail) {
  io_detail_.assign(op);
  if (!detail.empty()) {
    io_detail_ += ' ';
    io_detail_.append(detail);
  }
  trace_.Record(EventKind::kIo, current_fiber_id(), io_detail_);
}

void Runtime::RecordFault(std::string_view detail) {
  trace_.Record(EventKind::kFault, current_fiber_id(), detail);
}

void Runtime::RecordNote(std::string_view detail) {
  trace_.Record(EventKind::kNote, current_fiber_id(), detail);
}

bool Runtime::BuggifyFires(const BuggifySite& site, double fire_probability) {
  const bool fires = buggify_.Evaluate(site, fire_probability);
  trace_.Record(EventKind::kBuggify, current_fiber_id(), static_cast<uint64_t>(site.line),
                fires ? 1 : 0, site.file);
  return fires;
}

void Runtime::ProbeHit(const ProbeSite& site) { coverage_.Hit(site); }

// ---------------------------------------------------------------------------
// Runtime: blocking primitives for fibers

void Runtime::YieldCurrent() {
  FiberRecord* self = current_;
  KILN_ASSERT(self != nullptr);
  self->state = FiberState::kRunnable;
  runnable_.push_back(self);
  self->fiber.Suspend();
}

bool Runtime::Block(WaitKind kind, uint64_t object_id, const SimMutex* mutex) {
  FiberRecord* self = current_;
  KILN_ASSERT(self != nullptr);
  self->state = FiberState::kBlocked;
  self->wait_kind = kind;
  self->wait_object_id = object_id;
  self->wait_mutex = mutex;
  trace_.Record(EventKind::kBlock, self->id, static_cast<uint64_t>(kind), object_id);
  self->fiber.Suspend();
  const bool crash_woken = self->crash_woken;
  self->crash_woken = false;
  return crash_woken;
}

void Runtime::Wake(FiberRecord* fiber) {
  KILN_ASSERT(fiber->state == FiberState::kBlocked);
  KILN_ASSERT(fiber->wait_queue == nullptr);
  KILN_ASSERT(!fiber->has_timer);
  fiber->state = FiberState::kRunnable;
  fiber->wait_kind = WaitKind::kNone;
  fiber->wait_object_id = 0;
  fiber->wait_mutex = nullptr;
  runnable_.push_back(fiber);
  trace_.Record(EventKind::kWake, fiber->id, current_fiber_id(), 0);
}

void Runtime::AddTimer(FiberRecord* fiber, uint64_t deadline_ns) {
  KILN_ASSERT(!fiber->has_timer);
  const std::pair<uint64_t, uint64_t> key{deadline_ns, next_timer_sequence_++};
  timers_.emplace(key, fiber);
  fiber->has_timer = true;
  fiber->timer = key;
}

void Runtime::CancelTimer(FiberRecord* fiber) {
  if (!fiber->has_timer) return;
  timers_.erase(fiber->timer);
  fiber->has_timer = false;
}

size_t Runtime::ChooseWaiter(size_t count) {
  KILN_ASSERT(count > 0);
  if (crashing_ || count == 1) return 0;
  return static_cast<size_t>(sched_random_.Uniform(count));
}

void Runtime::AbortBlockingInDriver(const std::string& operation) const {
  const std::string message =
      operation +
      " would block, but it was called from the driver (outside every fiber). The driver "
      "cannot block: run this code in a fiber, e.g. Runtime::RunInFiber(name, body), or "
      "Spawn(name, body) and then Run().";
  KILN_UNREACHABLE(message.c_str());
}

void Runtime::RegisterMutex(uint64_t id, SimMutex* mutex) {
  const bool inserted = mutexes_.emplace(id, mutex).second;
  KILN_ASSERT(inserted);
}

void Runtime::UnregisterMutex(uint64_t id) {
  const size_t erased = mutexes_.erase(id);
  KILN_ASSERT(erased == 1);
}

// ---------------------------------------------------------------------------
// Runtime: reports

std::string Runtime::DescribeFiber(uint32_t fiber_id) const {
  if (fiber_id == kDriverFiberId) return "the driver";
  auto it = fibers_.find(fiber_id);
  if (it == fibers_.end()) return "finished fiber #" + Number(fiber_id);
  return "'" + it->second->name + "' (#" + Number(fiber_id) + ")";
}

std::string Runtime::DescribeBlocked(const FiberRecord& fiber) const {
  std::string text = "fiber " + DescribeFiber(fiber.id);
  switch (fiber.wait_kind) {
    case WaitKind::kMutex:
      text += " waits on mutex #" + Number(fiber.wait_object_id) + " held by " +
              DescribeFiber(fiber.wait_mutex->owner_id());
      break;
    case WaitKind::kCondVar: {
      text += " waits on condvar #" + Number(fiber.wait_object_id) + "; mutex #" +
              Number(fiber.wait_mutex->id());
      const uint32_t owner = fiber.wait_mutex->owner_id();
      text += owner == kNoOwner ? " is free" : " held by " + DescribeFiber(owner);
      break;
    }
    case WaitKind::kSleep:
      text += " sleeps until " + Number(fiber.timer.first) + " ns";
      break;
    case WaitKind::kJoin:
      text += " waits to join " + DescribeFiber(static_cast<uint32_t>(fiber.wait_object_id));
      break;
    case WaitKind::kNone:
      text += fiber.state == FiberState::kRunnable ? " is runnable" : " is running";
      break;
  }
  std::string held;
  for (const auto& [id, mutex] : mutexes_) {
    if (mutex->owner_id() != fiber.id) continue;
    held += (held.empty() ? "; holds mutex #" : ", mutex #") + Number(id);
  }
  return text + held;
}

std::string Runtime::DeadlockReport() const {
  std::string report = "deadlock: no fiber can run and no timer is pending\n";
  for (const auto& [id, fiber] : fibers_) {
    if (fiber->state != FiberState::kBlocked) continue;
    report += "  " + DescribeBlocked(*fiber) + "\n";
  }
  return report;
}

std::string Runtime::UnfinishedFibers() const {
  std::string list;
  for (const auto& [id, fiber] : fibers_) {
    if (fiber->state == FiberState::kFinished) continue;
    list += "  " + DescribeBlocked(*fiber) + "\n";
  }
  return list;
}

}  // namespace kiln::sim
