// Measures the cost of (1) a raw fiber switch and (2) a full scheduling point
// (Yield through the Runtime) with 2 and 64 runnable fibers. Prints ns per
// operation, the median of kRepetitions runs. A tool: it reads the wall clock.
//
//   bazel run -c opt //sim:fiber_bench
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sim/fiber.h"
#include "sim/runtime.h"

namespace kiln::sim {
namespace {

constexpr int kRepetitions = 7;
constexpr uint64_t kSwitchRoundTrips = 2'000'000;
constexpr uint64_t kYieldSteps = 2'000'000;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double ElapsedNs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
}

// Two fibers, resumed alternately; each suspends straight back. Every round
// trip is two switches (into a fiber and back out).
double RawSwitchNs() {
  StackPool pool(kDefaultFiberStackBytes);
  bool stop = false;
  auto body = [&stop] {
    while (!stop) Fiber::Current()->Suspend();
  };
  Fiber first(pool, body);
  Fiber second(pool, body);
  first.Resume();
  second.Resume();
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kSwitchRoundTrips / 2; ++i) {
    first.Resume();
    second.Resume();
  }
  const double elapsed_ns = ElapsedNs(start);
  stop = true;
  first.Resume();
  second.Resume();
  return elapsed_ns / static_cast<double>(2 * kSwitchRoundTrips);
}

// fibers fibers yield until kYieldSteps scheduling steps were taken.
double SchedulingPointNs(int fibers) {
  Runtime runtime({.seed = 1});
  bool stop = false;
  for (int i = 0; i < fibers; ++i) {
    runtime.SpawnDetached("yielder", [&runtime, &stop] {
      while (!stop) runtime.Yield();
    });
  }
  static_cast<void>(runtime.Run({.max_steps = static_cast<uint64_t>(fibers)}));  // warm up
  const auto start = std::chrono::steady_clock::now();
  const RunResult result = runtime.Run({.max_steps = kYieldSteps});
  const double elapsed_ns = ElapsedNs(start);
  stop = true;
  static_cast<void>(runtime.Run());
  return elapsed_ns / static_cast<double>(result.steps);
}

template <typename Measure>
void Report(const char* name, Measure measure) {
  std::vector<double> samples;
  for (int i = 0; i < kRepetitions; ++i) samples.push_back(measure());
  std::printf("%-40s %8.1f ns/op  (median of %d; min %.1f, max %.1f)\n", name, Median(samples),
              kRepetitions, *std::min_element(samples.begin(), samples.end()),
              *std::max_element(samples.begin(), samples.end()));
}

}  // namespace
}  // namespace kiln::sim

int main() {
  using kiln::sim::Report;
  Report("fiber switch (one direction)", kiln::sim::RawSwitchNs);
  Report("scheduling point, 2 runnable fibers", [] { return kiln::sim::SchedulingPointNs(2); });
  Report("scheduling point, 64 runnable fibers", [] { return kiln::sim::SchedulingPointNs(64); });
  return 0;
}
