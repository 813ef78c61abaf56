#include "sim/sync.h"

#include <string>

#include "sim/runtime.h"
#include "util/assert.h"

namespace kiln::sim {
namespace {

constexpr uint64_t kNoTimeout = UINT64_MAX;

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

}  // namespace

// ---------------------------------------------------------------------------
// SimMutex

SimMutex::SimMutex(Runtime& runtime, uint64_t id) : runtime_(runtime), id_(id) {
  runtime_.RegisterMutex(id_, this);
}

SimMutex::~SimMutex() {
  if (!runtime_.crashing_ && owner_ != kNoOwner) {
    const std::string message = "mutex #" + std::to_string(id_) + " destroyed while held by " +
                                runtime_.DescribeFiber(owner_);
    KILN_UNREACHABLE(message.c_str());
  }
  KILN_ASSERT_MSG(waiters_.empty(), "mutex destroyed while fibers wait on it");
  runtime_.UnregisterMutex(id_);
}

void SimMutex::Lock() {
  FiberRecord* self = runtime_.current_;
  if (self != nullptr) runtime_.YieldCurrent();
  Acquire(self);
}

void SimMutex::Acquire(FiberRecord* self) {
  const uint32_t me = self != nullptr ? self->id : kDriverFiberId;
  if (owner_ == kNoOwner) {
    owner_ = me;
    if (self != nullptr) ++self->mutexes_held;
    runtime_.trace_.Record(EventKind::kLock, me, id_, 0);
    return;
  }
  if (runtime_.crashing_) {
    ++crash_holds_;
    runtime_.trace_.Record(EventKind::kLock, me, id_, 1);
    return;
  }
  if (owner_ == me) {
    const std::string message = "mutex #" + std::to_string(id_) + " locked again by its holder " +
                                runtime_.DescribeFiber(me) + " (mutexes are not recursive)";
    KILN_UNREACHABLE(message.c_str());
  }
  if (self == nullptr) {
    runtime_.AbortBlockingInDriver("Mutex::Lock of mutex #" + std::to_string(id_) + " held by " +
                                   runtime_.DescribeFiber(owner_));
  }
  waiters_.Add(self);
  if (runtime_.Block(WaitKind::kMutex, id_, this)) {
    // BeginCrash released us from the queue: take it without exclusivity.
    if (owner_ == kNoOwner) {
      owner_ = me;
    } else {
      ++crash_holds_;
    }
    runtime_.trace_.Record(EventKind::kLock, me, id_, 1);
    return;
  }
  // Release() handed the mutex to us (and counted and traced it).
  KILN_ASSERT(owner_ == me);
}

void SimMutex::Unlock() {
  const uint32_t me = runtime_.current_fiber_id();
  if (runtime_.crashing_) {
    if (crash_holds_ > 0) {
      --crash_holds_;
    } else {
      owner_ = kNoOwner;
    }
    runtime_.trace_.Record(EventKind::kUnlock, me, id_, 0);
    return;
  }
  if (owner_ != me) {
    const std::string message =
        "Mutex::Unlock of mutex #" + std::to_string(id_) + " by " + runtime_.DescribeFiber(me) +
        ", which does not hold it (" +
        (owner_ == kNoOwner ? std::string("it is free") : "held by " + runtime_.DescribeFiber(owner_)) +
        ")";
    KILN_UNREACHABLE(message.c_str());
  }
  if (runtime_.current_ != nullptr) --runtime_.current_->mutexes_held;
  Release();
}

void SimMutex::Release() {
  const uint32_t me = runtime_.current_fiber_id();
  if (waiters_.empty()) {
    owner_ = kNoOwner;
    runtime_.trace_.Record(EventKind::kUnlock, me, id_, 0);
    return;
  }
  FiberRecord* next = waiters_.Take(runtime_.ChooseWaiter(waiters_.size()));
  owner_ = next->id;
  ++next->mutexes_held;
  runtime_.trace_.Record(EventKind::kUnlock, me, id_, next->id);
  runtime_.trace_.Record(EventKind::kLock, next->id, id_, 0);
  runtime_.Wake(next);
}

void SimMutex::AssertHeld() {
  if (runtime_.crashing_) return;
  const uint32_t me = runtime_.current_fiber_id();
  if (owner_ != me) {
    const std::string message =
        "Mutex::AssertHeld: mutex #" + std::to_string(id_) + " is not held by the caller " +
        runtime_.DescribeFiber(me) + " (" +
        (owner_ == kNoOwner ? std::string("it is free") : "held by " + runtime_.DescribeFiber(owner_)) +
        ")";
    KILN_UNREACHABLE(message.c_str());
  }
}

// ---------------------------------------------------------------------------
// SimCondVar

SimCondVar::SimCondVar(Runtime& runtime, SimMutex& mutex, uint64_t id)
    : runtime_(runtime), mutex_(mutex), id_(id) {}

SimCondVar::~SimCondVar() {
  KILN_ASSERT_MSG(waiters_.empty(), "condvar destroyed while fibers wait on it");
}

void SimCondVar::Wait() { WaitInternal(kNoTimeout); }

bool SimCondVar::WaitForNs(uint64_t timeout_ns) { return WaitInternal(timeout_ns); }

bool SimCondVar::WaitInternal(uint64_t timeout_ns) {
  FiberRecord* self = runtime_.current_;
  if (runtime_.crashing_) {
    // Returning at once is a legal spurious wake-up; yielding lets the fiber
    // the caller waits for make progress towards its own end.
    if (self != nullptr) runtime_.YieldCurrent();
    return timeout_ns == kNoTimeout;
  }
  if (self == nullptr) {
    runtime_.AbortBlockingInDriver("CondVar::Wait on condvar #" + std::to_string(id_));
  }
  mutex_.AssertHeld();
  runtime_.trace_.Record(EventKind::kWait, self->id, id_, timeout_ns);
  waiters_.Add(self);
  if (timeout_ns != kNoTimeout) {
    runtime_.AddTimer(self, SaturatingAdd(runtime_.now_ns(), timeout_ns));
  }
  --self->mutexes_held;
  mutex_.Release();
  const bool crash_woken = runtime_.Block(WaitKind::kCondVar, id_, &mutex_);
  const bool timed_out = self->timed_out;
  self->timed_out = false;
  mutex_.Acquire(self);
  return !timed_out && !crash_woken;
}

void SimCondVar::Signal() {
  if (waiters_.empty()) {
    runtime_.trace_.Record(EventKind::kSignal, runtime_.current_fiber_id(), id_, 0);
    return;
  }
  WakeOne(runtime_.ChooseWaiter(waiters_.size()));
}

void SimCondVar::SignalAll() {
  if (waiters_.empty()) {
    runtime_.trace_.Record(EventKind::kSignal, runtime_.current_fiber_id(), id_, 0);
    return;
  }
  // Bounded by the waiters present now: a woken fiber cannot run (and wait
  // again) before this returns.
  while (!waiters_.empty()) WakeOne(0);
}

void SimCondVar::WakeOne(size_t index) {
  FiberRecord* fiber = waiters_.Take(index);
  runtime_.CancelTimer(fiber);
  runtime_.trace_.Record(EventKind::kSignal, runtime_.current_fiber_id(), id_, fiber->id);
  runtime_.Wake(fiber);
}

}  // namespace kiln::sim
