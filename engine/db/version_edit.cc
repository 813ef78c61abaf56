#include "db/version_edit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

// Field tags (engine/docs/manifest_format.md). Persisted: never renumber.
enum Tag : uint32_t {
  kTagNextFileNumber = 1,
  kTagLastSequence = 2,
  kTagLogNumber = 3,
  kTagNextBucketId = 4,
  kTagAddBucket = 5,
  kTagDropBucket = 6,
  kTagNewFile = 7,
  kTagDeletedFile = 8,
};

// Each checker returns what is wrong, or an empty string. Shared by the
// encoder (which asserts) and the decoder (which reports Corruption), so a
// writer can never produce an edit its own reader rejects.

std::string CheckLevel(int64_t level) {
  if (level < 0 || level >= kNumLevels) return absl::StrCat("level ", level, " out of range");
  return "";
}

std::string CheckBucket(const AddedBucket& bucket) {
  if (bucket.name.empty()) return absl::StrCat("bucket ", bucket.id, " has an empty name");
  if (bucket.name.size() > kMaxBucketNameBytes) {
    return absl::StrCat("bucket ", bucket.id, " name of ", bucket.name.size(), " bytes");
  }
  const BucketOptions& options = bucket.options;
  if (options.block_size_bytes == 0 || options.block_size_bytes > kMaxStoredBlockSizeBytes) {
    return absl::StrCat("bucket ", bucket.id, " block size ", options.block_size_bytes);
  }
  if (options.block_restart_interval < 1 ||
      static_cast<uint32_t>(options.block_restart_interval) > kMaxStoredRestartInterval) {
    return absl::StrCat("bucket ", bucket.id, " restart interval ", options.block_restart_interval);
  }
  if (options.bloom_bits_per_key < 0 ||
      static_cast<uint32_t>(options.bloom_bits_per_key) > kMaxStoredBloomBitsPerKey) {
    return absl::StrCat("bucket ", bucket.id, " bloom bits ", options.bloom_bits_per_key);
  }
  if (options.prefix_length > kMaxStoredPrefixLengthBytes) {
    return absl::StrCat("bucket ", bucket.id, " prefix length ", options.prefix_length);
  }
  if (options.compression != Compression::kNone && options.compression != Compression::kLz4) {
    return absl::StrCat("bucket ", bucket.id, " compression ",
                        static_cast<int>(options.compression));
  }
  return "";
}

std::string CheckBoundaryKey(std::string_view key, std::string_view which) {
  if (key.size() > kMaxBoundaryKeyBytes) {
    return absl::StrCat(absl::string_view(which.data(), which.size()), " key of ", key.size(),
                        " bytes");
  }
  ParsedInternalKey parsed;
  if (!ParseInternalKey(key, parsed)) {
    return absl::StrCat("malformed ", absl::string_view(which.data(), which.size()), " key");
  }
  return "";
}

std::string CheckNewFile(const NewFile& file) {
  const FileMetaData& meta = file.meta;
  const std::string level = CheckLevel(file.level);
  if (!level.empty()) return absl::StrCat("file ", meta.number, ": ", level);
  if (meta.number == 0) return "file number 0";
  for (const auto& [key, which] :
       {std::pair{&meta.smallest, "smallest"}, std::pair{&meta.largest, "largest"}}) {
    const std::string problem = CheckBoundaryKey(*key, which);
    if (!problem.empty()) return absl::StrCat("file ", meta.number, ": ", problem);
  }
  if (CompareInternalKeys(meta.smallest, meta.largest) > 0) {
    return absl::StrCat("file ", meta.number, ": smallest key above largest");
  }
  if (meta.smallest_seq > meta.largest_seq || meta.largest_seq > kMaxSequenceNumber) {
    return absl::StrCat("file ", meta.number, ": sequence range ", meta.smallest_seq, "..",
                        meta.largest_seq);
  }
  return "";
}

std::string CheckDeletedFile(const DeletedFile& file) {
  const std::string level = CheckLevel(file.level);
  if (!level.empty()) return absl::StrCat("deleted file ", file.number, ": ", level);
  if (file.number == 0) return "deleted file number 0";
  return "";
}

