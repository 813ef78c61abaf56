#include "tools/lint/call_form.h"

#include <string_view>

namespace kiln::lint {
namespace {

// How far back a declaration's return type may reach: `static
// absl::StatusOr<std::unique_ptr<FileLock>> name(` is 14 tokens. A longer
// prefix is judged an expression, so the lint errs towards reporting.
constexpr size_t kMaxDeclarationPrefixTokens = 64;

// Keywords that start or continue an expression, after which `name(` is a call.
bool IsExpressionKeyword(std::string_view word) {
  for (std::string_view keyword :
       {"return", "co_return", "co_yield", "co_await", "throw", "else", "do", "case", "and", "or",
        "not", "new", "delete", "sizeof", "decltype", "if", "while", "for", "switch"}) {
    if (word == keyword) return true;
  }
  return false;
}

bool IsIdentifier(const Token& token) { return token.kind == Token::Kind::kIdentifier; }

// Tokens that end the statement before the one holding `name(`.
bool IsStatementBoundary(std::string_view text) {
  return text == ";" || text == "{" || text == "}" || text == ":";
}

// Tokens a return type, its specifiers and attributes are made of.
bool IsTypeToken(const Token& token) {
  if (IsIdentifier(token)) return !IsExpressionKeyword(token.text);
  const std::string_view text = token.text;
  return token.kind == Token::Kind::kNumber || text == "::" || text == "<" || text == ">" ||
         text == "*" || text == "&" || text == "," || text == "[" || text == "]";
}

// True if `name(` at tokens[i] declares or defines name: everything from the
// start of its statement up to it is a non-empty run of type tokens.
bool IsDeclaredAt(const std::vector<Token>& tokens, size_t i) {
  // `a[name(` indexes an array: a call.
  if (i > 0 && tokens[i - 1].text == "[") return false;
  size_t prefix_tokens = 0;
  for (size_t k = i; k > 0; --k) {
    const Token& token = tokens[k - 1];
    if (IsStatementBoundary(token.text)) break;
    if (!IsTypeToken(token) || ++prefix_tokens > kMaxDeclarationPrefixTokens) return false;
  }
  return prefix_tokens > 0;
}

// The index of the ")" closing the "(" at tokens[open], or tokens.size().
size_t ClosingParen(const std::vector<Token>& tokens, size_t open) {
  size_t depth = 0;
  for (size_t k = open; k < tokens.size(); ++k) {
    if (tokens[k].text == "(") ++depth;
    if (tokens[k].text == ")" && --depth == 0) return k;
  }
  return tokens.size();
}

// True if what follows the argument list shows a declaration (`) const`,
// `) {`) or an object result (`).x`, `)->x`).
bool FollowedByNonCall(std::string_view text) {
  for (std::string_view word : {".", "->", "{", "const", "override", "final", "noexcept"}) {
    if (text == word) return true;
  }
  return false;
}

CallForm Qualification(const std::vector<Token>& tokens, size_t i) {
  if (i == 0) return CallForm::kUnqualified;
  const std::string_view before = tokens[i - 1].text;
  if (before == "." || before == "->") return CallForm::kNotACall;
  if (before != "::") return IsDeclaredAt(tokens, i) ? CallForm::kNotACall : CallForm::kUnqualified;
  if (i < 2) return CallForm::kGlobal;
  const Token& scope = tokens[i - 2];
  if (scope.text == "std") return CallForm::kStd;
  // `Foo::name(` and `Foo<T>::name(` belong to someone else; `return ::name(` does not.
  if ((IsIdentifier(scope) && !IsExpressionKeyword(scope.text)) || scope.text == ">") {
    return CallForm::kNotACall;
  }
  return CallForm::kGlobal;
}

}  // namespace

CallSite ClassifyCall(const std::vector<Token>& tokens, size_t i) {
  CallSite site;
  site.form = Qualification(tokens, i);
  const size_t close = ClosingParen(tokens, i + 1);
  site.has_arguments = close != i + 2;
  if (close + 1 < tokens.size() && FollowedByNonCall(tokens[close + 1].text)) {
    site.form = CallForm::kNotACall;
  }
  return site;
}

}  // namespace kiln::lint
