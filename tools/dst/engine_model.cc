#include "tools/dst/engine_model.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "util/assert.h"

namespace kiln::dst {
namespace {

std::string Quote(const std::optional<std::string>& value) {
  if (!value.has_value()) return "<absent>";
  constexpr size_t kMaxShownBytes = 24;
  std::string shown = value->substr(0, kMaxShownBytes);
  if (value->size() > kMaxShownBytes) shown += "...(" + std::to_string(value->size()) + " bytes)";
  return "\"" + shown + "\"";
}

std::optional<std::string> Find(const ModelBucketState& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) return std::nullopt;
  return it->second;
}

}  // namespace

void ApplyEntries(const std::vector<ModelEntry>& entries, ModelState& state) {
  for (const ModelEntry& entry : entries) {
    KILN_ASSERT(entry.bucket >= 0 && entry.bucket < kModelBuckets);
    ModelBucketState& bucket = state[entry.bucket];
    switch (entry.kind) {
      case ModelEntry::Kind::kPut:
        bucket[entry.key] = entry.value;
        break;
      case ModelEntry::Kind::kDelete:
        bucket.erase(entry.key);
        break;
      case ModelEntry::Kind::kDeleteRange:
        bucket.erase(bucket.lower_bound(entry.key), bucket.lower_bound(entry.value));
        break;
    }
  }
}

std::string DescribeBucketDifference(int bucket, const ModelBucketState& expected,
                                     const ModelBucketState& got) {
  auto e = expected.begin();
  auto g = got.begin();
  while (e != expected.end() || g != got.end()) {
    std::string key;
    if (g == got.end() || (e != expected.end() && e->first < g->first)) {
      key = e->first;
    } else {
      key = g->first;
    }
    const std::optional<std::string> want = Find(expected, key);
    const std::optional<std::string> have = Find(got, key);
    if (want != have) {
      return "bucket " + std::to_string(bucket) + " key \"" + key + "\": expected " + Quote(want) +
             ", got " + Quote(have);
    }
    ++e;
    ++g;
  }
  return "";
}

std::string DescribeStateDifference(const ModelState& expected, const ModelState& got) {
  for (int b = 0; b < kModelBuckets; ++b) {
    std::string difference = DescribeBucketDifference(b, expected[b], got[b]);
    if (!difference.empty()) return difference;
  }
  return "";
}

void EngineModel::Reset(const ModelState& state, uint64_t base_sequence) {
  for (int b = 0; b < kModelBuckets; ++b) {
    buckets_[b] = BucketHistory{};
    for (const auto& [key, value] : state[b]) {
      buckets_[b].versions[key].push_back(Version{.sequence = base_sequence, .value = value});
    }
  }
  base_sequence_ = base_sequence;
  complete_through_ = base_sequence;
  batches_.clear();
}

std::string EngineModel::AddBatch(uint64_t last_sequence, const std::vector<ModelEntry>& entries) {
  KILN_ASSERT(!entries.empty());
  const std::string what = "a batch of " + std::to_string(entries.size()) +
                           " entries committed at sequence " + std::to_string(last_sequence);
  if (last_sequence < entries.size() || last_sequence - entries.size() + 1 <= base_sequence_) {
    return what + ", at or below the recovered sequence " + std::to_string(base_sequence_);
  }
  const uint64_t first = last_sequence - entries.size() + 1;
  // The recorded batch starting at or after first, and the one before it.
  auto next = batches_.lower_bound(first);
  if (next != batches_.end() && next->first <= last_sequence) {
    return what + " overlaps the batch at " + std::to_string(next->first) + ".." +
           std::to_string(next->second);
  }
  if (next != batches_.begin() && std::prev(next)->second >= first) {
    return what + " overlaps the batch at " + std::to_string(std::prev(next)->first) + ".." +
           std::to_string(std::prev(next)->second);
  }
  batches_.emplace(first, last_sequence);
  uint64_t sequence = first;
  for (const ModelEntry& entry : entries) {
    KILN_ASSERT(entry.bucket >= 0 && entry.bucket < kModelBuckets);
    BucketHistory& bucket = buckets_[entry.bucket];
    if (entry.kind == ModelEntry::Kind::kDeleteRange) {
      bucket.ranges.push_back(
          RangeTombstone{.sequence = sequence, .begin = entry.key, .end = entry.value});
    } else {
      std::vector<Version>& versions = bucket.versions[entry.key];
      Version version{.sequence = sequence};
      if (entry.kind == ModelEntry::Kind::kPut) version.value = entry.value;
      auto at = std::upper_bound(versions.begin(), versions.end(), sequence,
                                 [](uint64_t s, const Version& v) { return s < v.sequence; });
      versions.insert(at, std::move(version));
    }
    ++sequence;
  }
  for (auto it = batches_.find(complete_through_ + 1); it != batches_.end();
       it = batches_.find(complete_through_ + 1)) {
    complete_through_ = it->second;
  }
  return "";
}

std::optional<std::string> EngineModel::Get(int bucket, const std::string& key,
                                            uint64_t sequence) const {
  KILN_ASSERT(bucket >= 0 && bucket < kModelBuckets);
  const BucketHistory& history = buckets_[bucket];
  uint64_t found_sequence = 0;
  std::optional<std::string> found;
  auto it = history.versions.find(key);
  if (it != history.versions.end()) {
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      if (v->sequence <= sequence) {
        found_sequence = v->sequence;
        found = v->value;
        break;
      }
    }
  }
  if (!found.has_value()) return std::nullopt;
  for (const RangeTombstone& range : history.ranges) {
    if (range.sequence > found_sequence && range.sequence <= sequence && range.begin <= key &&
        key < range.end) {
      return std::nullopt;
    }
  }
  return found;
}

ModelBucketState EngineModel::BucketAt(int bucket, uint64_t sequence) const {
  ModelBucketState state;
  for (const auto& [key, versions] : buckets_[bucket].versions) {
    std::optional<std::string> value = Get(bucket, key, sequence);
    if (value.has_value()) state.emplace(key, *std::move(value));
  }
  return state;
}

ModelState EngineModel::StateAt(uint64_t sequence) const {
  ModelState state;
  for (int b = 0; b < kModelBuckets; ++b) state[b] = BucketAt(b, sequence);
  return state;
}

uint64_t EngineModel::max_sequence() const {
  uint64_t highest = base_sequence_;
  for (const auto& [first, last] : batches_) highest = std::max(highest, last);
  return highest;
}

std::vector<uint64_t> EngineModel::Boundaries(uint64_t low, uint64_t high) const {
  std::vector<uint64_t> boundaries;
  if (base_sequence_ >= low && base_sequence_ <= high) boundaries.push_back(base_sequence_);
  for (const auto& [first, last] : batches_) {
    if (last >= low && last <= high) boundaries.push_back(last);
  }
  return boundaries;  // batches_ is ordered by first, hence by last
}

}  // namespace kiln::dst
