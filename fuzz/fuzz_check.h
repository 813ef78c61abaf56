// What every fuzz target insists on, and how it fails: a message on stderr,
// then abort(), which libFuzzer records as a crash (and the replay main as a
// failed test) with the input that caused it.
#ifndef KILN_FUZZ_FUZZ_CHECK_H_
#define KILN_FUZZ_FUZZ_CHECK_H_

#include <initializer_list>
#include <string_view>

#include "absl/status/status.h"

namespace kiln::fuzz {

[[noreturn]] void FuzzFail(std::string_view what);

// Aborts unless status is OK or one of the allowed codes. context names the
// call in the message. Untrusted bytes may only ever produce a clean error.
void CheckStatusIn(const absl::Status& status, std::initializer_list<absl::StatusCode> allowed,
                   std::string_view context);

// OK or Corruption: what a parser may return for any input.
inline void CheckParseStatus(const absl::Status& status, std::string_view context) {
  CheckStatusIn(status, {absl::StatusCode::kDataLoss}, context);
}

}  // namespace kiln::fuzz

// Aborts with the condition's text (and message) unless condition holds.
#define KILN_FUZZ_CHECK(condition, message)                                              \
  do {                                                                                   \
    if (!(condition)) [[unlikely]]                                                       \
      ::kiln::fuzz::FuzzFail(std::string("check failed: " #condition ": ") + (message)); \
  } while (0)

#endif  // KILN_FUZZ_FUZZ_CHECK_H_
