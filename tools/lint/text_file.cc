#include "tools/lint/text_file.h"

#include <fstream>
#include <sstream>

namespace kiln::lint {

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream contents;
  contents << stream.rdbuf();
  if (stream.bad()) return std::nullopt;
  return contents.str();
}

}  // namespace kiln::lint
