// What the operating system says about this process and a directory.
#ifndef KILN_TOOLS_KVBENCH_PROCESS_STATS_H_
#define KILN_TOOLS_KVBENCH_PROCESS_STATS_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kiln::kvbench {

// Bytes this process (all its threads) passed to write-like system calls so
// far (/proc/self/io wchar); 0 if unavailable.
uint64_t ProcessBytesWritten();
// This process's resident memory now, split as the kernel counts it
// (/proc/self/status): anonymous (heap, stacks) and file-backed (mapped
// files, which the page cache can reclaim). Zeros if unavailable.
struct ResidentBytes {
  uint64_t anon = 0;
  uint64_t file = 0;
};
ResidentBytes ProcessResidentBytes();
// The largest anonymous resident memory of this process seen while it runs:
// a thread of its own samples ProcessResidentBytes() every kIntervalMs (the
// kernel keeps a peak only for the total, which counts mapped table files).
class AnonPeakSampler {
 public:
  static constexpr int kIntervalMs = 20;

  AnonPeakSampler();
  AnonPeakSampler(const AnonPeakSampler&) = delete;
  AnonPeakSampler& operator=(const AnonPeakSampler&) = delete;
  ~AnonPeakSampler();

  // Stops sampling (idempotent) and returns the peak, a last sample included.
  uint64_t Stop();

 private:
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  uint64_t peak_ = 0;
  std::thread thread_;
};

// The calling thread's scheduler times so far (/proc/thread-self/schedstat):
// on a core, and runnable but waiting for one. nullopt if unavailable.
struct ThreadCpuTimes {
  uint64_t running_ns = 0;
  uint64_t waiting_ns = 0;
};
std::optional<ThreadCpuTimes> CurrentThreadCpuTimes();

// The sizes of the regular files under dir, summed; 0 if it does not exist.
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_PROCESS_STATS_H_
