// Fiber-aware Mutex and CondVar (kiln::Mutex / kiln::CondVar under a Runtime).
//
// Mutex: Lock is a scheduling point, then takes the mutex or blocks. Unlock
// hands a contended mutex straight to one waiter chosen by the seeded
// scheduler (no barging), so every interleaving is a function of the seed.
// Not recursive. AssertHeld checks the owner is the calling fiber.
//
// CondVar: Wait releases the mutex, blocks until signalled (or, WaitForNs,
// until the simulated timeout), then re-acquires it. Signal wakes one waiter
// chosen by the seeded scheduler; SignalAll wakes all in arrival order. No
// spurious wake-ups are injected (callers must tolerate them anyway).
//
// While the runtime is crashing none of these block: see runtime.h.
#ifndef KILN_SIM_SYNC_H_
#define KILN_SIM_SYNC_H_

#include <cstdint>

#include "kiln/env.h"
#include "sim/fiber_record.h"

namespace kiln::sim {

class Runtime;

inline constexpr uint32_t kNoOwner = UINT32_MAX;

class SimMutex final : public Mutex {
 public:
  SimMutex(Runtime& runtime, uint64_t id);
  // REQUIRES: not held and no waiters (unless crashing).
  ~SimMutex() override;

  // May yield. From the driver: takes a free mutex, aborts on a held one.
  void Lock() override;
  void Unlock() override;
  void AssertHeld() override;

  uint64_t id() const { return id_; }
  // The holder's fiber id (kDriverFiberId for the driver), or kNoOwner.
  uint32_t owner_id() const { return owner_; }

 private:
  friend class SimCondVar;

  // Takes the mutex for fiber self (null: the driver) without a scheduling
  // point; blocks a fiber while it is held.
  void Acquire(FiberRecord* self);
  void Release();

  Runtime& runtime_;
  const uint64_t id_;
  uint32_t owner_ = kNoOwner;
  // While crashing, extra concurrent holders (Lock never blocks then).
  uint32_t crash_holds_ = 0;
  WaitQueue waiters_;
};

class SimCondVar final : public CondVar {
 public:
  SimCondVar(Runtime& runtime, SimMutex& mutex, uint64_t id);
  // REQUIRES: no waiters.
  ~SimCondVar() override;

  void Wait() override;
  bool WaitForNs(uint64_t timeout_ns) override;
  void Signal() override;
  void SignalAll() override;

  uint64_t id() const { return id_; }

 private:
  // timeout_ns == kNoTimeout: wait until signalled. Returns false on timeout.
  bool WaitInternal(uint64_t timeout_ns);
  void WakeOne(size_t index);

  Runtime& runtime_;
  SimMutex& mutex_;
  const uint64_t id_;
  WaitQueue waiters_;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_SYNC_H_
