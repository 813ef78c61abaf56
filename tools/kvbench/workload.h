// The kvbench workloads. Each runs on a fresh database: an untimed setup
// (for reads, overwrites and deletes: num keys written in random order), then
// the timed phase whose ops are measured.
//
//   fillseq          num puts, keys in order
//   fillrandom       num puts, every key once in random order
//   overwrite        num puts of random existing keys
//   readrandom       `reads` gets of random existing keys
//   readseq          one scan over all num keys
//   seekrandom       `reads` times: new iterator, Seek(random key), 10 x Next
//   readwhilewriting readrandom on --threads readers while one more thread
//                    overwrites random keys as fast as it can (not timed)
//   deleterandom     num deletes, every key once in random order
//   fillsync1        sync_num synced puts from 1 thread
//   fillsync8        sync_num synced puts from 8 threads (group commit)
//   recover          a child writes num keys into a memtable large enough to
//                    hold them all and dies without closing; timed: Open
#ifndef KILN_TOOLS_KVBENCH_WORKLOAD_H_
#define KILN_TOOLS_KVBENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/kvbench/engine.h"
#include "tools/kvbench/measurement.h"

namespace kiln::kvbench {

struct WorkloadConfig {
  uint64_t num = 1'000'000;
  uint64_t reads = 1'000'000;
  uint64_t sync_num = 2'000;
  size_t value_bytes = 100;
  // Threads of every workload but fillsync1/fillsync8 (fixed) and recover (1).
  int threads = 1;
  uint64_t seed = 301;
  EngineSettings settings;
  // The progress line's prefix; empty: no progress line.
  std::string progress_label;
};

// Every workload name, in the order a full run takes them.
const std::vector<std::string>& WorkloadNames();
bool IsWorkload(std::string_view name);
// Whether the workload's timed ops write (its max latency is a write stall).
bool IsWriteWorkload(std::string_view name);

// Runs workload on engine in a fresh database at dir (created; must not
// exist), in this process. Failures come back in Measurement::error. The
// database directory is left for the caller to remove. recover forks.
Measurement RunWorkload(std::string_view engine, std::string_view workload,
                        const WorkloadConfig& config, const std::string& dir);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_WORKLOAD_H_
