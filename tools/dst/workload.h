// A dst workload: given a seed, builds a simulated world, runs it, checks its
// oracles and reports. Workloads are registered by name; `dst --workload=NAME`
// picks one. Every run of a seed must be deterministic: same binary + same
// seed => same SeedResult (trace_hash included).
#ifndef KILN_TOOLS_DST_WORKLOAD_H_
#define KILN_TOOLS_DST_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dst {

struct SeedOptions {
  uint64_t seed = 0;
  // Record every step so a divergence or failure can be printed step by step.
  bool record_trace = false;
};

struct SeedResult {
  uint64_t seed = 0;
  bool passed = false;
  uint64_t trace_hash = 0;
  // Empty when passed; otherwise what the oracle saw, one line.
  std::string failure;
  uint64_t operations = 0;
  uint64_t crashes = 0;
  uint64_t steps = 0;
  uint64_t simulated_ns = 0;
  // Injected faults by kind name; ordered so reports are deterministic.
  std::map<std::string, uint64_t> faults_by_kind;
  // Coverage probes declared in the binary and whether this seed hit them.
  std::vector<std::string> probes_hit;
  std::vector<std::string> probes_declared;
  // The recorded step-by-step trace, one line per step (only with record_trace).
  std::vector<std::string> trace;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual SeedResult Run(const SeedOptions& options) = 0;
};

using WorkloadFactory = std::function<std::unique_ptr<Workload>()>;

// Registration at static-init time, e.g.
//   static const bool registered = RegisterWorkload("selftest", [] {...});
bool RegisterWorkload(std::string_view name, WorkloadFactory factory);
// nullptr if no workload has that name.
std::unique_ptr<Workload> MakeWorkload(std::string_view name);
// Sorted names, for usage messages.
std::vector<std::string> WorkloadNames();

// One line of text per result, for the pipe between worker and parent; the
// trace is not transported.
std::string EncodeResult(const SeedResult& result);
bool DecodeResult(std::string_view line, SeedResult& result);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_WORKLOAD_H_
