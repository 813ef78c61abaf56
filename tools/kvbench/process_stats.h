// What the operating system says about this process and a directory.
#ifndef KILN_TOOLS_KVBENCH_PROCESS_STATS_H_
#define KILN_TOOLS_KVBENCH_PROCESS_STATS_H_

#include <cstdint>
#include <string>

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
// The sizes of the regular files under dir, summed; 0 if it does not exist.
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_PROCESS_STATS_H_
