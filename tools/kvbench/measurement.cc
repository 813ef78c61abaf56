#include "tools/kvbench/measurement.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "util/assert.h"

namespace kiln::kvbench {
namespace {

constexpr std::string_view kErrorField = " error=";

// Splits off the next space-separated token of rest.
std::string_view NextToken(std::string_view& rest) {
  const size_t space = rest.find(' ');
  std::string_view token = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return token;
}

}  // namespace

std::optional<double> Measurement::Get(std::string_view name) const {
  auto it = metrics.find(std::string(name));
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

std::string EncodeMeasurement(const Measurement& measurement) {
  KILN_ASSERT(measurement.engine.find(' ') == std::string::npos);
  KILN_ASSERT(measurement.workload.find(' ') == std::string::npos);
  std::string line = "engine=" + measurement.engine + " workload=" + measurement.workload;
  for (const auto& [name, value] : measurement.metrics) {
    KILN_ASSERT(name.find(' ') == std::string::npos);
    char number[64];
    std::snprintf(number, sizeof(number), "%.17g", value);
    line += " m." + name + "=" + number;
  }
  if (!measurement.error.empty()) {
    std::string error = measurement.error;
    std::replace(error.begin(), error.end(), '\n', ' ');
    line += std::string(kErrorField) + error;
  }
  return line;
}

std::optional<Measurement> DecodeMeasurement(std::string_view line) {
  Measurement measurement;
  if (const size_t error = line.find(kErrorField); error != std::string_view::npos) {
    measurement.error = std::string(line.substr(error + kErrorField.size()));
    line = line.substr(0, error);
  }
  std::string_view rest = line;
  // A line holds a bounded number of tokens: it is at most its length.
  for (size_t tokens = 0; !rest.empty() && tokens <= line.size(); ++tokens) {
    const std::string_view token = NextToken(rest);
    const size_t equals = token.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view name = token.substr(0, equals);
    const std::string value(token.substr(equals + 1));
    if (name == "engine") {
      measurement.engine = value;
    } else if (name == "workload") {
      measurement.workload = value;
    } else if (name.substr(0, 2) == "m.") {
      char* end = nullptr;
      const double number = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') return std::nullopt;
      measurement.metrics[std::string(name.substr(2))] = number;
    } else {
      return std::nullopt;
    }
  }
  if (measurement.engine.empty() || measurement.workload.empty()) return std::nullopt;
  return measurement;
}

Measurement MedianOf(const std::vector<Measurement>& runs) {
  KILN_ASSERT(!runs.empty());
  Measurement median;
  median.engine = runs.front().engine;
  median.workload = runs.front().workload;
  std::map<std::string, std::vector<double>> values;
  for (const Measurement& run : runs) {
    KILN_ASSERT(run.engine == median.engine);
    KILN_ASSERT(run.workload == median.workload);
    if (median.error.empty()) median.error = run.error;
    for (const auto& [name, value] : run.metrics) values[name].push_back(value);
  }
  for (auto& [name, samples] : values) {
    std::sort(samples.begin(), samples.end());
    median.metrics[name] = samples[samples.size() / 2];
  }
  return median;
}

}  // namespace kiln::kvbench
