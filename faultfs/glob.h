// Shell-style wildcard matching for fault predicates' path patterns.
#ifndef KILN_FAULTFS_GLOB_H_
#define KILN_FAULTFS_GLOB_H_

#include <string_view>

namespace kiln::faultfs {

// Whether the whole of text matches pattern, where '*' matches any run of
// bytes (including none, and including '/') and '?' matches exactly one byte;
// every other byte matches itself. There is no escaping and no character class.
// Worst case O(pattern.size() * text.size()); never recursive.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace kiln::faultfs

#endif  // KILN_FAULTFS_GLOB_H_