void AssertEncodable(const std::string& problem) {
  KILN_ASSERT_MSG(problem.empty(), problem.c_str());
}

// A cursor over one encoded edit that reports where and why it failed.
class Decoder {
 public:
  Decoder(std::string_view input, std::string_view path, uint64_t offset)
      : input_(input), size_(input.size()), path_(path), offset_(offset) {}

  bool empty() const { return input_.empty(); }

  absl::Status Error(std::string_view what) const {
    return Corruption(absl::StrCat(absl::string_view(path_.data(), path_.size()),
                                   ": version edit in record at offset ", offset_, ", byte ",
                                   size_ - input_.size(), ": ",
                                   absl::string_view(what.data(), what.size())));
  }

  absl::StatusOr<uint64_t> Varint64(std::string_view what) {
    uint64_t value = 0;
    if (!GetVarint64(input_, value)) return Error(absl::StrCat("bad varint for ", Sv(what)));
    return value;
  }
  absl::StatusOr<uint32_t> Varint32(std::string_view what) {
    uint32_t value = 0;
    if (!GetVarint32(input_, value)) return Error(absl::StrCat("bad varint for ", Sv(what)));
    return value;
  }
  // A length-prefixed string of at most max_bytes.
  absl::StatusOr<std::string> Bytes(std::string_view what, size_t max_bytes) {
    uint32_t length = 0;
    std::string_view probe = input_;
    if (!GetVarint32(probe, length)) return Error(absl::StrCat("bad length for ", Sv(what)));
    if (length > max_bytes) {
      return Error(absl::StrCat(Sv(what), " of ", length, " bytes exceeds ", max_bytes));
    }
    std::string_view bytes;
    if (!GetLengthPrefixed(input_, bytes)) return Error(absl::StrCat("truncated ", Sv(what)));
    return std::string(bytes);
  }
  absl::StatusOr<uint8_t> Byte(std::string_view what) {
    if (input_.empty()) return Error(absl::StrCat("truncated ", Sv(what)));
    const uint8_t value = static_cast<uint8_t>(input_.front());
    input_.remove_prefix(1);
    return value;
  }

 private:
  static absl::string_view Sv(std::string_view view) {
    return absl::string_view(view.data(), view.size());
  }

  std::string_view input_;
  const size_t size_;
  const std::string_view path_;
  const uint64_t offset_;
};

absl::StatusOr<AddedBucket> DecodeBucket(Decoder& decoder) {
  AddedBucket bucket;
  KILN_ASSIGN_OR_RETURN(bucket.id, decoder.Varint32("bucket id"));
  KILN_ASSIGN_OR_RETURN(bucket.name, decoder.Bytes("bucket name", kMaxBucketNameBytes));
  KILN_ASSIGN_OR_RETURN(const uint64_t block_size, decoder.Varint64("block size"));
  KILN_ASSIGN_OR_RETURN(const uint32_t restart_interval, decoder.Varint32("restart interval"));
  KILN_ASSIGN_OR_RETURN(const uint32_t bloom_bits, decoder.Varint32("bloom bits"));
  KILN_ASSIGN_OR_RETURN(const uint64_t prefix_length, decoder.Varint64("prefix length"));
  KILN_ASSIGN_OR_RETURN(const uint8_t compression, decoder.Byte("compression"));
  // Range-check before narrowing so a huge value cannot wrap into range.
  if (block_size > kMaxStoredBlockSizeBytes || restart_interval > kMaxStoredRestartInterval ||
      bloom_bits > kMaxStoredBloomBitsPerKey || prefix_length > kMaxStoredPrefixLengthBytes ||
      compression > static_cast<uint8_t>(Compression::kLz4)) {
    return decoder.Error(absl::StrCat("bucket ", bucket.id, " options out of range"));
  }
  bucket.options = BucketOptions{.block_size_bytes = static_cast<size_t>(block_size),
                                 .block_restart_interval = static_cast<int>(restart_interval),
                                 .bloom_bits_per_key = static_cast<int>(bloom_bits),
                                 .prefix_length = static_cast<size_t>(prefix_length),
                                 .compression = static_cast<Compression>(compression)};
  const std::string problem = CheckBucket(bucket);
  if (!problem.empty()) return decoder.Error(problem);
  return bucket;
}

