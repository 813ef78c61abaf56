#include "tools/dst/scan_check.h"

#include <algorithm>
#include <cstdint>

namespace kiln::dst {
namespace {

std::string Show(const std::optional<std::string>& value) {
  if (!value.has_value()) return "<absent>";
  return "\"" + value->substr(0, 24) + (value->size() > 24 ? "..." : "") + "\"";
}

}  // namespace

ScanResult ExpectedScan(const ModelBucketState& state, const ScanSpec& spec) {
  ScanResult in_view;
  for (const auto& [key, value] : state) {
    if (spec.options.lower_bound.has_value() && key < *spec.options.lower_bound) continue;
    if (spec.options.upper_bound.has_value() && key >= *spec.options.upper_bound) continue;
    if (spec.options.prefix.has_value() &&
        key.compare(0, spec.options.prefix->size(), *spec.options.prefix) != 0) {
      continue;
    }
    in_view.emplace_back(key, value);
  }
  ScanResult result;
  if (!spec.walk.empty()) {
    // Positions index in_view; -1 and size() are "invalid".
    int64_t at = 0;
    const int64_t size = static_cast<int64_t>(in_view.size());
    if (!spec.reverse) {
      while (at < size && spec.start.has_value() &&
             in_view[static_cast<size_t>(at)].first < *spec.start)
        ++at;
    } else {
      at = size - 1;
      while (at >= 0 && spec.start.has_value() &&
             in_view[static_cast<size_t>(at)].first > *spec.start)
        --at;
    }
    for (size_t step = 0; at >= 0 && at < size; ++step) {
      result.push_back(in_view[static_cast<size_t>(at)]);
      if (step == spec.walk.size()) break;
      at += spec.walk[step] ? 1 : -1;
    }
    return result;
  }
  if (!spec.reverse) {
    for (const auto& entry : in_view) {
      if (result.size() >= spec.limit) break;
      if (spec.start.has_value() && entry.first < *spec.start) continue;
      result.push_back(entry);
    }
  } else {
    for (auto it = in_view.rbegin(); it != in_view.rend(); ++it) {
      if (result.size() >= spec.limit) break;
      if (spec.start.has_value() && it->first > *spec.start) continue;
      result.push_back(*it);
    }
  }
  return result;
}

std::string DescribeScanDifference(const ScanResult& expected, const ScanResult& got) {
  for (size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
    const std::optional<std::string> want_key =
        i < expected.size() ? std::optional(expected[i].first) : std::nullopt;
    const std::optional<std::string> got_key =
        i < got.size() ? std::optional(got[i].first) : std::nullopt;
    if (want_key != got_key) {
      return "entry " + std::to_string(i) + ": expected key " + Show(want_key) + ", got key " +
             Show(got_key);
    }
    if (expected[i].second != got[i].second) {
      return "key \"" + expected[i].first + "\": expected " + Show(expected[i].second) + ", got " +
             Show(got[i].second);
    }
  }
  return "";
}

std::string DescribeScan(const ScanSpec& spec) {
  std::string text = spec.reverse ? "reverse scan" : "scan";
  if (spec.options.lower_bound) text += " lower=" + *spec.options.lower_bound;
  if (spec.options.upper_bound) text += " upper=" + *spec.options.upper_bound;
  if (spec.options.prefix) text += " prefix=" + *spec.options.prefix;
  if (spec.start) text += " from=" + *spec.start;
  if (!spec.walk.empty()) {
    text += " walk=";
    for (bool next : spec.walk) text += next ? 'n' : 'p';
  }
  return text;
}

ScanResult ReadScan(Iterator& it, const ScanSpec& spec) {
  if (spec.reverse) {
    spec.start ? it.SeekForPrev(*spec.start) : it.SeekToLast();
  } else {
    spec.start ? it.Seek(*spec.start) : it.SeekToFirst();
  }
  ScanResult result;
  if (!spec.walk.empty()) {
    for (size_t step = 0; it.Valid(); ++step) {
      result.emplace_back(std::string(it.key()), std::string(it.value()));
      if (step == spec.walk.size()) break;
      spec.walk[step] ? it.Next() : it.Prev();
    }
    return result;
  }
  while (it.Valid() && result.size() < spec.limit) {
    result.emplace_back(std::string(it.key()), std::string(it.value()));
    spec.reverse ? it.Prev() : it.Next();
  }
  return result;
}

}  // namespace kiln::dst
