#include "env/posix_env.h"

#include <cstdint>

namespace kiln {
namespace {

// The real Env's random seed is a fixed constant ("KILN" in ASCII), because
// the engine never reads entropy from the OS: its randomness (skiplist
// heights, jitter) only needs to be well spread, not secret. An embedder who
// wants another seed builds its own Env from these same parts.
constexpr uint64_t kRealEnvRandomSeed = 0x4B494C4E;

}  // namespace

const Env& RealEnv() {
  // Built once and never destroyed: background threads and databases may
  // still use the Env while static destructors run at exit.
  static const Env* const env = new Env{
      .file_system = new PosixFileSystem(),
      .clock = new SystemClock(),
      .scheduler = new ThreadScheduler(),
      .memory_hints = new PosixMemoryHints(),
      .random_seed = kRealEnvRandomSeed,
  };
  return *env;
}

}  // namespace kiln
