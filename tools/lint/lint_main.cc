// lint FILE...: prints every determinism finding in the given C++ files as
// "path:line: rule: excerpt". Exit status: 0 clean, 1 findings, 2 a file could
// not be read. Paths are matched against the allowlist as given, so pass them
// relative to the repository root (engine/...).
#include <cstdio>
#include <optional>
#include <string>

#include "tools/lint/determinism_lint.h"
#include "tools/lint/text_file.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  int finding_count = 0;
  bool unreadable = false;
  for (int i = 1; i < argc; ++i) {
    const std::string path = argv[i];
    const std::optional<std::string> text = kiln::lint::ReadTextFile(path);
    if (!text.has_value()) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      unreadable = true;
      continue;
    }
    for (const kiln::lint::LintFinding& finding : kiln::lint::LintSource(path, *text)) {
      std::printf("%s\n", kiln::lint::FormatFinding(finding).c_str());
      ++finding_count;
    }
  }
  if (finding_count > 0) {
    std::fprintf(stderr, "%d determinism finding(s): engine code must reach the OS through Env\n",
                 finding_count);
  }
  if (unreadable) return 2;
  return finding_count > 0 ? 1 : 0;
}
