#include "tools/dst/workload.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kiln::dst {
namespace {

std::map<std::string, WorkloadFactory, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, WorkloadFactory, std::less<>>();
  return *registry;
}

// Escapes '\\', '\t' and '\n' so a failure message fits in one tab-separated field.
std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out += next == 't' ? '\t' : next == 'n' ? '\n' : next;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

bool ParseU64(std::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 20) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ',';
    out += Escape(name);
  }
  return out;
}

std::vector<std::string> SplitNames(std::string_view text) {
  std::vector<std::string> names;
  if (text.empty()) return names;
  for (std::string_view part : Split(text, ',')) names.push_back(Unescape(part));
  return names;
}

}  // namespace

bool RegisterWorkload(std::string_view name, WorkloadFactory factory) {
  return Registry().emplace(std::string(name), std::move(factory)).second;
}

std::unique_ptr<Workload> MakeWorkload(std::string_view name) {
  auto it = Registry().find(name);
  if (it == Registry().end()) return nullptr;
  return it->second();
}

std::vector<std::string> WorkloadNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Registry()) names.push_back(name);
  return names;
}

// Fields: seed, passed, hash, operations, crashes, steps, simulated_ns,
// faults (kind=count,...), probes hit, probes declared, failure.
std::string EncodeResult(const SeedResult& result) {
  char head[256];
  std::snprintf(head, sizeof(head),
                "%" PRIu64 "\t%d\t%016" PRIx64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64,
                result.seed, result.passed ? 1 : 0, result.trace_hash, result.operations,
                result.crashes, result.steps, result.simulated_ns);
  std::string faults;
  for (const auto& [kind, count] : result.faults_by_kind) {
    if (!faults.empty()) faults += ',';
    faults += Escape(kind) + "=" + std::to_string(count);
  }
  return std::string(head) + "\t" + faults + "\t" + JoinNames(result.probes_hit) + "\t" +
         JoinNames(result.probes_declared) + "\t" + Escape(result.failure);
}

bool DecodeResult(std::string_view line, SeedResult& result) {
  const std::vector<std::string_view> fields = Split(line, '\t');
  if (fields.size() != 11) return false;
  uint64_t passed = 0;
  if (!ParseU64(fields[0], result.seed) || !ParseU64(fields[1], passed) ||
      !ParseU64(fields[3], result.operations) || !ParseU64(fields[4], result.crashes) ||
      !ParseU64(fields[5], result.steps) || !ParseU64(fields[6], result.simulated_ns)) {
    return false;
  }
  result.passed = passed == 1;
  if (fields[2].size() != 16) return false;
  result.trace_hash = std::strtoull(std::string(fields[2]).c_str(), nullptr, 16);
  result.faults_by_kind.clear();
  if (!fields[7].empty()) {
    for (std::string_view entry : Split(fields[7], ',')) {
      const size_t equals = entry.rfind('=');
      uint64_t count = 0;
      if (equals == std::string_view::npos || !ParseU64(entry.substr(equals + 1), count)) {
        return false;
      }
      result.faults_by_kind[Unescape(entry.substr(0, equals))] = count;
    }
  }
  result.probes_hit = SplitNames(fields[8]);
  result.probes_declared = SplitNames(fields[9]);
  result.failure = Unescape(fields[10]);
  return true;
}

}  // namespace kiln::dst
