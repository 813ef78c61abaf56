#include "db/version.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

absl::string_view Sv(std::string_view view) { return absl::string_view(view.data(), view.size()); }

// Level 0 order: newest first (invariant 4).
bool NewerFirst(const std::shared_ptr<const FileMetaData>& a,
                const std::shared_ptr<const FileMetaData>& b) {
  if (a->largest_seq != b->largest_seq) return a->largest_seq > b->largest_seq;
  return a->number > b->number;
}

// Levels >= 1: by smallest key; ties (only in broken Versions) by number, so
// the order never depends on the input order.
bool BySmallestKey(const std::shared_ptr<const FileMetaData>& a,
                   const std::shared_ptr<const FileMetaData>& b) {
  const int order = CompareInternalKeys(a->smallest, b->smallest);
  if (order != 0) return order < 0;
  return a->number < b->number;
}

void SortLevel(FileList& files, int level) {
  if (level == 0) {
    std::sort(files.begin(), files.end(), NewerFirst);
  } else {
    std::sort(files.begin(), files.end(), BySmallestKey);
  }
}

std::string FileInBucket(const BucketVersion& bucket, int level, uint64_t number) {
  return absl::StrCat("file ", number, " (bucket ", bucket.id, " level ", level, ")");
}

absl::Status CheckFile(const BucketVersion& bucket, int level, const FileMetaData& file,
                       uint64_t next_file_number) {
  const std::string where = FileInBucket(bucket, level, file.number);
  if (file.number == 0 || file.number >= next_file_number) {
    return absl::InternalError(
        absl::StrCat(where, ": number not below next file number ", next_file_number));
  }
  ParsedInternalKey parsed;
  if (!ParseInternalKey(file.smallest, parsed) || !ParseInternalKey(file.largest, parsed)) {
    return absl::InternalError(absl::StrCat(where, ": malformed boundary key"));
  }
  if (CompareInternalKeys(file.smallest, file.largest) > 0) {
    return absl::InternalError(absl::StrCat(where, ": smallest key ",
                                            DebugInternalKey(file.smallest), " above largest ",
                                            DebugInternalKey(file.largest)));
  }
  if (file.smallest_seq > file.largest_seq) {
    return absl::InternalError(absl::StrCat(where, ": smallest sequence ", file.smallest_seq,
                                            " above largest ", file.largest_seq));
  }
  return absl::OkStatus();
}

absl::Status CheckLevelOrder(const BucketVersion& bucket, int level) {
  const FileList& files = bucket.levels[level];
  for (size_t i = 1; i < files.size(); ++i) {
    const FileMetaData& previous = *files[i - 1];
    const FileMetaData& file = *files[i];
    if (level == 0) {
      if (!NewerFirst(files[i - 1], files[i])) {
        return absl::InternalError(absl::StrCat(FileInBucket(bucket, level, file.number),
                                                " is newer than the file before it"));
      }
      continue;
    }
    if (CompareUserKeys(previous.largest_user_key(), file.smallest_user_key()) >= 0) {
      return absl::InternalError(absl::StrCat(
          FileInBucket(bucket, level, file.number), " overlaps or precedes file ", previous.number,
          ": ", DebugInternalKey(file.smallest), " <= ", DebugInternalKey(previous.largest)));
    }
  }
  return absl::OkStatus();
}

// The mutable copy of one bucket an edit works on.
struct BucketDraft {
  BucketVersion bucket;
  std::array<bool, kNumLevels> level_changed{};
};

absl::StatusOr<BucketDraft*> DraftFor(std::map<uint32_t, BucketDraft>& drafts,
                                      const Version::BucketMap& buckets, uint32_t id,
                                      std::string_view why) {
  auto draft = drafts.find(id);
  if (draft != drafts.end()) return &draft->second;
  auto existing = buckets.find(id);
  if (existing == buckets.end()) {
    return absl::FailedPreconditionError(absl::StrCat(Sv(why), ": bucket ", id, " does not exist"));
  }
  return &drafts.emplace(id, BucketDraft{.bucket = *existing->second}).first->second;
}

}  // namespace

Version::Version(BucketMap buckets, uint64_t next_file_number)
    : buckets_(std::move(buckets)), next_file_number_(next_file_number) {
  for (const auto& [id, bucket] : buckets_) {
    max_level0_files_ = std::max(max_level0_files_, bucket->levels[0].size());
  }
}

