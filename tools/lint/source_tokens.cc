#include "tools/lint/source_tokens.h"

#include <cstddef>

namespace kiln::lint {
namespace {

// The C++ standard caps a raw string delimiter at 16 characters.
constexpr size_t kMaxRawDelimiterBytes = 16;

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The identifier-like run of characters that ends just before end in text.
std::string_view RunBefore(std::string_view text, size_t end) {
  size_t begin = end;
  while (begin > 0 && IsIdentifierChar(text[begin - 1])) --begin;
  return text.substr(begin, end - begin);
}

bool IsRawStringPrefix(std::string_view prefix) {
  return prefix == "R" || prefix == "LR" || prefix == "uR" || prefix == "UR" || prefix == "u8R";
}

// Blanks text from begin up to (not including) end, keeping newlines.
void Blank(std::string& out, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < out.size(); ++i) {
    if (out[i] != '\n') out[i] = ' ';
  }
}

// Where the literal starting with the quote at begin ends (one past its
// closing quote). A literal left open at the end of a line ends there.
size_t QuotedEnd(std::string_view text, size_t begin) {
  const char quote = text[begin];
  size_t i = begin + 1;
  while (i < text.size() && text[i] != quote && text[i] != '\n') {
    i += (text[i] == '\\' && i + 1 < text.size()) ? 2 : 1;
  }
  return i < text.size() && text[i] == quote ? i + 1 : i;
}

// Where the raw string whose quote is at begin ends; text.size() if unclosed.
size_t RawStringEnd(std::string_view text, size_t begin) {
  const size_t open_paren = text.find('(', begin + 1);
  if (open_paren == std::string_view::npos || open_paren - begin - 1 > kMaxRawDelimiterBytes) {
    return QuotedEnd(text, begin);  // not a well-formed raw string: treat it as plain
  }
  const std::string closing =
      ")" + std::string(text.substr(begin + 1, open_paren - begin - 1)) + "\"";
  const size_t close = text.find(closing, open_paren + 1);
  return close == std::string_view::npos ? text.size() : close + closing.size();
}

// Where the comment starting at begin ("//" or "/*") ends.
size_t CommentEnd(std::string_view text, size_t begin) {
  if (text[begin + 1] == '*') {
    const size_t close = text.find("*/", begin + 2);
    return close == std::string_view::npos ? text.size() : close + 2;
  }
  size_t i = begin + 2;
  // A backslash at the end of the line continues a line comment.
  while (i < text.size() && (text[i] != '\n' || text[i - 1] == '\\')) ++i;
  return i;
}

}  // namespace

std::string BlankCommentsAndLiterals(std::string_view text) {
  std::string out(text);
  bool in_number = false;  // inside a pp-number, where ' is a digit separator
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '/' && (next == '/' || next == '*')) {
      const size_t end = CommentEnd(text, i);
      Blank(out, i, end);
      i = end;
      in_number = false;
      continue;
    }
    if (c == '"' || (c == '\'' && !in_number)) {
      const bool raw = c == '"' && IsRawStringPrefix(RunBefore(text, i));
      const size_t end = raw ? RawStringEnd(text, i) : QuotedEnd(text, i);
      Blank(out, i, end);
      // A placeholder token where the literal was, so getenv("HOME") still
      // reads as a call with arguments while the literal's text is gone.
      out[i] = '0';
      i = end;
      in_number = false;
      continue;
    }
    if (IsDigit(c) && (i == 0 || !IsIdentifierChar(text[i - 1]))) {
      in_number = true;
    } else if (!IsIdentifierChar(c) && c != '\'' && c != '.') {
      in_number = false;
    }
    ++i;
  }
  return out;
}

std::vector<Token> Tokenize(std::string_view code) {
  std::vector<Token> tokens;
  int line = 1;
  size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\\') {
      ++i;
      continue;
    }
    size_t end = i + 1;
    Token::Kind kind = Token::Kind::kPunctuation;
    if (IsIdentifierChar(c)) {
      kind = IsDigit(c) ? Token::Kind::kNumber : Token::Kind::kIdentifier;
      // A number runs on through its digit separators and a decimal point.
      while (end < code.size() &&
             (IsIdentifierChar(code[end]) ||
              (kind == Token::Kind::kNumber && (code[end] == '\'' || code[end] == '.')))) {
        ++end;
      }
    } else if ((c == ':' && end < code.size() && code[end] == ':') ||
               (c == '-' && end < code.size() && code[end] == '>')) {
      ++end;
    }
    tokens.push_back(Token{kind, code.substr(i, end - i), line});
    i = end;
  }
  return tokens;
}

}  // namespace kiln::lint
