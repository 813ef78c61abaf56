// A VersionEdit is one change to the shape of the LSM tree: files added to and
// removed from levels, buckets created and dropped, and the counters that
// recovery needs (next file number, last sequence, oldest live WAL). The
// MANIFEST is a log of encoded edits (engine/docs/manifest_format.md is the
// byte-by-byte spec); replaying them in order from an empty state rebuilds the
// current Version.
//
// Decoding treats its input as untrusted: every length and value is bounded,
// an unknown format version or field tag is Corruption, and no input can make
// it crash or allocate more than a small multiple of the input's size.
//
// Thread-safety: plain values; nothing here yields.
#ifndef KILN_DB_VERSION_EDIT_H_
#define KILN_DB_VERSION_EDIT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "db/dbformat.h"
#include "kiln/options.h"

namespace kiln {

inline constexpr uint32_t kVersionEditFormatVersion = 1;

// Bounds a decoder enforces; a writer never produces more.
// Internal keys in file boundaries: a user key plus the 8-byte trailer.
inline constexpr size_t kMaxBoundaryKeyBytes = kMaxKeyBytes + kInternalKeyTrailerBytes;
// Bucket, file and deleted-file entries in one edit, together.
inline constexpr size_t kMaxVersionEditEntries = size_t{1} << 20;
// Sanity bounds on stored bucket options. The table layer enforces its own,
// tighter limits when a bucket is created; these only keep garbage out.
inline constexpr uint64_t kMaxStoredBlockSizeBytes = uint64_t{64} << 20;
inline constexpr uint32_t kMaxStoredRestartInterval = uint32_t{1} << 16;
inline constexpr uint32_t kMaxStoredBloomBitsPerKey = 1024;
inline constexpr uint64_t kMaxStoredPrefixLengthBytes = kMaxKeyBytes;

// One table file. Immutable once in a Version.
struct FileMetaData {
  uint64_t number = 0;  // > 0; the file is TableFileName(dir, number)
  uint64_t size_bytes = 0;
  // Internal keys (dbformat.h); smallest <= largest in internal-key order.
  std::string smallest;
  std::string largest;
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  uint64_t num_entries = 0;
  uint64_t num_range_tombstones = 0;

  std::string_view smallest_user_key() const { return ExtractUserKey(smallest); }
  std::string_view largest_user_key() const { return ExtractUserKey(largest); }
  // Whether [smallest_user_key, largest_user_key] holds user_key.
  bool RangeHolds(std::string_view user_key) const {
    return CompareUserKeys(smallest_user_key(), user_key) <= 0 &&
           CompareUserKeys(user_key, largest_user_key()) <= 0;
  }

  friend bool operator==(const FileMetaData&, const FileMetaData&) = default;
};

struct AddedBucket {
  uint32_t id = 0;
  std::string name;  // 1..kMaxBucketNameBytes bytes
  BucketOptions options;
};

struct NewFile {
  uint32_t bucket_id = 0;
  int level = 0;  // [0, kNumLevels)
  FileMetaData meta;
};

struct DeletedFile {
  uint32_t bucket_id = 0;
  int level = 0;
  uint64_t number = 0;

  friend bool operator==(const DeletedFile&, const DeletedFile&) = default;
};

bool SameBucketOptions(const BucketOptions& a, const BucketOptions& b);

// Applied in this order (Version::Apply): added buckets, deleted files, new
// files, dropped buckets. So one edit can move a file between levels (delete
// then add the same number), and a snapshot edit can create a bucket and
// fill it.
struct VersionEdit {
  // Unset fields leave the recovered value unchanged.
  std::optional<uint64_t> next_file_number;
  std::optional<SequenceNumber> last_sequence;
  // WALs numbered below it are obsolete: their writes are in tables.
  std::optional<uint64_t> log_number;
  // Bucket ids are never reused, so a WAL record of a dropped bucket can
  // never be replayed into a newer bucket with the same id.
  std::optional<uint32_t> next_bucket_id;

  std::vector<AddedBucket> added_buckets;
  std::vector<uint32_t> dropped_buckets;
  std::vector<NewFile> new_files;
  std::vector<DeletedFile> deleted_files;

  void AddBucket(uint32_t id, std::string name, const BucketOptions& options);
  void DropBucket(uint32_t id);
  void AddFile(uint32_t bucket_id, int level, FileMetaData meta);
  void DeleteFile(uint32_t bucket_id, int level, uint64_t number);

  // Appends the encoding to out. REQUIRES: every field within the bounds
  // above (asserted: a writer producing an undecodable edit is a bug).
  void EncodeTo(std::string& out) const;

  // Parses one encoded edit. Corruption naming path_for_errors and offset
  // (where the record holding it starts) on anything malformed.
  [[nodiscard]] static absl::StatusOr<VersionEdit> DecodeFrom(std::string_view input,
                                                              std::string_view path_for_errors,
                                                              uint64_t offset);

  // One line per field, for tests and debugging.
  std::string DebugString() const;

  friend bool operator==(const VersionEdit& a, const VersionEdit& b);
};

}  // namespace kiln

#endif  // KILN_DB_VERSION_EDIT_H_
