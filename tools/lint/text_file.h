// Reading a whole source file, for the lint's binary and its repository test.
#ifndef KILN_TOOLS_LINT_TEXT_FILE_H_
#define KILN_TOOLS_LINT_TEXT_FILE_H_

#include <optional>
#include <string>

namespace kiln::lint {

// The contents of the file at path, or nullopt if it cannot be read.
std::optional<std::string> ReadTextFile(const std::string& path);

}  // namespace kiln::lint

#endif  // KILN_TOOLS_LINT_TEXT_FILE_H_
