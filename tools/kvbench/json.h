// The little JSON kvbench writes: strings, numbers, flat number maps.
#ifndef KILN_TOOLS_KVBENCH_JSON_H_
#define KILN_TOOLS_KVBENCH_JSON_H_

#include <map>
#include <string>

namespace kiln::kvbench {

// A quoted, escaped JSON string.
std::string JsonString(const std::string& text);
// A JSON number; null for NaN and infinities, which JSON cannot hold.
std::string JsonNumber(double value);
// {"name": number, ...} in name order.
std::string JsonMetrics(const std::map<std::string, double>& metrics);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_JSON_H_
