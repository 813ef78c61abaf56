#include "sim/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "util/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define KILN_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_SIM_ASAN 1
#endif
#endif

#if defined(KILN_SIM_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace kiln::sim {
namespace {

thread_local Fiber* current_fiber = nullptr;

// Announces a switch to the stack [bottom, bottom + bytes). fake_stack_save
// null means the switching-away context ends for good.
void AsanStartSwitch(void** fake_stack_save, const void* bottom, size_t bytes) {
#if defined(KILN_SIM_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, bytes);
#else
  static_cast<void>(fake_stack_save);
  static_cast<void>(bottom);
  static_cast<void>(bytes);
#endif
}

// Completes a switch on the arriving side; reports the stack switched away from.
void AsanFinishSwitch(void* fake_stack_save, const void** bottom_old, size_t* bytes_old) {
#if defined(KILN_SIM_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, bytes_old);
#else
  static_cast<void>(fake_stack_save);
  static_cast<void>(bottom_old);
  static_cast<void>(bytes_old);
#endif
}

void AsanUnpoison(void* address, size_t bytes) {
#if defined(KILN_SIM_ASAN)
  __asan_unpoison_memory_region(address, bytes);
#else
  static_cast<void>(address);
  static_cast<void>(bytes);
#endif
}

const void* StackBottom(const boost::context::stack_context& stack) {
  return static_cast<const char*>(stack.sp) - stack.size;
}

// Boost.Context's StackAllocator concept over a StackPool. It records the
// stack it hands out so the Fiber knows the bounds to announce to ASAN.
struct PoolStackAllocator {
  StackPool* pool;
  boost::context::stack_context* allocated;

  boost::context::stack_context allocate() {
    *allocated = pool->Allocate();
    return *allocated;
  }
  void deallocate(boost::context::stack_context& stack) { pool->Release(stack); }
};

// Free stacks of the pools that ended on this thread, kept for the next one:
// a process that builds many short simulations (a fuzz target, a campaign
// worker, a property test) then maps, faults in and unmaps a few stacks
// instead of a few per simulation. Stack addresses never reach a trace.
struct SpareStacks {
  size_t mapping_bytes = 0;   // guard page + stack; one size at a time
  std::vector<void*> bases;   // at most kMaxSpareStacks
};
constexpr size_t kMaxSpareStacks = 64;
thread_local SpareStacks spare_stacks;

}  // namespace

StackPool::StackPool(size_t stack_bytes) : page_bytes_(static_cast<size_t>(::sysconf(_SC_PAGESIZE))) {
  KILN_ASSERT(stack_bytes >= kMinFiberStackBytes);
  stack_bytes_ = (stack_bytes + page_bytes_ - 1) / page_bytes_ * page_bytes_;
}

StackPool::~StackPool() {
  KILN_ASSERT_MSG(outstanding_ == 0, "StackPool destroyed while fibers still own stacks");
  const size_t mapping_bytes = page_bytes_ + stack_bytes_;
  SpareStacks& spare = spare_stacks;
  if (spare.bases.empty()) spare.mapping_bytes = mapping_bytes;
  for (void* base : free_) {
    if (spare.mapping_bytes == mapping_bytes && spare.bases.size() < kMaxSpareStacks) {
      spare.bases.push_back(base);
    } else {
      ::munmap(base, mapping_bytes);
    }
  }
}

boost::context::stack_context StackPool::Allocate() {
  void* base = nullptr;
  SpareStacks& spare = spare_stacks;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else if (!spare.bases.empty() && spare.mapping_bytes == page_bytes_ + stack_bytes_) {
    base = spare.bases.back();
    spare.bases.pop_back();
  } else {
    base = ::mmap(nullptr, page_bytes_ + stack_bytes_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    KILN_ASSERT_MSG(base != MAP_FAILED, "cannot map a fiber stack");
    // The guard page turns a stack overflow into a fault instead of silent
    // corruption of the neighbouring mapping.
    KILN_ASSERT(::mprotect(base, page_bytes_, PROT_NONE) == 0);
  }
  ++outstanding_;
  boost::context::stack_context stack;
  stack.size = stack_bytes_;
  stack.sp = static_cast<char*>(base) + page_bytes_ + stack_bytes_;
  return stack;
}

void StackPool::Release(const boost::context::stack_context& stack) {
  KILN_ASSERT(outstanding_ > 0);
  KILN_ASSERT(stack.size == stack_bytes_);
  --outstanding_;
  void* usable = static_cast<char*>(stack.sp) - stack_bytes_;
  void* base = static_cast<char*>(usable) - page_bytes_;
  // Frames that never returned (Boost's entry trampoline) leave ASAN redzones
  // behind; the next fiber on this stack must not trip over them.
  AsanUnpoison(usable, stack_bytes_);
  if (free_.size() < kMaxPooledStacks) {
    free_.push_back(base);
  } else {
    ::munmap(base, page_bytes_ + stack_bytes_);
  }
}

Fiber::Fiber(StackPool& pool, std::function<void()> body) : pool_(pool), body_(std::move(body)) {
  KILN_ASSERT(body_ != nullptr);
}

Fiber::~Fiber() {
  KILN_ASSERT_MSG(!started_ || finished_,
                  "a suspended fiber was destroyed; run it to completion first "
                  "(Runtime::BeginCrash + WindDown)");
}

Fiber* Fiber::Current() { return current_fiber; }

void Fiber::Resume() {
  KILN_ASSERT(!finished_);
  KILN_ASSERT_MSG(!running_, "Fiber::Resume called from inside the fiber itself");
  if (!started_) {
    started_ = true;
    // Created on first use so a fiber that never runs holds no stack and its
    // destruction needs no unwinding.
    context_ = boost::context::fiber(
        std::allocator_arg, PoolStackAllocator{&pool_, &stack_},
        [this](boost::context::fiber&& resumer) { return Main(std::move(resumer)); });
  }
  previous_current_ = current_fiber;
  current_fiber = this;
  running_ = true;
  AsanStartSwitch(&resumer_fake_stack_, StackBottom(stack_), stack_.size);
  context_ = std::move(context_).resume();
  AsanFinishSwitch(resumer_fake_stack_, nullptr, nullptr);
  running_ = false;
  current_fiber = previous_current_;
  KILN_ASSERT(finished_ == !context_);
}

void Fiber::Suspend() {
  KILN_ASSERT_MSG(current_fiber == this, "Fiber::Suspend called from outside the fiber");
  AsanStartSwitch(&fiber_fake_stack_, resumer_stack_bottom_, resumer_stack_bytes_);
  resumer_ = std::move(resumer_).resume();
  AsanFinishSwitch(fiber_fake_stack_, &resumer_stack_bottom_, &resumer_stack_bytes_);
}

boost::context::fiber Fiber::Main(boost::context::fiber&& resumer) {
  AsanFinishSwitch(nullptr, &resumer_stack_bottom_, &resumer_stack_bytes_);
  resumer_ = std::move(resumer);
  {
    // Moved here so the body's captures are destroyed on this stack, by this
    // fiber, where their destructors may still block and yield.
    std::function<void()> body = std::move(body_);
    body();
  }
  finished_ = true;
  // Null fake-stack save: this context ends, ASAN may free its fake stack.
  AsanStartSwitch(nullptr, resumer_stack_bottom_, resumer_stack_bytes_);
  // Boost switches to resumer_ and releases this stack from there.
  return std::move(resumer_);
}

}  // namespace kiln::sim
