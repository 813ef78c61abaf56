#include "tools/dst/determinism_check.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace kiln::dst {

std::string DescribeFirstDivergence(const std::vector<std::string>& first,
                                    const std::vector<std::string>& second) {
  const size_t common = std::min(first.size(), second.size());
  for (size_t step = 0; step < common; ++step) {
    if (first[step] != second[step]) {
      return "first divergence at step " + std::to_string(step) + ":\n  run 1: " + first[step] +
             "\n  run 2: " + second[step];
    }
  }
  if (first.size() != second.size()) {
    return "traces agree for " + std::to_string(common) + " steps, then run " +
           (first.size() > second.size() ? "1" : "2") + " goes on (" +
           std::to_string(first.size()) + " vs " + std::to_string(second.size()) + " steps)";
  }
  return "";
}

SeedResult DeterminismCheck::Run(const SeedOptions& options) {
  SeedResult first = inner_->Run(options);
  const SeedResult second = inner_->Run(options);
  if (first.trace_hash == second.trace_hash) return first;

  SeedOptions traced = options;
  traced.record_trace = true;
  const SeedResult first_traced = inner_->Run(traced);
  const SeedResult second_traced = inner_->Run(traced);
  std::string where = DescribeFirstDivergence(first_traced.trace, second_traced.trace);
  if (where.empty()) where = "the recorded traces agree step by step, but the hashes differ";
  char hashes[96];
  std::snprintf(hashes, sizeof(hashes), "%016" PRIx64 " vs %016" PRIx64, first.trace_hash,
                second.trace_hash);
  first.passed = false;
  first.failure = "nondeterminism: trace hashes " + std::string(hashes) + "; " + where;
  return first;
}

}  // namespace kiln::dst
