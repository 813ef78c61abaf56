// Just enough C++ lexing for the determinism lint: blank out what is not
// code, then split the rest into identifiers and punctuation.
#ifndef KILN_TOOLS_LINT_SOURCE_TOKENS_H_
#define KILN_TOOLS_LINT_SOURCE_TOKENS_H_

#include <string>
#include <string_view>
#include <vector>

namespace kiln::lint {

// text with every comment replaced by spaces and every string and character
// literal (raw strings included) by a "0" followed by spaces, so a literal
// still reads as one token (an argument) while its text is gone. Newlines
// are kept, so the result has the same lines as text; digit separators
// (1'000) are left alone.
std::string BlankCommentsAndLiterals(std::string_view text);

struct Token {
  enum class Kind { kIdentifier, kNumber, kPunctuation };
  Kind kind;
  std::string_view text;  // points into the code passed to Tokenize
  int line;               // 1-based
};

// The tokens of code (output of BlankCommentsAndLiterals). "::" and "->" are
// single tokens; every other punctuation character is a token of its own.
std::vector<Token> Tokenize(std::string_view code);

}  // namespace kiln::lint

#endif  // KILN_TOOLS_LINT_SOURCE_TOKENS_H_