absl::StatusOr<std::shared_ptr<const Version>> Version::Apply(const Version& base,
                                                              const VersionEdit& edit) {
  BucketMap buckets = base.buckets_;
  // Buckets this edit touches, copied once; every other bucket stays shared.
  std::map<uint32_t, BucketDraft> drafts;

  for (const AddedBucket& added : edit.added_buckets) {
    if (buckets.contains(added.id) || drafts.contains(added.id)) {
      return absl::FailedPreconditionError(
          absl::StrCat("edit adds bucket ", added.id, ", which exists"));
    }
    drafts.emplace(added.id,
                   BucketDraft{.bucket = BucketVersion{
                                   .id = added.id, .name = added.name, .options = added.options}});
  }

  // Deletions grouped per (bucket, level) so each level is filtered once.
  std::map<std::pair<uint32_t, int>, std::set<uint64_t>> deletions;
  for (const DeletedFile& deleted : edit.deleted_files) {
    KILN_ASSERT(deleted.level >= 0 && deleted.level < kNumLevels);
    if (!deletions[{deleted.bucket_id, deleted.level}].insert(deleted.number).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("edit deletes file ", deleted.number, " twice"));
    }
  }
  for (auto& [where, numbers] : deletions) {
    const auto [bucket_id, level] = where;
    KILN_ASSIGN_OR_RETURN(
        BucketDraft * draft,
        DraftFor(drafts, buckets, bucket_id, absl::StrCat("edit deletes file ", *numbers.begin())));
    FileList& files = draft->bucket.levels[level];
    const size_t before = files.size();
    // An init-capture: clang 14 (--config=fuzz) cannot capture a structured binding.
    std::erase_if(files, [&doomed = numbers](const std::shared_ptr<const FileMetaData>& file) {
      return doomed.contains(file->number);
    });
    if (before - files.size() != numbers.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("edit deletes a file that is not at bucket ", bucket_id, " level ", level,
                       " (one of ", numbers.size(), " starting at ", *numbers.begin(), ")"));
    }
    draft->level_changed[level] = true;
  }

  for (const NewFile& added : edit.new_files) {
    KILN_ASSERT(added.level >= 0 && added.level < kNumLevels);
    KILN_ASSIGN_OR_RETURN(BucketDraft * draft,
                          DraftFor(drafts, buckets, added.bucket_id,
                                   absl::StrCat("edit adds file ", added.meta.number)));
    draft->bucket.levels[added.level].push_back(std::make_shared<const FileMetaData>(added.meta));
    draft->level_changed[added.level] = true;
  }

  for (auto& [id, draft] : drafts) {
    for (int level = 0; level < kNumLevels; ++level) {
      if (draft.level_changed[level]) SortLevel(draft.bucket.levels[level], level);
    }
    buckets[id] = std::make_shared<const BucketVersion>(std::move(draft.bucket));
  }

  for (uint32_t id : edit.dropped_buckets) {
    if (id == 0) return absl::FailedPreconditionError("edit drops the default bucket 0");
    if (buckets.erase(id) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("edit drops bucket ", id, ", which does not exist"));
    }
  }

  // Checked once every add and drop is in, so one edit may drop a bucket and
  // add another under its name.
  std::set<std::string_view> names;
  for (const auto& [id, bucket] : buckets) {
    if (!names.insert(bucket->name).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("bucket name '", bucket->name, "' is used twice (bucket ", id, ")"));
    }
  }

  auto version = std::make_shared<const Version>(
      std::move(buckets), edit.next_file_number.value_or(base.next_file_number_));
  KILN_RETURN_IF_ERROR(version->CheckInvariants());
  return version;
}

const BucketVersion* Version::FindBucket(uint32_t id) const {
  auto found = buckets_.find(id);
  return found == buckets_.end() ? nullptr : found->second.get();
}

const BucketVersion* Version::FindBucketByName(std::string_view name) const {
  for (const auto& [id, bucket] : buckets_) {
    if (bucket->name == name) return bucket.get();
  }
  return nullptr;
}

const FileList& Version::files(uint32_t bucket_id, int level) const {
  KILN_ASSERT(level >= 0 && level < kNumLevels);
  const BucketVersion* bucket = FindBucket(bucket_id);
  KILN_ASSERT_MSG(bucket != nullptr, "no such bucket");
  return bucket->levels[level];
}

uint64_t Version::LevelBytes(uint32_t bucket_id, int level) const {
  uint64_t total = 0;
  for (const auto& file : files(bucket_id, level)) total += file->size_bytes;
  return total;
}

