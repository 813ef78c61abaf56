#include "db/compaction_picker.h"

#include <algorithm>
#include <vector>

#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

constexpr int kLastLevel = kNumLevels - 1;

struct UserKeyRange {
  std::string_view smallest;
  std::string_view largest;
};

// The user-key hull of files. REQUIRES: !files.empty().
UserKeyRange RangeOf(const FileList& files, UserKeyRange range) {
  for (const auto& file : files) {
    if (CompareUserKeys(file->smallest_user_key(), range.smallest) < 0) {
      range.smallest = file->smallest_user_key();
    }
    if (CompareUserKeys(file->largest_user_key(), range.largest) > 0) {
      range.largest = file->largest_user_key();
    }
  }
  return range;
}

UserKeyRange RangeOf(const FileList& files) {
  KILN_ASSERT(!files.empty());
  return RangeOf(files, {files.front()->smallest_user_key(), files.front()->largest_user_key()});
}

// Every L0 file overlapping seed_range, grown until no L0 file outside the
// set overlaps the set's hull. Each round adds a file or stops, so at most
// (L0 files + 1) rounds.
FileList GrowLevel0(const Version& version, uint32_t bucket_id, UserKeyRange seed_range) {
  const size_t max_rounds = version.NumFiles(bucket_id, 0) + 1;
  FileList inputs = version.OverlappingFiles(bucket_id, 0, seed_range.smallest, seed_range.largest);
  for (size_t round = 0; round < max_rounds && !inputs.empty(); ++round) {
    const UserKeyRange range = RangeOf(inputs);
    FileList grown = version.OverlappingFiles(bucket_id, 0, range.smallest, range.largest);
    if (grown.size() == inputs.size()) return inputs;
    KILN_ASSERT(grown.size() > inputs.size());
    inputs = std::move(grown);
  }
  return inputs;
}

bool AnyBusy(const FileList& files, const std::set<uint64_t>& busy_files) {
  return std::any_of(files.begin(), files.end(),
                     [&](const auto& file) { return busy_files.contains(file->number); });
}

// Fills in the output level's inputs, the key range and the bottommost flag.
Compaction Complete(const Version& version, uint32_t bucket_id, int level, int output_level,
                    FileList inputs, double score) {
  Compaction compaction{.bucket_id = bucket_id,
                        .level = level,
                        .output_level = output_level,
                        .inputs = std::move(inputs),
                        .score = score};
  UserKeyRange range = RangeOf(compaction.inputs);
  if (output_level != level) {
    compaction.output_level_inputs =
        version.OverlappingFiles(bucket_id, output_level, range.smallest, range.largest);
    if (!compaction.output_level_inputs.empty()) {
      range = RangeOf(compaction.output_level_inputs, range);
    }
  }
  compaction.smallest_user_key = std::string(range.smallest);
  compaction.largest_user_key = std::string(range.largest);
  compaction.bottommost = BottommostLevel::kYes;
  for (int below = output_level + 1; below < kNumLevels; ++below) {
    if (!version.OverlappingFiles(bucket_id, below, range.smallest, range.largest).empty()) {
      compaction.bottommost = BottommostLevel::kNo;
      break;
    }
    if constexpr (KILN_PLANTED_BUG(compaction_bottommost_one_level)) {
      // PLANTED BUG compaction_bottommost_one_level: only the level right
      // below the output is checked; older versions deeper down are missed.
      break;
    }
  }
  KILN_PROBE(compaction.bottommost == BottommostLevel::kYes && output_level < kLastLevel,
             "a compaction above the last level is bottommost for its keys");
  return compaction;
}

}  // namespace

bool SeeksReadExtraTables(const BucketVersion& bucket) {
  const size_t level0 = bucket.levels[0].size();
  return level0 >= 2 || (level0 == 1 && !bucket.levels[1].empty());
}

std::string_view CompactionPointers::Get(uint32_t bucket_id, int level) const {
  auto found = pointers_.find({bucket_id, level});
  return found == pointers_.end() ? std::string_view() : std::string_view(found->second);
}

void CompactionPointers::Set(uint32_t bucket_id, int level, std::string largest_key) {
  pointers_[{bucket_id, level}] = std::move(largest_key);
}

uint64_t Compaction::InputBytes() const {
  uint64_t total = 0;
  for (const auto& file : inputs) total += file->size_bytes;
  for (const auto& file : output_level_inputs) total += file->size_bytes;
  return total;
}

void Compaction::AddInputDeletions(VersionEdit& edit) const {
  for (const auto& file : inputs) edit.DeleteFile(bucket_id, level, file->number);
  for (const auto& file : output_level_inputs) {
    edit.DeleteFile(bucket_id, output_level, file->number);
  }
}

uint64_t TargetLevelBytes(const Options& options, int level) {
  KILN_ASSERT(level >= 1 && level < kNumLevels);
  uint64_t target = options.level1_target_bytes;
  for (int i = 1; i < level; ++i) {
    const uint64_t multiplier = static_cast<uint64_t>(options.level_size_multiplier);
    // Saturate rather than wrap: a huge target just never triggers.
    target = target > UINT64_MAX / multiplier ? UINT64_MAX : target * multiplier;
  }
  return target;
}

CompactionPicker::CompactionPicker(const Options& options) : options_(options) {
  KILN_ASSERT(options.l0_compaction_trigger >= 1);
  KILN_ASSERT(options.level1_target_bytes >= 1);
  KILN_ASSERT(options.level_size_multiplier >= 1);
}

