// Scans as the scenario runner performs and checks them: a spec (bounds,
// prefix, direction, start, limit or a Next/Prev walk), the scan run on a
// real Iterator, the scan the model predicts, and a one-line difference.
#ifndef KILN_TOOLS_DST_SCAN_CHECK_H_
#define KILN_TOOLS_DST_SCAN_CHECK_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/iterator.h"
#include "kiln/options.h"
#include "tools/dst/engine_model.h"

namespace kiln::dst {

struct ScanSpec {
  ReadOptions options;
  bool reverse = false;
  // Non-empty: after positioning, step Next (true) or Prev (false) in this
  // order, recording every entry visited (limit is ignored).
  std::vector<bool> walk;
  std::optional<std::string> start;  // Seek / SeekForPrev target; else SeekToFirst / SeekToLast
  size_t limit = 32;
};

using ScanResult = std::vector<std::pair<std::string, std::string>>;

// What the model's state shows through spec.
ScanResult ExpectedScan(const ModelBucketState& state, const ScanSpec& spec);
// Runs spec on it (positioning first); stops early if it turns invalid.
ScanResult ReadScan(Iterator& it, const ScanSpec& spec);
// "" if equal; else the first differing entry.
std::string DescribeScanDifference(const ScanResult& expected, const ScanResult& got);
// e.g. "reverse scan lower=a prefix=b from=b05 walk=nnp".
std::string DescribeScan(const ScanSpec& spec);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCAN_CHECK_H_
