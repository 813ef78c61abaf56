#include "tools/dst/scenario_text.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace kiln::dst {
namespace {

constexpr size_t kMaxAttributes = 64;

bool IsBareChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ',' || c == '-' || c == '+';
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a quoted string starting at text[at] == '"'; advances at past it.
bool ReadQuoted(std::string_view text, size_t& at, std::string& out) {
  ++at;
  while (at < text.size()) {
    const char c = text[at++];
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (at >= text.size()) return false;
    const char e = text[at++];
    switch (e) {
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'x': {
        if (at + 2 > text.size()) return false;
        const int high = HexDigit(text[at]);
        const int low = HexDigit(text[at + 1]);
        if (high < 0 || low < 0) return false;
        out += static_cast<char>(high * 16 + low);
        at += 2;
        break;
      }
      default: return false;
    }
  }
  return false;
}

}  // namespace

std::string QuoteString(std::string_view raw) {
  std::string out = "\"";
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool TextLine::Parse(std::string_view line) {
  size_t at = 0;
  auto skip_spaces = [&] {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
  };
  skip_spaces();
  while (at < line.size() && line[at] != ' ' && line[at] != '\t') verb_ += line[at++];
  while (true) {
    skip_spaces();
    if (at >= line.size()) break;
    if (attributes_.size() + words_.size() >= kMaxAttributes) {
      Fail("more than " + std::to_string(kMaxAttributes) + " attributes");
      return false;
    }
    std::string name;
    while (at < line.size() && IsBareChar(line[at])) name += line[at++];
    if (at < line.size() && line[at] == '"' && name.empty()) {
      std::string word;
      if (!ReadQuoted(line, at, word)) {
        Fail("unterminated or badly escaped string");
        return false;
      }
      words_.push_back(std::move(word));
      continue;
    }
    if (at >= line.size() || line[at] == ' ' || line[at] == '\t') {
      if (name.empty()) break;
      words_.push_back(std::move(name));
      continue;
    }
    if (line[at] != '=' || name.empty()) {
      Fail("unexpected character '" + std::string(1, line[at]) + "'");
      return false;
    }
    ++at;
    std::string value;
    if (at < line.size() && line[at] == '"') {
      if (!ReadQuoted(line, at, value)) {
        Fail("unterminated or badly escaped string in " + name);
        return false;
      }
    } else {
      while (at < line.size() && IsBareChar(line[at])) value += line[at++];
    }
    if (at < line.size() && line[at] != ' ' && line[at] != '\t') {
      Fail("unexpected character '" + std::string(1, line[at]) + "' after " + name);
      return false;
    }
    if (Find(name) != nullptr) {
      Fail("attribute " + name + " given twice");
      return false;
    }
    attributes_.push_back({std::move(name), std::move(value)});
  }
  return true;
}

TextLine::Attribute* TextLine::Find(std::string_view name) {
  for (Attribute& attribute : attributes_) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

std::optional<std::string> TextLine::String(std::string_view name) {
  Attribute* attribute = Find(name);
  if (attribute == nullptr) return std::nullopt;
  attribute->used = true;
  return attribute->value;
}

uint64_t TextLine::Number(std::string_view name, uint64_t fallback, uint64_t max) {
  const std::optional<std::string> text = String(name);
  if (!text.has_value()) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || (*text)[0] == '-' || errno != 0 || value > max) {
    Fail(std::string(name) + " wants a whole number up to " + std::to_string(max) + ", got '" +
         *text + "'");
    return fallback;
  }
  return value;
}

bool TextLine::Flag(std::string_view name, bool fallback) {
  const std::optional<std::string> text = String(name);
  if (!text.has_value()) return fallback;
  if (*text == "1") return true;
  if (*text == "0") return false;
  Fail(std::string(name) + " wants 0 or 1, got '" + *text + "'");
  return fallback;
}

std::optional<double> TextLine::Real(std::string_view name) {
  const std::optional<std::string> text = String(name);
  if (!text.has_value()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0') {
    Fail(std::string(name) + " wants a number, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

void TextLine::RejectUnused() {
  for (const Attribute& attribute : attributes_) {
    if (!attribute.used) Fail("unknown attribute '" + attribute.name + "' for " + verb_);
  }
}

LineWriter& LineWriter::Add(std::string_view name, uint64_t value) {
  line_ += " " + std::string(name) + "=" + std::to_string(value);
  return *this;
}

LineWriter& LineWriter::AddString(std::string_view name, std::string_view value) {
  line_ += " " + std::string(name) + "=" + QuoteString(value);
  return *this;
}

LineWriter& LineWriter::AddWord(std::string_view value) {
  line_ += " " + std::string(value);
  return *this;
}

LineWriter& LineWriter::AddReal(std::string_view name, double value) {
  // The shortest form that reads back as the same double.
  char text[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  line_ += " " + std::string(name) + "=" + text;
  return *this;
}

}  // namespace kiln::dst
