// Path normalisation for MemFileSystem. Paths are '/'-separated; a relative
// path is taken relative to "/", runs of '/' collapse, a trailing '/' is
// ignored. "." and ".." components are rejected rather than resolved, so one
// file has exactly one spelling per directory entry.
#ifndef KILN_FAULTFS_MEM_PATH_H_
#define KILN_FAULTFS_MEM_PATH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kiln::faultfs {

inline constexpr size_t kMaxPathLengthBytes = 4096;
inline constexpr size_t kMaxNameLengthBytes = 255;

// The components of path, root first ("/" has none). InvalidArgument if path
// is empty, too long, has a "." or ".." component, a component longer than
// kMaxNameLengthBytes, or a NUL byte.
absl::StatusOr<std::vector<std::string>> SplitPath(std::string_view path);

// "/a/b" from {"a", "b"}; "/" from {}.
std::string JoinPath(const std::vector<std::string>& components);

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_MEM_PATH_H_
