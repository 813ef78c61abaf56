#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "env/posix_env.h"
#include "util/assert.h"

namespace kiln {
namespace {

// Linux thread names hold 15 bytes plus the NUL.
constexpr size_t kMaxThreadNameBytes = 15;

// Longer waits are clamped: steady_clock::now() + timeout must not overflow.
constexpr uint64_t kMaxWaitNs = uint64_t{1} << 60;  // ~36 years

class ThreadMutex final : public Mutex {
 public:
  void Lock() override {
    mutex_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }

  void Unlock() override {
    AssertHeld();
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mutex_.unlock();
  }

  // Relaxed loads suffice: only the holder stores its own id, so a thread
  // reads its own id exactly when it stored it and has not cleared it since.
  void AssertHeld() override {
    KILN_ASSERT_MSG(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(),
                    "mutex is not held by the calling thread");
  }

  // For ThreadCondVar: the lock is handed to the wait, then taken back.
  // REQUIRES: held by the calling thread.
  std::mutex& ReleaseOwnershipForWait() {
    AssertHeld();
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    return mutex_;
  }
  void RestoreOwnershipAfterWait() {
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }

 private:
  std::mutex mutex_;
  std::atomic<std::thread::id> owner_{};  // std::thread::id() when free
};

class ThreadCondVar final : public CondVar {
 public:
  explicit ThreadCondVar(ThreadMutex& mutex) : mutex_(mutex) {}

  void Wait() override {
    std::unique_lock<std::mutex> lock(mutex_.ReleaseOwnershipForWait(), std::adopt_lock);
    condition_.wait(lock);
    lock.release();  // stays locked: the caller holds the Mutex again
    mutex_.RestoreOwnershipAfterWait();
  }

  bool WaitForNs(uint64_t timeout_ns) override {
    const auto timeout = std::chrono::nanoseconds(std::min(timeout_ns, kMaxWaitNs));
    std::unique_lock<std::mutex> lock(mutex_.ReleaseOwnershipForWait(), std::adopt_lock);
    const std::cv_status result = condition_.wait_for(lock, timeout);
    lock.release();
    mutex_.RestoreOwnershipAfterWait();
    return result == std::cv_status::no_timeout;
  }

  void Signal() override { condition_.notify_one(); }
  void SignalAll() override { condition_.notify_all(); }

 private:
  ThreadMutex& mutex_;
  std::condition_variable condition_;
};

class ThreadTask final : public Task {
 public:
  explicit ThreadTask(std::thread thread) : thread_(std::move(thread)) {}
  ~ThreadTask() override { Join(); }

  ThreadTask(const ThreadTask&) = delete;
  ThreadTask& operator=(const ThreadTask&) = delete;

  void Join() override {
    if (!thread_.joinable()) return;
    KILN_ASSERT_MSG(thread_.get_id() != std::this_thread::get_id(), "a task cannot join itself");
    thread_.join();
  }

 private:
  std::thread thread_;
};

void NameCurrentThread(const std::string& name) {
  const std::string truncated = name.substr(0, kMaxThreadNameBytes);
  // Only a debugging aid (top -H, gdb): failure changes nothing.
  (void)::pthread_setname_np(::pthread_self(), truncated.c_str());
}

}  // namespace

std::unique_ptr<Mutex> ThreadScheduler::NewMutex() { return std::make_unique<ThreadMutex>(); }

std::unique_ptr<CondVar> ThreadScheduler::NewCondVar(Mutex& mutex) {
  auto* thread_mutex = dynamic_cast<ThreadMutex*>(&mutex);
  KILN_ASSERT_MSG(thread_mutex != nullptr, "CondVar needs a Mutex made by a ThreadScheduler");
  return std::make_unique<ThreadCondVar>(*thread_mutex);
}

std::unique_ptr<Task> ThreadScheduler::Spawn(std::string_view name, std::function<void()> body) {
  KILN_ASSERT(body != nullptr);
  std::thread thread([name = std::string(name), body = std::move(body)] {
    NameCurrentThread(name);
    body();
  });
  return std::make_unique<ThreadTask>(std::move(thread));
}

void ThreadScheduler::Yield() { std::this_thread::yield(); }

}  // namespace kiln
