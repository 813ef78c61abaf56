// Assertions in three tiers (STYLE.md):
//   KILN_ASSERT         always on, in every build: invariants whose failure
//                       means data could be lost or corrupted.
//   KILN_DASSERT        debug and invariant builds (!NDEBUG or
//                       -DKILN_INVARIANTS): checks too costly for production.
//   KILN_SIM_ASSERT     lives in sim/ (simulation-only checks).
// Assertions catch programmer errors; operating errors are Status values.
#ifndef KILN_UTIL_ASSERT_H_
#define KILN_UTIL_ASSERT_H_

namespace kiln::internal {

[[noreturn]] void AssertionFailed(const char* file, int line, const char* condition,
                                  const char* message);

}  // namespace kiln::internal

#define KILN_ASSERT(condition)                                                    \
  do {                                                                            \
    if (!(condition)) [[unlikely]]                                                \
      ::kiln::internal::AssertionFailed(__FILE__, __LINE__, #condition, nullptr); \
  } while (0)

// message: a const char* (or std::string().c_str()) evaluated only on failure.
#define KILN_ASSERT_MSG(condition, message)                                         \
  do {                                                                              \
    if (!(condition)) [[unlikely]]                                                  \
      ::kiln::internal::AssertionFailed(__FILE__, __LINE__, #condition, (message)); \
  } while (0)

#define KILN_UNREACHABLE(message) \
  ::kiln::internal::AssertionFailed(__FILE__, __LINE__, "unreachable", (message))

#if !defined(NDEBUG) || defined(KILN_INVARIANTS)
#define KILN_DASSERT(condition) KILN_ASSERT(condition)
#else
#define KILN_DASSERT(condition) \
  do {                          \
  } while (false && (condition))
#endif

#endif  // KILN_UTIL_ASSERT_H_
