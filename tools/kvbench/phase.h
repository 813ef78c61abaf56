// The timed part of a workload: threads started together, each timing every
// operation (the time since its previous one ended, so each op costs one clock
// read), with a live progress line on stderr.
#ifndef KILN_TOOLS_KVBENCH_PHASE_H_
#define KILN_TOOLS_KVBENCH_PHASE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "tools/kvbench/histogram.h"

namespace kiln::kvbench {

class Phase;
class PhaseThread;
struct PhaseOptions;
struct PhaseResult;

// body(thread_index, self) runs on each thread; counted threads get indices
// [0, counted_threads), then the uncounted ones. A non-OK status stops that
// thread and becomes the phase's status.
using PhaseBody = std::function<absl::Status(int, PhaseThread&)>;
PhaseResult RunPhase(const PhaseOptions& options, const PhaseBody& body);

// One thread's view of a running phase. Thread-safety: its own thread only.
class PhaseThread {
 public:
  // Ends one operation: records its latency (for a counted thread) and
  // advances the progress line.
  void OpDone();
  void Found() { ++found_; }
  // A thread that runs alongside but is not measured (readwhilewriting's
  // writer): its ops are counted separately, not timed.
  bool counted() const { return counted_; }
  // Whether every counted thread has finished (for an uncounted thread's loop).
  bool CountedThreadsDone() const;

 private:
  friend PhaseResult RunPhase(const PhaseOptions& options, const PhaseBody& body);
  PhaseThread(Phase& phase, bool counted) : phase_(phase), counted_(counted) {}

  Phase& phase_;
  const bool counted_;
  Histogram latency_;
  uint64_t ops_ = 0;
  uint64_t found_ = 0;
  uint64_t unreported_ops_ = 0;
  std::chrono::steady_clock::time_point last_;
};

struct PhaseResult {
  Histogram latency;  // counted threads, merged
  uint64_t ops = 0;
  uint64_t found = 0;
  uint64_t uncounted_ops = 0;
  double seconds = 0;  // start to the last counted thread's end
  // The share of the counted threads' time in the phase that they were
  // runnable but waiting for a core (the host or the engine's own
  // background threads had them all); nullopt where the kernel does not say.
  std::optional<double> core_wait_pct;
  absl::Status status;  // the first error any thread returned
};

struct PhaseOptions {
  int counted_threads = 1;
  int uncounted_threads = 0;
  // Total ops of the counted threads, for the progress percentage.
  uint64_t expected_ops = 0;
  // Printed at the start of the progress line; empty: no progress line.
  std::string label;
};

// A phase's shared state (internal to phase.cc, declared for PhaseThread).
class Phase {
 public:
  explicit Phase(const PhaseOptions& options);
  void ReportOps(uint64_t ops);
  bool CountedThreadsDone() const {
    return counted_done_.load(std::memory_order_acquire) == options_.counted_threads;
  }
  void CountedThreadDone() { counted_done_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  const PhaseOptions& options_;
  const bool tty_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<uint64_t> ops_done_{0};
  std::atomic<int> counted_done_{0};
  std::atomic<int64_t> next_print_ns_{0};
};

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_PHASE_H_
