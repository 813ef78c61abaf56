#include "tools/kvbench/json_value.h"

#include <cctype>
#include <cstdlib>

namespace kiln::kvbench {
namespace {

// Nesting deeper than this is rejected rather than recursed into.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> ParseDocument(std::string* error) {
    std::optional<JsonValue> value = ParseValue(0);
    SkipSpace();
    if (value.has_value() && pos_ != text_.size()) Fail("trailing characters");
    if (!error_.empty()) {
      if (error != nullptr) *error = error_ + " at offset " + std::to_string(pos_);
      return std::nullopt;
    }
    return value;
  }

 private:
  void Fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<JsonValue> ParseValue(int depth) {
    if (depth > kMaxDepth) {
      Fail("nested too deeply");
      return std::nullopt;
    }
    SkipSpace();
    if (pos_ >= text_.size()) {
      Fail("unexpected end");
      return std::nullopt;
    }
    JsonValue value;
    const char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      std::optional<std::string> s = ParseString();
      if (!s.has_value()) return std::nullopt;
      value.kind = JsonValue::Kind::kString;
      value.string = *s;
      return value;
    }
    if (Consume("null")) return value;
    if (Consume("true")) {
      value.kind = JsonValue::Kind::kBool;
      value.boolean = true;
      return value;
    }
    if (Consume("false")) {
      value.kind = JsonValue::Kind::kBool;
      return value;
    }
    return ParseNumber();
  }

  std::optional<JsonValue> ParseNumber() {
    const size_t start = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   std::string_view("+-.eE").find(text_[pos_]) !=
                                       std::string_view::npos)) {
      ++pos_;
    }
    const std::string digits(text_.substr(start, pos_ - start));
    char* end = nullptr;
    const double number = std::strtod(digits.c_str(), &end);
    if (digits.empty() || *end != '\0') {
      Fail("bad value");
      return std::nullopt;
    }
    JsonValue value;
    value.kind = JsonValue::Kind::kNumber;
    value.number = number;
    return value;
  }

  std::optional<std::string> ParseString() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) {
        Fail("control character in string");
        return std::nullopt;
      }
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        const char escape = text_[pos_++];
        if (escape == 'u') {
          if (pos_ + 4 > text_.size()) break;
          const std::string hex(text_.substr(pos_, 4));
          pos_ += 4;
          c = static_cast<char>(std::strtol(hex.c_str(), nullptr, 16));
        } else if (escape == 'n') {
          c = '\n';
        } else if (escape == 't') {
          c = '\t';
        } else if (escape == '"' || escape == '\\' || escape == '/') {
          c = escape;
        } else {
          Fail("bad escape");
          return std::nullopt;
        }
      }
      out += c;
    }
    if (pos_ >= text_.size()) {
      Fail("unterminated string");
      return std::nullopt;
    }
    ++pos_;  // the closing quote
    return out;
  }

  std::optional<JsonValue> ParseArray(int depth) {
    ++pos_;
    JsonValue value;
    value.kind = JsonValue::Kind::kArray;
    SkipSpace();
    if (Consume("]")) return value;
    while (true) {
      std::optional<JsonValue> element = ParseValue(depth + 1);
      if (!element.has_value()) return std::nullopt;
      value.array.push_back(*std::move(element));
      SkipSpace();
      if (Consume("]")) return value;
      if (!Consume(",")) {
        Fail("expected , or ]");
        return std::nullopt;
      }
    }
  }

  std::optional<JsonValue> ParseObject(int depth) {
    ++pos_;
    JsonValue value;
    value.kind = JsonValue::Kind::kObject;
    SkipSpace();
    if (Consume("}")) return value;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        Fail("expected a member name");
        return std::nullopt;
      }
      std::optional<std::string> name = ParseString();
      if (!name.has_value()) return std::nullopt;
      SkipSpace();
      if (!Consume(":")) {
        Fail("expected :");
        return std::nullopt;
      }
      std::optional<JsonValue> member = ParseValue(depth + 1);
      if (!member.has_value()) return std::nullopt;
      if (!value.object.emplace(*name, *std::move(member)).second) {
        Fail("duplicate member " + *name);
        return std::nullopt;
      }
      SkipSpace();
      if (Consume("}")) return value;
      if (!Consume(",")) {
        Fail("expected , or }");
        return std::nullopt;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

const JsonValue* JsonValue::Find(const std::string& name) const {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &it->second;
}

std::optional<JsonValue> ParseJson(std::string_view text, std::string* error) {
  return Parser(text).ParseDocument(error);
}

}  // namespace kiln::kvbench
