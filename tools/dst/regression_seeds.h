// Test helper: the seeds listed in a tools/dst/testdata/*_regressions.txt
// file (one per line: seed, then why; '#' comments), read from the test's
// runfiles. Every seed that once found a bug is replayed forever.
#ifndef KILN_TOOLS_DST_REGRESSION_SEEDS_H_
#define KILN_TOOLS_DST_REGRESSION_SEEDS_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::dst {

// name: e.g. "engine_regressions.txt". Fails the test if unreadable or empty.
inline std::vector<uint64_t> ReadRegressionSeeds(const std::string& name) {
  const std::string path = std::string(std::getenv("TEST_SRCDIR")) + "/" +
                           std::getenv("TEST_WORKSPACE") + "/tools/dst/testdata/" + name;
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << path;
  std::vector<uint64_t> seeds;
  for (std::string line; std::getline(file, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    uint64_t seed = 0;
    EXPECT_TRUE(fields >> seed) << path << ": " << line;
    seeds.push_back(seed);
  }
  EXPECT_FALSE(seeds.empty()) << path;
  return seeds;
}

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_REGRESSION_SEEDS_H_