bool CompactionPicker::SeeksWantLevel0Compacted(const Version& version, uint32_t bucket_id) const {
  if (options_.l0_seek_compaction_bytes == 0) return false;
  const BucketVersion* bucket = version.FindBucket(bucket_id);
  KILN_ASSERT(bucket != nullptr);
  const FileList& level0 = bucket->levels[0];
  // Compacting must leave seeks fewer tables to read: not so for one L0
  // table over an empty L1, which would only move down.
  if (!SeeksReadExtraTables(*bucket)) return false;
  const uint64_t charges = bucket->l0_seek_charges.value();
  if (charges == 0) return false;
  uint64_t rewrite_bytes = 0;
  for (const auto& file : level0) rewrite_bytes += file->size_bytes;
  const UserKeyRange range = RangeOf(level0);
  for (const auto& file : version.OverlappingFiles(bucket_id, 1, range.smallest, range.largest)) {
    rewrite_bytes += file->size_bytes;
  }
  // charges * cost >= rewrite_bytes, without overflow.
  return charges >= (rewrite_bytes + options_.l0_seek_compaction_bytes - 1) /
                        options_.l0_seek_compaction_bytes;
}

double CompactionPicker::Score(const Version& version, uint32_t bucket_id, int level) const {
  KILN_ASSERT(level >= 0 && level < kNumLevels);
  if (level == 0) {
    const double by_count = static_cast<double>(version.NumFiles(bucket_id, 0)) /
                            static_cast<double>(options_.l0_compaction_trigger);
    if (by_count < 1 && SeeksWantLevel0Compacted(version, bucket_id)) {
      KILN_PROBE(true, "seeks pay for an L0 compaction below the trigger");
      return 1;
    }
    return by_count;
  }
  if (level == kLastLevel) return 0;
  return static_cast<double>(version.LevelBytes(bucket_id, level)) /
         static_cast<double>(TargetLevelBytes(options_, level));
}

bool CompactionPicker::NeedsCompaction(const Version& version, uint32_t bucket_id) const {
  for (int level = 0; level < kLastLevel; ++level) {
    if (Score(version, bucket_id, level) >= 1) return true;
  }
  return false;
}

std::optional<Compaction> CompactionPicker::PickCompaction(
    const Version& version, uint32_t bucket_id, CompactionPointers& pointers,
    const std::set<uint64_t>& busy_files) const {
  // Levels by score, highest first; ties to the upper level.
  std::vector<std::pair<double, int>> candidates;
  for (int level = 0; level < kLastLevel; ++level) {
    const double score = Score(version, bucket_id, level);
    if (score >= 1) candidates.emplace_back(score, level);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  for (const auto& [score, level] : candidates) {
    const FileList& files = version.files(bucket_id, level);
    if (level == 0) {
      // Oldest first: the data that has waited longest moves down first.
      for (auto seed = files.rbegin(); seed != files.rend(); ++seed) {
        if (busy_files.contains((*seed)->number)) continue;
        FileList inputs = GrowLevel0(version, bucket_id,
                                     {(*seed)->smallest_user_key(), (*seed)->largest_user_key()});
        Compaction compaction = Complete(version, bucket_id, 0, 1, std::move(inputs), score);
        if (AnyBusy(compaction.inputs, busy_files) ||
            AnyBusy(compaction.output_level_inputs, busy_files)) {
          continue;
        }
        return compaction;
      }
      KILN_PROBE(true, "L0 needs compaction but every candidate is busy");
      continue;
    }
    // Round robin: start at the first file past the pointer, wrapping around.
    const std::string_view pointer = pointers.Get(bucket_id, level);
    size_t start = 0;
    if (!pointer.empty()) {
      start = static_cast<size_t>(
          std::partition_point(
              files.begin(), files.end(),
              [&](const auto& file) { return CompareInternalKeys(file->largest, pointer) <= 0; }) -
          files.begin());
      KILN_PROBE(start == files.size(), "compaction pointer wraps around");
    }
    for (size_t i = 0; i < files.size(); ++i) {
      const auto& file = files[(start + i) % files.size()];
      if (busy_files.contains(file->number)) continue;
      Compaction compaction = Complete(version, bucket_id, level, level + 1, {file}, score);
      if (AnyBusy(compaction.output_level_inputs, busy_files)) continue;
      pointers.Set(bucket_id, level, file->largest);
      return compaction;
    }
  }
  return std::nullopt;
}

std::optional<Compaction> CompactionPicker::PickManualCompaction(
    const Version& version, uint32_t bucket_id, int level, std::optional<std::string_view> begin,
    std::optional<std::string_view> end) const {
  KILN_ASSERT(level >= 0 && level < kNumLevels);
  if (begin && end && CompareUserKeys(*begin, *end) >= 0) return std::nullopt;
  // [begin, end) as an inclusive query, minus files that start at end.
  FileList inputs = version.OverlappingFiles(bucket_id, level, begin, end);
  if (end) {
    std::erase_if(inputs, [&](const auto& file) {
      return CompareUserKeys(file->smallest_user_key(), *end) >= 0;
    });
  }
  if (inputs.empty()) return std::nullopt;
  if (level == 0) inputs = GrowLevel0(version, bucket_id, RangeOf(inputs));
  const int output_level = level == kLastLevel ? level : level + 1;
  return Complete(version, bucket_id, level, output_level, std::move(inputs), /*score=*/0);
}

}  // namespace kiln
