// A Version is one immutable shape of the database's LSM trees: for every
// bucket, its name, options, and the table files at each level. Readers hold
// a std::shared_ptr<const Version> for as long as they read its files; the
// VersionSet installs a new Version per VersionEdit.
//
// Invariants (CheckInvariants verifies them):
//   1. Each bucket is stored under its own id; bucket names are non-empty and
//      unique.
//   2. Every file has 0 < number < next_file_number(), well-formed boundary
//      keys with smallest <= largest, and smallest_seq <= largest_seq.
//   3. No file number appears twice in the Version (across buckets and levels).
//   4. Level 0 is ordered newest first: by largest_seq descending, then by
//      number descending. Its files may overlap.
//   5. Every level >= 1 is sorted by smallest key, and its files' USER-key
//      ranges are disjoint: a file's largest user key < the next file's
//      smallest user key. So one user key's versions at a level live in one
//      file, and a compaction picking a file takes all of them.
//
// Thread-safety: immutable; every const method may be called concurrently.
// Nothing here yields.
#ifndef KILN_DB_VERSION_H_
#define KILN_DB_VERSION_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/version_edit.h"
#include "kiln/options.h"

namespace kiln {

using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

// Iterator seeks charged to one bucket shape for read-triggered L0
// compaction (CompactionPicker::Score). Not part of the shape: a copy (a new
// BucketVersion drafted from this one) starts from zero, since its L0 differs.
// Thread-safety: Charge and value may run concurrently.
class SeekCharges {
 public:
  SeekCharges() = default;
  SeekCharges(const SeekCharges&) {}
  SeekCharges& operator=(const SeekCharges&) {
    charges_.store(0, std::memory_order_relaxed);
    return *this;
  }
  // Adds one; returns the new total.
  uint64_t Charge() const { return charges_.fetch_add(1, std::memory_order_relaxed) + 1; }
  uint64_t value() const { return charges_.load(std::memory_order_relaxed); }

 private:
  mutable std::atomic<uint64_t> charges_{0};
};

// One bucket's part of a Version. Shared between Versions until an edit
// changes the bucket.
struct BucketVersion {
  uint32_t id = 0;
  std::string name;
  BucketOptions options;
  std::array<FileList, kNumLevels> levels;
  // Seeks that read this shape's L0 tables and at least one other table.
  SeekCharges l0_seek_charges;
};

class Version {
 public:
  using BucketMap = std::map<uint32_t, std::shared_ptr<const BucketVersion>>;

  // No buckets; next_file_number 1 (no file numbers in use).
  Version() = default;
  // As given, unchecked (tests build broken Versions this way).
  Version(BucketMap buckets, uint64_t next_file_number);

  // base with edit's changes applied, in the order VersionEdit documents;
  // next_file_number() becomes edit.next_file_number when set. Returns
  // FailedPrecondition if the edit does not fit base (adds an existing
  // bucket, a name in use, a file to a missing bucket; deletes a file not at
  // the level it names; drops a missing bucket or bucket 0), and Internal if
  // the result breaks an invariant above.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const Version>> Apply(
      const Version& base, const VersionEdit& edit);

  const BucketMap& buckets() const { return buckets_; }
  // The most L0 files any bucket has (what write backpressure looks at);
  // computed once, at construction.
  size_t max_level0_files() const { return max_level0_files_; }
  // Null if there is no such bucket.
  const BucketVersion* FindBucket(uint32_t id) const;
  const BucketVersion* FindBucketByName(std::string_view name) const;

  // REQUIRES: the bucket exists, 0 <= level < kNumLevels.
  const FileList& files(uint32_t bucket_id, int level) const;
  size_t NumFiles(uint32_t bucket_id, int level) const { return files(bucket_id, level).size(); }
  uint64_t LevelBytes(uint32_t bucket_id, int level) const;

  // The files at level whose user-key range meets [smallest_user_key,
  // largest_user_key] (both inclusive; nullopt is unbounded), in level
  // order. Binary search at levels >= 1. REQUIRES: as files().
  FileList OverlappingFiles(uint32_t bucket_id, int level,
                            std::optional<std::string_view> smallest_user_key,
                            std::optional<std::string_view> largest_user_key) const;

  // The one file at level >= 1 whose range holds user_key, or null: the
  // allocation-free lookup for point reads. REQUIRES: as files(); level >= 1.
  const FileMetaData* FileHolding(uint32_t bucket_id, int level, std::string_view user_key) const;

  // Every file number in the Version, ascending.
  std::vector<uint64_t> FileNumbers() const;

  uint64_t next_file_number() const { return next_file_number_; }

  // OK, or Internal describing the first broken invariant.
  [[nodiscard]] absl::Status CheckInvariants() const;

  // "files[ 2 0 1 0 0 0 0 ] bytes[ 4096 0 ... ]" for one bucket.
  std::string LevelSummary(uint32_t bucket_id) const;
  // Every bucket and file, one per line, in a canonical order: two Versions
  // with equal dumps hold the same state.
  std::string DebugString() const;

 private:
  BucketMap buckets_;
  uint64_t next_file_number_ = 1;
  size_t max_level0_files_ = 0;
};

}  // namespace kiln

#endif  // KILN_DB_VERSION_H_
