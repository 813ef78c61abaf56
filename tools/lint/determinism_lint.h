// The determinism lint (DESIGN.md, "The seam"): engine code must reach the OS
// only through an Env, so that a simulated run replays bit for bit. This finds
// the places where code under engine/ calls the OS directly: threads, locks,
// clocks, sleeps, OS randomness, environment variables and file system calls.
//
// It reads source text, not a parsed AST: comments and string and character
// literals are blanked out, the rest is split into tokens, and each rule
// matches a short token pattern. Calls are told from declarations and member
// calls by the token before the name, so `time(nullptr)` is found while
// `uint64_t time() const`, `clock.time()` and `my_time(` are not.
#ifndef KILN_TOOLS_LINT_DETERMINISM_LINT_H_
#define KILN_TOOLS_LINT_DETERMINISM_LINT_H_

#include <string>
#include <string_view>
#include <vector>

namespace kiln::lint {

struct LintFinding {
  std::string path;
  int line = 0;         // 1-based
  std::string rule;     // what was matched, e.g. "std::thread" or "#include <mutex>"
  std::string excerpt;  // the offending source line, trimmed
};

// True for the files that may touch the OS: the real Env's own files
// (engine/env/posix_*), tests (*_test.cc), and the test fixtures and example
// programs built on the engine (engine/testing/, engine/examples/). path may
// be relative or absolute.
bool IsLintExempt(std::string_view path);

// The findings in text, the contents of the C++ source file at path, in line
// order, at most one per rule per line. Empty if path is exempt.
std::vector<LintFinding> LintSource(std::string_view path, std::string_view text);

// "path:line: rule: excerpt"
std::string FormatFinding(const LintFinding& finding);

}  // namespace kiln::lint

#endif  // KILN_TOOLS_LINT_DETERMINISM_LINT_H_
