// Internal to the runtime (runtime.cc, sync.cc): what the scheduler knows
// about one fiber, and the wait queues fibers block in.
#ifndef KILN_SIM_FIBER_RECORD_H_
#define KILN_SIM_FIBER_RECORD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/fiber.h"
#include "util/assert.h"

namespace kiln::sim {

class SimMutex;

enum class FiberState : uint8_t { kRunnable, kRunning, kBlocked, kFinished };

// What a blocked fiber waits for. Traces record the number; trace.cc names it.
enum class WaitKind : uint8_t { kNone = 0, kMutex = 1, kCondVar = 2, kSleep = 3, kJoin = 4 };

// A timer's place in the runtime's timer queue: earlier deadline first, then
// creation order, so timers with one deadline fire in the order they were set.
using TimerKey = std::pair<uint64_t, uint64_t>;  // (deadline_ns, sequence)

struct FiberRecord {
  FiberRecord(uint32_t id_in, std::string name_in, StackPool& pool, std::function<void()> body)
      : id(id_in), name(std::move(name_in)), fiber(pool, std::move(body)) {}

  const uint32_t id;
  const std::string name;
  Fiber fiber;
  FiberState state = FiberState::kRunnable;
  // No Task handle refers to this record: it is erased once finished.
  bool detached = false;

  // While blocked: what on, for wake-ups and deadlock reports.
  WaitKind wait_kind = WaitKind::kNone;
  uint64_t wait_object_id = 0;
  class WaitQueue* wait_queue = nullptr;  // the queue this fiber sits in, if any
  const SimMutex* wait_mutex = nullptr;   // the mutex waited on, or the condvar's mutex

  bool has_timer = false;
  TimerKey timer{0, 0};
  bool timed_out = false;    // the timer fired before anything else woke it
  bool crash_woken = false;  // BeginCrash released it from its wait

  std::vector<FiberRecord*> joiners;  // fibers blocked in Join on this one
  uint32_t mutexes_held = 0;
};

// The fibers blocked on one mutex or condvar, in arrival order. Bounded by
// the number of live fibers (kMaxLiveFibers).
class WaitQueue {
 public:
  bool empty() const { return fibers_.empty(); }
  size_t size() const { return fibers_.size(); }

  void Add(FiberRecord* fiber) {
    KILN_DASSERT(fiber->wait_queue == nullptr);
    fiber->wait_queue = this;
    fibers_.push_back(fiber);
  }

  // Removes and returns the index-th fiber. REQUIRES: index < size().
  FiberRecord* Take(size_t index) {
    KILN_ASSERT(index < fibers_.size());
    FiberRecord* fiber = fibers_[index];
    fibers_.erase(fibers_.begin() + static_cast<std::ptrdiff_t>(index));
    fiber->wait_queue = nullptr;
    return fiber;
  }

  // REQUIRES: fiber is in this queue.
  void Remove(FiberRecord* fiber) {
    for (size_t i = 0; i < fibers_.size(); ++i) {
      if (fibers_[i] == fiber) {
        Take(i);
        return;
      }
    }
    KILN_UNREACHABLE("fiber not in the wait queue it points to");
  }

 private:
  std::vector<FiberRecord*> fibers_;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_FIBER_RECORD_H_
