#include "faultfs/glob.h"

#include <cstddef>

namespace kiln::faultfs {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Greedy scan that remembers the last '*': on a mismatch, let that star
  // swallow one more byte and retry from just after it. Only the last star
  // matters, because any earlier one could only swallow bytes the later one
  // can swallow too, so the loop runs at most pattern.size() * text.size() steps.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;  // index of the last '*' seen in pattern
  size_t star_text = 0;                  // where text stood when that star was seen
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kiln::faultfs
