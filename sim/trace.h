// The trace of a simulated run: every scheduling decision, spawn, lock, wait,
// wake, sleep, timer, buggify decision, I/O call and injected fault, folded
// into a running 64-bit hash. Same binary + same seed => same hash; the hash
// is what seeds are compared by. With keep_steps the events themselves are
// kept too, so two runs of one seed can be compared step by step and the
// first difference reported (FirstDivergence), or printed for --trace.
//
// An event is (kind, fiber id, two numbers, a text detail). Hot-path events
// (scheduling, locks) use only the numbers, so hashing them formats nothing.
// Everything hashed must be independent of addresses and wall time.
#ifndef KILN_SIM_TRACE_H_
#define KILN_SIM_TRACE_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::sim {

// Kept steps beyond this are hashed but not stored (the trace is then
// truncated()); a run that long is compared by hash only past this point.
inline constexpr size_t kMaxKeptTraceSteps = 20'000'000;

// Fiber id 0 is the driver (code outside every fiber); fibers count from 1.
inline constexpr uint32_t kDriverFiberId = 0;

// The meaning of a and b is given per kind.
enum class EventKind : uint8_t {
  kSpawn,      // fiber spawned a = new fiber id; detail = its name
  kSchedule,   // fiber was chosen to run: a = index chosen, b = runnable count
  kFinish,     // fiber's body returned
  kLock,       // fiber acquired mutex a (b = 1: during a crash, not exclusive)
  kUnlock,     // fiber released mutex a, handing it to fiber b (0: none)
  kBlock,      // fiber blocked: a = 1 mutex, 2 condvar, 3 sleep, 4 join; b = object id
  kWake,       // fiber made runnable by fiber a
  kWait,       // fiber waits on condvar a with timeout b ns (UINT64_MAX: none)
  kSignal,     // fiber signalled condvar a, waking fiber b (0: nobody waited)
  kSleep,      // fiber sleeps a ns
  kTimerFire,  // fiber's timer for time a fired
  kTimeJump,   // simulated time jumped to a (no fiber was runnable)
  kJoin,       // fiber joins fiber a
  kBuggify,    // a buggify site at line a fired (b = 1) or not; detail = file
  kCrash,      // a = 1: crash began; a = 0: crash ended
  kIo,         // an I/O call (recorded by the filesystem layer): detail
  kFault,      // an injected fault: detail
  kNote,       // anything else a harness wants in the trace: detail
};

std::string_view EventKindName(EventKind kind);

struct TraceStep {
  uint64_t index = 0;  // position in the trace, from 0
  EventKind kind = EventKind::kNote;
  uint32_t fiber_id = 0;
  uint64_t a = 0;
  uint64_t b = 0;
  std::string detail;
  uint64_t hash_after = 0;  // the trace hash once this step is folded in
};

// Thread-safety: not thread-safe.
class Trace {
 public:
  explicit Trace(bool keep_steps = false) : keep_steps_(keep_steps) {}

  void Record(EventKind kind, uint32_t fiber_id, std::string_view detail) {
    Record(kind, fiber_id, 0, 0, detail);
  }
  void Record(EventKind kind, uint32_t fiber_id, uint64_t a, uint64_t b,
              std::string_view detail = {});

  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }
  bool keeps_steps() const { return keep_steps_; }
  // Whether events were dropped from steps() after kMaxKeptTraceSteps.
  bool truncated() const { return keep_steps_ && events_ > steps_.size(); }
  // Empty unless keep_steps.
  const std::vector<TraceStep>& steps() const { return steps_; }

 private:
  bool keep_steps_;
  uint64_t hash_ = 0;
  uint64_t events_ = 0;
  std::vector<TraceStep> steps_;
};

struct Divergence {
  uint64_t index = 0;  // the first step that differs
  std::string left;    // DescribeStep of a's step, or "<end of trace>"
  std::string right;   // likewise for b
};

// The first step at which a and b differ, or nullopt if they are identical.
// REQUIRES: both kept their steps. If they agree on every kept step but their
// hashes differ (a truncated trace), the divergence is reported just past the
// kept steps.
std::optional<Divergence> FirstDivergence(const Trace& a, const Trace& b);

// One line, e.g. "#17 fiber 3 lock mutex=2".
std::string DescribeStep(const TraceStep& step);

// Every kept step, one per line, each followed by its running hash.
void PrintTrace(const Trace& trace, std::FILE* out);

// A hash as exactly 16 lowercase hex digits.
std::string HashHex(uint64_t hash);

}  // namespace kiln::sim

#endif  // KILN_SIM_TRACE_H_
