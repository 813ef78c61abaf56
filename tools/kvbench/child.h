// Runs one measurement in a forked child process, so that each engine's
// peak RSS (getrusage's ru_maxrss is per process) and any crash stay its own.
#ifndef KILN_TOOLS_KVBENCH_CHILD_H_
#define KILN_TOOLS_KVBENCH_CHILD_H_

#include <functional>
#include <string>

#include "tools/kvbench/measurement.h"

namespace kiln::kvbench {

// Forks; the child runs run() and sends its Measurement back over a pipe.
// The result gains peak_rss_mb (the child's, and its own children's, peak
// resident set). A child that dies or sends nothing comes back as an error
// naming engine and workload. REQUIRES: the calling process has one thread.
Measurement RunInChild(const std::string& engine, const std::string& workload,
                       const std::function<Measurement()>& run);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_CHILD_H_
