// The determinism lint over every engine source (//engine:all_sources): fails
// listing each finding as path:line: rule: excerpt.
#include "tools/lint/determinism_lint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"
#include "tools/lint/text_file.h"

namespace kiln::lint {
namespace {

// The engine has far fewer files; more means the walk escaped engine/.
constexpr size_t kMaxSourceFiles = 100000;

bool IsSourceFile(const std::filesystem::path& path) {
  return path.extension() == ".h" || path.extension() == ".cc";
}

// The engine's sources under runfiles_root, relative to it, sorted.
std::vector<std::string> EngineSources(const std::filesystem::path& runfiles_root) {
  std::vector<std::string> paths;
  std::error_code error;
  auto it = std::filesystem::recursive_directory_iterator(
      runfiles_root / "engine", std::filesystem::directory_options::follow_directory_symlink,
      error);
  EXPECT_FALSE(error) << error.message();
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error) && IsSourceFile(it->path())) {
      paths.push_back(it->path().lexically_relative(runfiles_root).generic_string());
      if (paths.size() > kMaxSourceFiles) break;
    }
  }
  EXPECT_FALSE(error) << error.message();
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(DeterminismLintRepositoryTest, EngineCodeReachesTheOsOnlyThroughEnv) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr) << "run under bazel test";
  const std::filesystem::path root =
      std::filesystem::path(srcdir) / (workspace != nullptr ? workspace : "kiln");

  const std::vector<std::string> paths = EngineSources(root);
  ASSERT_LE(paths.size(), kMaxSourceFiles);
  // Guards against a vacuous pass if the data dependency stops delivering files.
  ASSERT_NE(std::find(paths.begin(), paths.end(), "engine/include/kiln/env.h"), paths.end())
      << "engine sources missing from runfiles under " << root;

  std::string report;
  size_t finding_count = 0;
  for (const std::string& path : paths) {
    const std::optional<std::string> text = ReadTextFile((root / path).string());
    ASSERT_TRUE(text.has_value()) << "cannot read " << path;
    for (const LintFinding& finding : LintSource(path, *text)) {
      report += FormatFinding(finding) + "\n";
      ++finding_count;
    }
  }
  std::printf("linted %zu engine source files\n", paths.size());
  EXPECT_EQ(finding_count, 0u)
      << "engine code must reach the OS through its Env (DESIGN.md, \"The seam\"); "
      << "only engine/env/posix_* and *_test.cc are exempt:\n"
      << report;
}

}  // namespace
}  // namespace kiln::lint
