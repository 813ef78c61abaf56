#include "fuzz/fuzz_check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace kiln::fuzz {

void FuzzFail(std::string_view what) {
  std::fprintf(stderr, "kiln fuzz failure: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

void CheckStatusIn(const absl::Status& status, std::initializer_list<absl::StatusCode> allowed,
                   std::string_view context) {
  if (status.ok()) return;
  for (absl::StatusCode code : allowed) {
    if (status.code() == code) return;
  }
  const std::string text = status.ToString();
  FuzzFail(std::string(context) + ": unexpected status " + text);
}

}  // namespace kiln::fuzz
