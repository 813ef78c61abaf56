// A fiber: an asymmetric coroutine on its own stack (Boost.Context), resumed
// by a driver and suspending back to it. The Runtime's scheduler is the only
// driver; it resumes one fiber per scheduling step.
//
// Stacks come from a StackPool: fixed-size mmap'd regions with a guard page
// below, reused across fibers so spawning is cheap. Under AddressSanitizer
// every switch is announced to ASAN (Debian's Boost 1.74 fcontext backend does
// not do it), so ASAN tracks the right stack and reused stacks carry no stale
// poison.
#ifndef KILN_SIM_FIBER_H_
#define KILN_SIM_FIBER_H_

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <functional>
#include <vector>

namespace kiln::sim {

inline constexpr size_t kDefaultFiberStackBytes = 256 * 1024;
// Minimum usable stack: below this even the ASAN runtime's frames overflow.
inline constexpr size_t kMinFiberStackBytes = 64 * 1024;
// Free stacks kept for reuse; more are unmapped when released.
inline constexpr size_t kMaxPooledStacks = 256;

// Thread-safety: not thread-safe; one per Runtime.
class StackPool {
 public:
  // stack_bytes is rounded up to whole pages. REQUIRES: >= kMinFiberStackBytes.
  explicit StackPool(size_t stack_bytes);
  // REQUIRES: every allocated stack was released.
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // A stack: sp is its top (highest address), size its usable bytes; the
  // page below sp - size is a guard page.
  boost::context::stack_context Allocate();
  void Release(const boost::context::stack_context& stack);

  size_t stack_bytes() const { return stack_bytes_; }
  // Stacks allocated and not yet released.
  size_t outstanding() const { return outstanding_; }

 private:
  size_t page_bytes_;
  size_t stack_bytes_;
  size_t outstanding_ = 0;
  std::vector<void*> free_;  // mapping bases (guard page first)
};

// Thread-safety: a fiber is created, resumed, suspended and destroyed on one
// OS thread.
class Fiber {
 public:
  // The stack is taken from pool on the first Resume and given back when
  // body returns. REQUIRES: pool outlives the fiber.
  Fiber(StackPool& pool, std::function<void()> body);
  // REQUIRES: the fiber never started or has finished: a suspended stack
  // holds live objects that only running the fiber to its end can destroy.
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the fiber until it calls Suspend() or its body returns; body is
  // destroyed on the fiber's own stack right after it returns.
  // REQUIRES: !finished(); not called from inside this fiber.
  void Resume();
  // Switches back to the context that resumed this fiber.
  // REQUIRES: called from inside this fiber.
  void Suspend();

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  // The innermost fiber running on this thread, or null in the driver.
  static Fiber* Current();

 private:
  boost::context::fiber Main(boost::context::fiber&& resumer);

  StackPool& pool_;
  std::function<void()> body_;
  boost::context::fiber context_;  // into this fiber, while it is suspended
  boost::context::fiber resumer_;  // back to the resumer, while it runs
  boost::context::stack_context stack_{};
  Fiber* previous_current_ = nullptr;
  bool started_ = false;
  bool running_ = false;
  bool finished_ = false;
  // ASAN bookkeeping (unused in other builds): the fake stacks each side
  // saves across a switch, and the resumer's stack bounds.
  void* resumer_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
  const void* resumer_stack_bottom_ = nullptr;
  size_t resumer_stack_bytes_ = 0;
};

}  // namespace kiln::sim

#endif  // KILN_SIM_FIBER_H_
