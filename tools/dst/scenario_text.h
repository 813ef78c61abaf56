// The line syntax under scenario files: `verb name=value name="quoted" ...`.
// Quoted strings use C escapes (\\ \" \n \t \xNN), so any bytes round-trip.
#ifndef KILN_TOOLS_DST_SCENARIO_TEXT_H_
#define KILN_TOOLS_DST_SCENARIO_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::dst {

// "..." with every byte outside printable ASCII, '"' and '\\' escaped.
std::string QuoteString(std::string_view raw);

// One parsed line: its verb and its attributes, in order.
class TextLine {
 public:
  // Parses `verb attr=value ...`; false with error() set if malformed.
  bool Parse(std::string_view line);

  const std::string& verb() const { return verb_; }
  // The words after the verb that are not name=value (e.g. "seed 42").
  const std::vector<std::string>& words() const { return words_; }

  // Typed accessors: nullopt / fallback when absent; a malformed value sets
  // error(). Each marks the attribute used.
  std::optional<std::string> String(std::string_view name);
  uint64_t Number(std::string_view name, uint64_t fallback, uint64_t max);
  bool Flag(std::string_view name, bool fallback);
  std::optional<double> Real(std::string_view name);

  // Sets error() if some attribute was never asked for (a typo, or an
  // attribute of another verb), so nothing in a scenario is silently ignored.
  void RejectUnused();
  const std::string& error() const { return error_; }
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  struct Attribute {
    std::string name;
    std::string value;
    bool used = false;
  };
  Attribute* Find(std::string_view name);

  std::string verb_;
  std::vector<std::string> words_;
  std::vector<Attribute> attributes_;
  std::string error_;
};

// Builds one line: verb, then attributes in the order added.
class LineWriter {
 public:
  explicit LineWriter(std::string_view verb) : line_(verb) {}
  LineWriter& Add(std::string_view name, uint64_t value);
  LineWriter& AddString(std::string_view name, std::string_view value);
  LineWriter& AddWord(std::string_view value);  // bare: [A-Za-z0-9_.,+-]+ only
  LineWriter& AddReal(std::string_view name, double value);
  std::string Finish() const { return line_ + "\n"; }

 private:
  std::string line_;
};

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCENARIO_TEXT_H_