FileList Version::OverlappingFiles(uint32_t bucket_id, int level,
                                   std::optional<std::string_view> smallest_user_key,
                                   std::optional<std::string_view> largest_user_key) const {
  const FileList& level_files = files(bucket_id, level);
  auto overlaps = [&](const FileMetaData& file) {
    if (smallest_user_key && CompareUserKeys(file.largest_user_key(), *smallest_user_key) < 0) {
      return false;
    }
    if (largest_user_key && CompareUserKeys(file.smallest_user_key(), *largest_user_key) > 0) {
      return false;
    }
    return true;
  };
  FileList result;
  if (level == 0) {
    for (const auto& file : level_files) {
      if (overlaps(*file)) result.push_back(file);
    }
    return result;
  }
  // Disjoint and sorted (invariant 5): largest user keys ascend too, so the
  // first candidate is the first file ending at or after the range's start.
  auto first = level_files.begin();
  if (smallest_user_key) {
    first = std::partition_point(
        level_files.begin(), level_files.end(), [&](const std::shared_ptr<const FileMetaData>& f) {
          return CompareUserKeys(f->largest_user_key(), *smallest_user_key) < 0;
        });
  }
  for (auto it = first; it != level_files.end() && overlaps(**it); ++it) result.push_back(*it);
  return result;
}

const FileMetaData* Version::FileHolding(uint32_t bucket_id, int level,
                                         std::string_view user_key) const {
  KILN_ASSERT(level >= 1);
  const FileList& level_files = files(bucket_id, level);
  // Disjoint and sorted (invariant 5): the first file ending at or after
  // user_key is the only candidate.
  const auto first = std::partition_point(
      level_files.begin(), level_files.end(), [&](const std::shared_ptr<const FileMetaData>& f) {
        return CompareUserKeys(f->largest_user_key(), user_key) < 0;
      });
  if (first == level_files.end() || !(*first)->RangeHolds(user_key)) return nullptr;
  return first->get();
}

std::vector<uint64_t> Version::FileNumbers() const {
  std::vector<uint64_t> numbers;
  for (const auto& [id, bucket] : buckets_) {
    for (const FileList& files : bucket->levels) {
      for (const auto& file : files) numbers.push_back(file->number);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

absl::Status Version::CheckInvariants() const {
  std::set<std::string_view> names;
  std::vector<uint64_t> numbers;
  for (const auto& [id, bucket] : buckets_) {
    if (bucket == nullptr || bucket->id != id) {
      return absl::InternalError(absl::StrCat("bucket stored under id ", id, " has another id"));
    }
    if (bucket->name.empty() || !names.insert(bucket->name).second) {
      return absl::InternalError(
          absl::StrCat("bucket ", id, " name '", bucket->name, "' is empty or not unique"));
    }
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& file : bucket->levels[level]) {
        KILN_RETURN_IF_ERROR(CheckFile(*bucket, level, *file, next_file_number_));
        numbers.push_back(file->number);
      }
      KILN_RETURN_IF_ERROR(CheckLevelOrder(*bucket, level));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  auto duplicate = std::adjacent_find(numbers.begin(), numbers.end());
  if (duplicate != numbers.end()) {
    return absl::InternalError(absl::StrCat("file ", *duplicate, " appears twice"));
  }
  return absl::OkStatus();
}

std::string Version::LevelSummary(uint32_t bucket_id) const {
  std::string counts = "files[";
  std::string bytes = " bytes[";
  for (int level = 0; level < kNumLevels; ++level) {
    absl::StrAppend(&counts, " ", NumFiles(bucket_id, level));
    absl::StrAppend(&bytes, " ", LevelBytes(bucket_id, level));
  }
  return counts + " ]" + bytes + " ]";
}

std::string Version::DebugString() const {
  std::string out = absl::StrCat("next_file_number ", next_file_number_, "\n");
  for (const auto& [id, bucket] : buckets_) {
    const BucketOptions& options = bucket->options;
    absl::StrAppend(
        &out, "bucket ", id, " '", bucket->name, "' block_size=", options.block_size_bytes,
        " restart_interval=", options.block_restart_interval,
        " bloom_bits=", options.bloom_bits_per_key, " prefix_length=", options.prefix_length,
        " compression=", static_cast<int>(options.compression), "\n");
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& file : bucket->levels[level]) {
        absl::StrAppend(&out, "  L", level, " #", file->number, " size=", file->size_bytes, " [",
                        DebugInternalKey(file->smallest), " .. ", DebugInternalKey(file->largest),
                        "] seq=", file->smallest_seq, "..", file->largest_seq,
                        " entries=", file->num_entries,
                        " range_tombstones=", file->num_range_tombstones, "\n");
      }
    }
  }
  return out;
}

}  // namespace kiln
