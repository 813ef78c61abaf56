// A small strict JSON reader for kvbench's tests: enough to prove that what
// kvbench writes parses and to look values up.
#ifndef KILN_TOOLS_KVBENCH_JSON_VALUE_H_
#define KILN_TOOLS_KVBENCH_JSON_VALUE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::kvbench {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  // The member name of an object, or null.
  const JsonValue* Find(const std::string& name) const;
};

// The value text holds, or nullopt (with *error set) if it is not exactly one
// JSON value (whitespace around it allowed).
std::optional<JsonValue> ParseJson(std::string_view text, std::string* error);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_JSON_VALUE_H_
