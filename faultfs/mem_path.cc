#include "faultfs/mem_path.h"

#include "absl/status/status.h"

namespace kiln::faultfs {
namespace {

absl::Status BadPath(std::string_view why, std::string_view path) {
  std::string message("malformed path (");
  message.append(why).append("): \"").append(path.substr(0, 256)).append("\"");
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitPath(std::string_view path) {
  if (path.empty()) return BadPath("empty", path);
  if (path.size() > kMaxPathLengthBytes) return BadPath("longer than kMaxPathLengthBytes", path);
  if (path.find('\0') != std::string_view::npos) return BadPath("contains NUL", path);
  std::vector<std::string> components;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view name = path.substr(start, end - start);
    if (name == "." || name == "..") return BadPath("'.' and '..' are not allowed", path);
    if (name.size() > kMaxNameLengthBytes) return BadPath("name too long", path);
    if (!name.empty()) components.emplace_back(name);
    start = end + 1;
  }
  return components;
}

std::string JoinPath(const std::vector<std::string>& components) {
  if (components.empty()) return "/";
  std::string path;
  for (const std::string& name : components) path.append("/").append(name);
  return path;
}

}  // namespace kiln::faultfs