absl::StatusOr<NewFile> DecodeNewFile(Decoder& decoder) {
  NewFile file;
  KILN_ASSIGN_OR_RETURN(file.bucket_id, decoder.Varint32("bucket id"));
  KILN_ASSIGN_OR_RETURN(const uint32_t level, decoder.Varint32("level"));
  const std::string level_problem = CheckLevel(level);
  if (!level_problem.empty()) return decoder.Error(level_problem);
  file.level = static_cast<int>(level);
  FileMetaData& meta = file.meta;
  KILN_ASSIGN_OR_RETURN(meta.number, decoder.Varint64("file number"));
  KILN_ASSIGN_OR_RETURN(meta.size_bytes, decoder.Varint64("file size"));
  KILN_ASSIGN_OR_RETURN(meta.smallest, decoder.Bytes("smallest key", kMaxBoundaryKeyBytes));
  KILN_ASSIGN_OR_RETURN(meta.largest, decoder.Bytes("largest key", kMaxBoundaryKeyBytes));
  KILN_ASSIGN_OR_RETURN(meta.smallest_seq, decoder.Varint64("smallest sequence"));
  KILN_ASSIGN_OR_RETURN(meta.largest_seq, decoder.Varint64("largest sequence"));
  KILN_ASSIGN_OR_RETURN(meta.num_entries, decoder.Varint64("entry count"));
  KILN_ASSIGN_OR_RETURN(meta.num_range_tombstones, decoder.Varint64("range tombstone count"));
  const std::string problem = CheckNewFile(file);
  if (!problem.empty()) return decoder.Error(problem);
  return file;
}

absl::StatusOr<DeletedFile> DecodeDeletedFile(Decoder& decoder) {
  DeletedFile file;
  KILN_ASSIGN_OR_RETURN(file.bucket_id, decoder.Varint32("bucket id"));
  KILN_ASSIGN_OR_RETURN(const uint32_t level, decoder.Varint32("level"));
  const std::string level_problem = CheckLevel(level);
  if (!level_problem.empty()) return decoder.Error(level_problem);
  file.level = static_cast<int>(level);
  KILN_ASSIGN_OR_RETURN(file.number, decoder.Varint64("file number"));
  const std::string problem = CheckDeletedFile(file);
  if (!problem.empty()) return decoder.Error(problem);
  return file;
}

// Sets a singular field, rejecting a second occurrence: a writer emits each
// at most once, so a repeat means the bytes are not what was written.
template <typename T>
absl::Status SetOnce(Decoder& decoder, std::optional<T>& field, T value, std::string_view what) {
  if (field.has_value()) {
    return decoder.Error(absl::StrCat(absl::string_view(what.data(), what.size()), " repeated"));
  }
  field = value;
  return absl::OkStatus();
}

}  // namespace

bool SameBucketOptions(const BucketOptions& a, const BucketOptions& b) {
  return a.block_size_bytes == b.block_size_bytes &&
         a.block_restart_interval == b.block_restart_interval &&
         a.bloom_bits_per_key == b.bloom_bits_per_key && a.prefix_length == b.prefix_length &&
         a.compression == b.compression;
}

void VersionEdit::AddBucket(uint32_t id, std::string name, const BucketOptions& options) {
  added_buckets.push_back(AddedBucket{.id = id, .name = std::move(name), .options = options});
}

void VersionEdit::DropBucket(uint32_t id) { dropped_buckets.push_back(id); }

void VersionEdit::AddFile(uint32_t bucket_id, int level, FileMetaData meta) {
  new_files.push_back(NewFile{.bucket_id = bucket_id, .level = level, .meta = std::move(meta)});
}

void VersionEdit::DeleteFile(uint32_t bucket_id, int level, uint64_t number) {
  deleted_files.push_back(DeletedFile{.bucket_id = bucket_id, .level = level, .number = number});
}

