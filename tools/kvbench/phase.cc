#include "tools/kvbench/phase.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tools/kvbench/process_stats.h"
#include "util/assert.h"

namespace kiln::kvbench {
namespace {

using Clock = std::chrono::steady_clock;

// Ops a thread batches before touching the shared progress counter.
constexpr uint64_t kProgressBatchOps = 1024;
constexpr int64_t kProgressIntervalNs = 250'000'000;
// Bound on threads a phase may start.
constexpr int kMaxPhaseThreads = 1024;

int64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

}  // namespace

Phase::Phase(const PhaseOptions& options)
    : options_(options), tty_(!options.label.empty() && isatty(STDERR_FILENO) == 1),
      start_(Clock::now()) {}

void Phase::ReportOps(uint64_t ops) {
  const uint64_t done = ops_done_.fetch_add(ops, std::memory_order_relaxed) + ops;
  if (!tty_) return;
  const int64_t now_ns = NanosSince(start_);
  int64_t next_ns = next_print_ns_.load(std::memory_order_relaxed);
  if (now_ns < next_ns ||
      !next_print_ns_.compare_exchange_strong(next_ns, now_ns + kProgressIntervalNs)) {
    return;
  }
  const double percent =
      options_.expected_ops == 0 ? 0 : 100.0 * double(done) / double(options_.expected_ops);
  std::fprintf(stderr, "\r%s %5.1f%%  %.0f ops/s\033[K", options_.label.c_str(), percent,
               double(done) / (double(now_ns) / 1e9));
}

bool PhaseThread::CountedThreadsDone() const { return phase_.CountedThreadsDone(); }

void PhaseThread::OpDone() {
  if (counted_) {
    const Clock::time_point now = Clock::now();
    latency_.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count()));
    last_ = now;
  }
  ++ops_;
  if (counted_ && ++unreported_ops_ == kProgressBatchOps) {
    phase_.ReportOps(unreported_ops_);
    unreported_ops_ = 0;
  }
}

PhaseResult RunPhase(const PhaseOptions& options, const PhaseBody& body) {
  const int total = options.counted_threads + options.uncounted_threads;
  KILN_ASSERT(options.counted_threads >= 1);
  KILN_ASSERT(total <= kMaxPhaseThreads);
  Phase phase(options);
  std::vector<std::unique_ptr<PhaseThread>> threads;
  for (int i = 0; i < total; ++i) {
    threads.push_back(std::unique_ptr<PhaseThread>(
        new PhaseThread(phase, /*counted=*/i < options.counted_threads)));
  }
  std::mutex mutex;
  absl::Status first_error;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> end_seconds(total, 0);
  // Per counted thread: how long it waited for a core during its part of
  // the phase, if the kernel says.
  std::vector<std::optional<uint64_t>> core_wait_ns(total);
  Clock::time_point start;
  std::vector<std::thread> workers;
  for (int i = 0; i < total; ++i) {
    workers.emplace_back([&, i] {
      PhaseThread& self = *threads[i];
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      self.last_ = Clock::now();
      const std::optional<ThreadCpuTimes> cpu_before = CurrentThreadCpuTimes();
      absl::Status status = body(i, self);
      if (self.counted_) {
        end_seconds[i] = double(NanosSince(start)) / 1e9;
        const std::optional<ThreadCpuTimes> cpu_after = CurrentThreadCpuTimes();
        if (cpu_before.has_value() && cpu_after.has_value()) {
          core_wait_ns[i] = cpu_after->waiting_ns - cpu_before->waiting_ns;
        }
        phase.CountedThreadDone();
      }
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mutex);
        if (first_error.ok()) first_error = status;
      }
    });
  }
  while (ready.load() < total) std::this_thread::yield();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& worker : workers) worker.join();
  if (!options.label.empty() && isatty(STDERR_FILENO) == 1) std::fprintf(stderr, "\r\033[K");

  PhaseResult result;
  result.status = first_error;
  double waiting_seconds = 0;
  double counted_seconds = 0;
  bool cpu_times_known = true;
  for (int i = 0; i < total; ++i) {
    const PhaseThread& thread = *threads[i];
    if (thread.counted_) {
      if (core_wait_ns[i].has_value()) {
        waiting_seconds += double(*core_wait_ns[i]) / 1e9;
      } else {
        cpu_times_known = false;
      }
      counted_seconds += end_seconds[i];
      result.latency.Merge(thread.latency_);
      result.ops += thread.ops_;
      result.found += thread.found_;
      result.seconds = std::max(result.seconds, end_seconds[i]);
    } else {
      result.uncounted_ops += thread.ops_;
    }
  }
  if (cpu_times_known && counted_seconds > 0) {
    result.core_wait_pct = 100 * waiting_seconds / counted_seconds;
  }
  return result;
}

}  // namespace kiln::kvbench
