#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>

#include "env/posix_env.h"

namespace kiln {
namespace {

template <typename Duration>
uint64_t ToNs(Duration duration) {
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
  // steady_clock starts near boot and system_clock at 1970: neither is negative
  // on a sane system; clamp rather than wrap if a clock is set before 1970.
  return ns < 0 ? 0 : static_cast<uint64_t>(ns);
}

}  // namespace

uint64_t SystemClock::MonotonicNs() {
  return ToNs(std::chrono::steady_clock::now().time_since_epoch());
}

uint64_t SystemClock::WallNs() { return ToNs(std::chrono::system_clock::now().time_since_epoch()); }

void SystemClock::SleepNs(uint64_t duration_ns) {
  constexpr uint64_t kMaxSleepNs = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(duration_ns, kMaxSleepNs)));
}

}  // namespace kiln
