// Telling a call of a C or POSIX function from the look-alikes around it, for
// the determinism lint: `time(nullptr)` is a call; `uint64_t time() const`,
// `Clock& clock() {`, `x.open(p)`, `Foo::open(p)` and `random().Next()` are not.
#ifndef KILN_TOOLS_LINT_CALL_FORM_H_
#define KILN_TOOLS_LINT_CALL_FORM_H_

#include <cstddef>
#include <vector>

#include "tools/lint/source_tokens.h"

namespace kiln::lint {

enum class CallForm {
  kNotACall,     // a member call, a declaration, another namespace's function, or
                 // a call whose result is an object (`name().x`), which no C function returns
  kUnqualified,  // name(
  kGlobal,       // ::name(
  kStd,          // std::name(
};

struct CallSite {
  CallForm form = CallForm::kNotACall;
  bool has_arguments = false;  // false for name()
};

// REQUIRES: tokens[i] is an identifier and tokens[i + 1] is "(".
CallSite ClassifyCall(const std::vector<Token>& tokens, size_t i);

}  // namespace kiln::lint

#endif  // KILN_TOOLS_LINT_CALL_FORM_H_
