// Makes every KILN_BUGGIFY site on this thread fire (or none) while alive,
// without a simulator: parsers have buggify sites that shrink their buffers
// (the WAL reader reads 29-byte chunks), and a parser target wants those
// edges too. Restores the previous hooks on destruction.
// Thread-safety: affects only the constructing thread.
#ifndef KILN_FUZZ_SCOPED_BUGGIFY_H_
#define KILN_FUZZ_SCOPED_BUGGIFY_H_

#include "util/sim_hooks.h"

namespace kiln::fuzz {

class ScopedBuggify final : private SimHooks {
 public:
  explicit ScopedBuggify(bool fire) : fire_(fire), previous_(SetCurrentSimHooks(this)) {}
  ~ScopedBuggify() override { SetCurrentSimHooks(previous_); }
  ScopedBuggify(const ScopedBuggify&) = delete;
  ScopedBuggify& operator=(const ScopedBuggify&) = delete;

 private:
  bool BuggifyFires(const BuggifySite&, double) override { return fire_; }
  void ProbeHit(const ProbeSite&) override {}

  const bool fire_;
  SimHooks* const previous_;
};

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_SCOPED_BUGGIFY_H_