void VersionEdit::EncodeTo(std::string& out) const {
  KILN_ASSERT(added_buckets.size() + dropped_buckets.size() + new_files.size() +
                  deleted_files.size() <=
              kMaxVersionEditEntries);
  PutVarint32(out, kVersionEditFormatVersion);
  if (next_file_number) {
    PutVarint32(out, kTagNextFileNumber);
    PutVarint64(out, *next_file_number);
  }
  if (last_sequence) {
    KILN_ASSERT(*last_sequence <= kMaxSequenceNumber);
    PutVarint32(out, kTagLastSequence);
    PutVarint64(out, *last_sequence);
  }
  if (log_number) {
    PutVarint32(out, kTagLogNumber);
    PutVarint64(out, *log_number);
  }
  if (next_bucket_id) {
    PutVarint32(out, kTagNextBucketId);
    PutVarint32(out, *next_bucket_id);
  }
  for (const AddedBucket& bucket : added_buckets) {
    AssertEncodable(CheckBucket(bucket));
    PutVarint32(out, kTagAddBucket);
    PutVarint32(out, bucket.id);
    PutLengthPrefixed(out, bucket.name);
    PutVarint64(out, bucket.options.block_size_bytes);
    PutVarint32(out, static_cast<uint32_t>(bucket.options.block_restart_interval));
    PutVarint32(out, static_cast<uint32_t>(bucket.options.bloom_bits_per_key));
    PutVarint64(out, bucket.options.prefix_length);
    out.push_back(static_cast<char>(bucket.options.compression));
  }
  for (uint32_t id : dropped_buckets) {
    PutVarint32(out, kTagDropBucket);
    PutVarint32(out, id);
  }
  for (const DeletedFile& file : deleted_files) {
    AssertEncodable(CheckDeletedFile(file));
    PutVarint32(out, kTagDeletedFile);
    PutVarint32(out, file.bucket_id);
    PutVarint32(out, static_cast<uint32_t>(file.level));
    PutVarint64(out, file.number);
  }
  for (const NewFile& file : new_files) {
    AssertEncodable(CheckNewFile(file));
    const FileMetaData& meta = file.meta;
    PutVarint32(out, kTagNewFile);
    PutVarint32(out, file.bucket_id);
    PutVarint32(out, static_cast<uint32_t>(file.level));
    PutVarint64(out, meta.number);
    PutVarint64(out, meta.size_bytes);
    PutLengthPrefixed(out, meta.smallest);
    PutLengthPrefixed(out, meta.largest);
    PutVarint64(out, meta.smallest_seq);
    PutVarint64(out, meta.largest_seq);
    PutVarint64(out, meta.num_entries);
    PutVarint64(out, meta.num_range_tombstones);
  }
}

absl::StatusOr<VersionEdit> VersionEdit::DecodeFrom(std::string_view input,
                                                    std::string_view path_for_errors,
                                                    uint64_t offset) {
  Decoder decoder(input, path_for_errors, offset);
  KILN_ASSIGN_OR_RETURN(const uint32_t version, decoder.Varint32("format version"));
  if (version != kVersionEditFormatVersion) {
    return decoder.Error(absl::StrCat("unknown format version ", version));
  }
  VersionEdit edit;
  size_t entries = 0;
  while (!decoder.empty()) {
    KILN_ASSIGN_OR_RETURN(const uint32_t tag, decoder.Varint32("field tag"));
    switch (tag) {
      case kTagNextFileNumber: {
        KILN_ASSIGN_OR_RETURN(const uint64_t value, decoder.Varint64("next file number"));
        KILN_RETURN_IF_ERROR(SetOnce(decoder, edit.next_file_number, value, "next file number"));
        continue;
      }
      case kTagLastSequence: {
        KILN_ASSIGN_OR_RETURN(const uint64_t value, decoder.Varint64("last sequence"));
        if (value > kMaxSequenceNumber) {
          return decoder.Error(absl::StrCat("last sequence ", value, " out of range"));
        }
        KILN_RETURN_IF_ERROR(SetOnce(decoder, edit.last_sequence, value, "last sequence"));
        continue;
      }
      case kTagLogNumber: {
        KILN_ASSIGN_OR_RETURN(const uint64_t value, decoder.Varint64("log number"));
        KILN_RETURN_IF_ERROR(SetOnce(decoder, edit.log_number, value, "log number"));
        continue;
      }
      case kTagNextBucketId: {
        KILN_ASSIGN_OR_RETURN(const uint32_t value, decoder.Varint32("next bucket id"));
        KILN_RETURN_IF_ERROR(SetOnce(decoder, edit.next_bucket_id, value, "next bucket id"));
        continue;
      }
      default:
        break;
    }
    if (++entries > kMaxVersionEditEntries) {
      return decoder.Error(absl::StrCat("more than ", kMaxVersionEditEntries, " entries"));
    }
    switch (tag) {
      case kTagAddBucket: {
        KILN_ASSIGN_OR_RETURN(AddedBucket bucket, DecodeBucket(decoder));
        edit.added_buckets.push_back(std::move(bucket));
        break;
      }
      case kTagDropBucket: {
        KILN_ASSIGN_OR_RETURN(const uint32_t id, decoder.Varint32("dropped bucket id"));
        edit.dropped_buckets.push_back(id);
        break;
      }
      case kTagNewFile: {
        KILN_ASSIGN_OR_RETURN(NewFile file, DecodeNewFile(decoder));
        edit.new_files.push_back(std::move(file));
        break;
      }
      case kTagDeletedFile: {
        KILN_ASSIGN_OR_RETURN(const DeletedFile file, DecodeDeletedFile(decoder));
        edit.deleted_files.push_back(file);
        break;
      }
      default:
        return decoder.Error(absl::StrCat("unknown field tag ", tag));
    }
  }
  return edit;
}

