// Runs a workload's seed twice and fails it if the trace hashes differ; on a
// mismatch both runs are repeated with step recording and the first step at
// which they diverge is reported with both sides' descriptions.
#ifndef KILN_TOOLS_DST_DETERMINISM_CHECK_H_
#define KILN_TOOLS_DST_DETERMINISM_CHECK_H_

#include <memory>

#include "tools/dst/workload.h"

namespace kiln::dst {

// Describes the first step at which two recorded traces differ, or "" if
// they are identical.
std::string DescribeFirstDivergence(const std::vector<std::string>& first,
                                    const std::vector<std::string>& second);

class DeterminismCheck final : public Workload {
 public:
  explicit DeterminismCheck(std::unique_ptr<Workload> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return inner_->name(); }
  std::string_view description() const override { return inner_->description(); }
  SeedResult Run(const SeedOptions& options) override;

 private:
  std::unique_ptr<Workload> inner_;
};

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_DETERMINISM_CHECK_H_
