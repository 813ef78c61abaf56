#include <sys/mman.h>

#include "env/posix_env.h"

namespace kiln {

void PosixMemoryHints::PreferHugePages(void* begin, size_t bytes) const {
#ifdef MADV_HUGEPAGE
  // A hint: failure leaves ordinary pages, which is correct, only slower.
  static_cast<void>(madvise(begin, bytes, MADV_HUGEPAGE));
#else
  static_cast<void>(begin);
  static_cast<void>(bytes);
#endif
}

}  // namespace kiln