std::string VersionEdit::DebugString() const {
  std::string out;
  if (next_file_number) absl::StrAppend(&out, "next_file_number ", *next_file_number, "\n");
  if (last_sequence) absl::StrAppend(&out, "last_sequence ", *last_sequence, "\n");
  if (log_number) absl::StrAppend(&out, "log_number ", *log_number, "\n");
  if (next_bucket_id) absl::StrAppend(&out, "next_bucket_id ", *next_bucket_id, "\n");
  for (const AddedBucket& bucket : added_buckets) {
    const BucketOptions& options = bucket.options;
    absl::StrAppend(&out, "add_bucket ", bucket.id, " '", bucket.name,
                    "' block_size=", options.block_size_bytes,
                    " restart_interval=", options.block_restart_interval,
                    " bloom_bits=", options.bloom_bits_per_key,
                    " prefix_length=", options.prefix_length,
                    " compression=", static_cast<int>(options.compression), "\n");
  }
  for (uint32_t id : dropped_buckets) absl::StrAppend(&out, "drop_bucket ", id, "\n");
  for (const DeletedFile& file : deleted_files) {
    absl::StrAppend(&out, "delete_file bucket=", file.bucket_id, " level=", file.level, " #",
                    file.number, "\n");
  }
  for (const NewFile& file : new_files) {
    const FileMetaData& meta = file.meta;
    absl::StrAppend(&out, "new_file bucket=", file.bucket_id, " level=", file.level, " #",
                    meta.number, " size=", meta.size_bytes, " [", DebugInternalKey(meta.smallest),
                    " .. ", DebugInternalKey(meta.largest), "] seq=", meta.smallest_seq, "..",
                    meta.largest_seq, " entries=", meta.num_entries,
                    " range_tombstones=", meta.num_range_tombstones, "\n");
  }
  return out;
}

bool operator==(const VersionEdit& a, const VersionEdit& b) {
  if (a.next_file_number != b.next_file_number || a.last_sequence != b.last_sequence ||
      a.log_number != b.log_number || a.next_bucket_id != b.next_bucket_id ||
      a.dropped_buckets != b.dropped_buckets || a.deleted_files != b.deleted_files ||
      a.added_buckets.size() != b.added_buckets.size() ||
      a.new_files.size() != b.new_files.size()) {
    return false;
  }
  for (size_t i = 0; i < a.added_buckets.size(); ++i) {
    const AddedBucket& x = a.added_buckets[i];
    const AddedBucket& y = b.added_buckets[i];
    if (x.id != y.id || x.name != y.name || !SameBucketOptions(x.options, y.options)) return false;
  }
  for (size_t i = 0; i < a.new_files.size(); ++i) {
    const NewFile& x = a.new_files[i];
    const NewFile& y = b.new_files[i];
    if (x.bucket_id != y.bucket_id || x.level != y.level || !(x.meta == y.meta)) return false;
  }
  return true;
}

}  // namespace kiln
