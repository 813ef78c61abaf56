#include "db/version_set.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "db/file_names.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace kiln {
namespace {

// Under buggify the manifest rolls after a few edits, so simulation covers
// roll-overs (and crashes during them) on every short run.
constexpr uint64_t kBuggifiedManifestRollBytes = 512;
// The largest file number a CURRENT may name: 19 digits always fit.
constexpr size_t kMaxManifestNumberDigits = 19;
static_assert(kManifestSnapshotRecordBytes + 2 * kMaxBoundaryKeyBytes + 256 <= kMaxWalRecordBytes,
              "a snapshot record, plus the entry that crosses the bound, fits one log record");

absl::string_view Sv(std::string_view view) { return absl::string_view(view.data(), view.size()); }

// "MANIFEST-000042": the name CURRENT holds (without the newline).
std::string ManifestBaseName(uint64_t number) {
  const std::string path = ManifestFileName("", number);
  return path.substr(1);  // drop the "/" after the empty directory
}

std::string TableBaseName(uint64_t number) { return TableFileName("", number).substr(1); }

template <typename T>
absl::Status CheckNotBackwards(const std::optional<T>& current, const std::optional<T>& next,
                               std::string_view what) {
  if (current && next && *next < *current) {
    return absl::FailedPreconditionError(
        absl::StrCat(Sv(what), " goes backwards from ", *current, " to ", *next));
  }
  return absl::OkStatus();
}

// The edits that rebuild state from nothing: counters and buckets first, then
// files, split so each encodes to about kManifestSnapshotRecordBytes. The
// next bucket id goes in the last edit, after every bucket is added (an
// added id must not be below the ids already promised).
std::vector<std::string> SnapshotRecords(const ManifestState& state) {
  KILN_ASSERT(state.complete());
  std::vector<VersionEdit> edits(1);
  edits.back().next_file_number = state.next_file_number;
  edits.back().last_sequence = state.last_sequence;
  edits.back().log_number = state.log_number;
  size_t approximate_bytes = 0;
  auto added = [&](size_t entry_bytes) {
    approximate_bytes += entry_bytes;
    if (approximate_bytes >= kManifestSnapshotRecordBytes) {
      edits.emplace_back();
      approximate_bytes = 0;
    }
  };
  constexpr size_t kEntryOverheadBytes = 64;  // tags, varints, options
  for (const auto& [id, bucket] : state.version->buckets()) {
    edits.back().AddBucket(id, bucket->name, bucket->options);
    added(bucket->name.size() + kEntryOverheadBytes);
  }
  for (const auto& [id, bucket] : state.version->buckets()) {
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& file : bucket->levels[level]) {
        edits.back().AddFile(id, level, *file);
        added(file->smallest.size() + file->largest.size() + kEntryOverheadBytes);
      }
    }
  }
  edits.back().next_bucket_id = state.next_bucket_id;
  std::vector<std::string> records(edits.size());
  for (size_t i = 0; i < edits.size(); ++i) edits[i].EncodeTo(records[i]);
  return records;
}

// Where the record the reader returns next starts.
uint64_t NextRecordOffset(const LogReader& reader) {
  return std::max<uint64_t>(reader.valid_end_offset(), kWalFileHeaderBytes);
}

}  // namespace

absl::StatusOr<uint64_t> ParseCurrentFile(std::string_view contents,
                                          std::string_view current_path) {
  // Exactly the name ManifestBaseName writes, then a newline.
  constexpr std::string_view kPrefix = "MANIFEST-";
  uint64_t manifest_number = 0;
  bool valid = contents.size() <= kMaxCurrentFileBytes &&
               contents.size() > kPrefix.size() + 1 && contents.starts_with(kPrefix) &&
               contents.back() == '\n' &&
               contents.size() - kPrefix.size() - 1 <= kMaxManifestNumberDigits;
  if (valid) {
    for (char c : contents.substr(kPrefix.size(), contents.size() - kPrefix.size() - 1)) {
      if (c < '0' || c > '9') {
        valid = false;
        break;
      }
      manifest_number = manifest_number * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  if (!valid || manifest_number == 0 || contents != ManifestBaseName(manifest_number) + "\n") {
    return Corruption(absl::StrCat(Sv(current_path), " at offset 0: '",
                                   absl::CHexEscape(Sv(contents)), "' does not name a manifest"));
  }
  return manifest_number;
}

absl::Status ManifestState::Apply(const VersionEdit& edit) {
  KILN_RETURN_IF_ERROR(
      CheckNotBackwards(next_file_number, edit.next_file_number, "next file number"));
  KILN_RETURN_IF_ERROR(CheckNotBackwards(last_sequence, edit.last_sequence, "last sequence"));
  KILN_RETURN_IF_ERROR(CheckNotBackwards(log_number, edit.log_number, "log number"));
  KILN_RETURN_IF_ERROR(CheckNotBackwards(std::optional<uint32_t>(next_bucket_id),
                                         edit.next_bucket_id, "next bucket id"));
  uint32_t new_next_bucket_id = std::max(next_bucket_id, edit.next_bucket_id.value_or(0));
  for (const AddedBucket& bucket : edit.added_buckets) {
    if (bucket.id < next_bucket_id || bucket.id == UINT32_MAX) {
      return absl::FailedPreconditionError(absl::StrCat(
          "edit adds bucket ", bucket.id, " but ids below ", next_bucket_id, " are taken"));
    }
    new_next_bucket_id = std::max(new_next_bucket_id, bucket.id + 1);
  }
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Version> new_version, Version::Apply(*version, edit));
  version = std::move(new_version);
  if (edit.next_file_number) next_file_number = edit.next_file_number;
  if (edit.last_sequence) last_sequence = edit.last_sequence;
  if (edit.log_number) log_number = edit.log_number;
  next_bucket_id = new_next_bucket_id;
  return absl::OkStatus();
}

VersionSet::VersionSet(const Env& env, std::string dbname, const Options& options,
                       VersionSetLimits limits)
    : env_(env),
      dbname_(std::move(dbname)),
      options_(options),
      manifest_roll_bytes_(KILN_BUGGIFY ? kBuggifiedManifestRollBytes
                                        : limits.manifest_roll_bytes) {
  KILN_ASSERT(env_.file_system != nullptr);
}

VersionSet::~VersionSet() {
  if (manifest_writer_ != nullptr) {
    // Every acknowledged edit was synced; nothing is lost by ignoring this.
    manifest_writer_->Close().IgnoreError();
  }
}

absl::Status VersionSet::Create() {
  KILN_ASSERT(!opened_);
  KILN_ASSIGN_OR_RETURN(const bool exists, env_.file_system->Exists(CurrentFileName(dbname_)));
  if (exists) {
    return absl::AlreadyExistsError(absl::StrCat(dbname_, ": a database exists (CURRENT)"));
  }
  constexpr uint64_t kFirstManifestNumber = 1;
  VersionEdit edit;
  edit.AddBucket(0, "default", options_.default_bucket);
  edit.next_file_number = kFirstManifestNumber + 1;
  edit.last_sequence = 0;
  edit.log_number = 0;
  edit.next_bucket_id = 1;
  ManifestState state;
  const absl::Status applied = state.Apply(edit);
  KILN_ASSERT_MSG(applied.ok(), std::string(applied.message()).c_str());
  KILN_ASSIGN_OR_RETURN(manifest_writer_, WriteNewManifest(kFirstManifestNumber, state));
  manifest_roll_threshold_bytes_ =
      std::max(manifest_roll_bytes_, 2 * manifest_writer_->size_bytes());
  manifest_number_ = kFirstManifestNumber;
  Install(std::move(state));
  opened_ = true;
  return absl::OkStatus();
}

absl::Status VersionSet::Recover() {
  KILN_ASSERT(!opened_);
  FileSystem& fs = *env_.file_system;
  const std::string current_path = CurrentFileName(dbname_);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> current_file,
                        fs.OpenFile(current_path, OpenMode::kRead));
  KILN_ASSIGN_OR_RETURN(const uint64_t current_size, current_file->Size());
  if (current_size > kMaxCurrentFileBytes) {
    return Corruption(absl::StrCat(current_path, " at offset 0: ", current_size,
                                   " bytes, more than a manifest name"));
  }
  std::string contents(current_size, '\0');
  KILN_ASSIGN_OR_RETURN(const size_t read_bytes, current_file->Read(0, contents));
  contents.resize(read_bytes);
  current_file->Close().IgnoreError();  // read-only: nothing to lose
  KILN_ASSIGN_OR_RETURN(const uint64_t manifest_number, ParseCurrentFile(contents, current_path));

  const std::string manifest_path = ManifestFileName(dbname_, manifest_number);
  const std::string manifest_name = ManifestBaseName(manifest_number);
  absl::StatusOr<std::unique_ptr<File>> manifest_file = fs.OpenFile(manifest_path, OpenMode::kRead);
  if (absl::IsNotFound(manifest_file.status())) {
    return Corruption(
        absl::StrCat(current_path, " at offset 0: names ", manifest_name, ", which is missing"));
  }
  KILN_RETURN_IF_ERROR(manifest_file.status());

  // Only the newest manifest is ever appended to, so only its tail can be torn.
  LogReader reader(**manifest_file, manifest_path, manifest_number,
                   LogReaderOptions{.tail_is_tolerated = true});
  ManifestState state;
  KILN_ASSIGN_OR_RETURN(const uint64_t manifest_size, (*manifest_file)->Size());
  // Each record takes at least a header, so this bounds the loop.
  const uint64_t max_records = manifest_size / kWalRecordHeaderBytes + 1;
  for (uint64_t records = 0;; ++records) {
    KILN_ASSERT(records <= max_records);
    const uint64_t offset = NextRecordOffset(reader);
    KILN_ASSIGN_OR_RETURN(std::optional<std::string> payload, reader.ReadRecord());
    if (!payload) break;
    KILN_ASSIGN_OR_RETURN(const VersionEdit edit,
                          VersionEdit::DecodeFrom(*payload, manifest_path, offset));
    const absl::Status applied = state.Apply(edit);
    if (!applied.ok()) {
      return Corruption(absl::StrCat(manifest_path, ": version edit in record at offset ", offset,
                                     " does not apply: ", applied.message()));
    }
  }
  KILN_PROBE(reader.saw_torn_tail(), "the manifest ends in a torn tail");
  (*manifest_file)->Close().IgnoreError();  // read-only: nothing to lose

  const uint64_t end_offset = reader.valid_end_offset();
  if (!state.complete()) {
    return Corruption(absl::StrCat(manifest_path, ": the manifest ends at offset ", end_offset,
                                   " without a next file number, last sequence and log number"));
  }
  if (state.version->FindBucket(0) == nullptr) {
    return Corruption(absl::StrCat(manifest_path, ": the manifest ends at offset ", end_offset,
                                   " without the default bucket 0"));
  }
  if (manifest_number >= *state.next_file_number || *state.log_number >= *state.next_file_number) {
    return Corruption(absl::StrCat(manifest_path, ": the manifest ends at offset ", end_offset,
                                   " with next file number ", *state.next_file_number,
                                   " not above its own number and log number ", *state.log_number));
  }
  KILN_RETURN_IF_ERROR(CheckTableFiles(*state.version, manifest_name));

  manifest_number_ = manifest_number;
  manifest_writer_ = nullptr;  // the next edit starts a new manifest
  Install(std::move(state));
  opened_ = true;
  return absl::OkStatus();
}

absl::Status VersionSet::CheckTableFiles(const Version& version, const std::string& manifest_name) {
  for (const auto& [id, bucket] : version.buckets()) {
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& file : bucket->levels[level]) {
        const std::string path = TableFileName(dbname_, file->number);
        absl::StatusOr<uint64_t> size = env_.file_system->FileSize(path);
        if (absl::IsNotFound(size.status())) {
          return Corruption(absl::StrCat("missing table file ", TableBaseName(file->number),
                                         " referenced by ", manifest_name, " (", path, ")"));
        }
        KILN_RETURN_IF_ERROR(size.status());
        if (*size != file->size_bytes) {
          return Corruption(absl::StrCat("table file ", path, " has ", *size, " bytes but ",
                                         manifest_name, " records ", file->size_bytes));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PreparedEdit> VersionSet::PrepareEdit(VersionEdit edit) {
  KILN_ASSERT(opened_);
  KILN_ASSERT_MSG(!edit_in_flight_, "edits must be serialised");
  if (!manifest_error_.ok()) return manifest_error_;
  if (edit.log_number &&
      (*edit.log_number < log_number() || *edit.log_number >= next_file_number_)) {
    return absl::FailedPreconditionError(absl::StrCat("edit sets log number ", *edit.log_number,
                                                      " outside [", log_number(), ", ",
                                                      next_file_number_, ")"));
  }
  PreparedEdit prepared;
  const bool roll = manifest_writer_ == nullptr ||
                    manifest_writer_->size_bytes() >= manifest_roll_threshold_bytes_;
  if (roll) prepared.new_manifest_number_ = NewFileNumber();
  if (!edit.log_number) edit.log_number = log_number();
  edit.next_file_number = std::max(edit.next_file_number.value_or(0), next_file_number_);
  edit.last_sequence = std::max(edit.last_sequence.value_or(0), last_sequence_);
  KILN_ASSERT(*edit.last_sequence <= kMaxSequenceNumber);
  prepared.state_ = state_;
  KILN_RETURN_IF_ERROR(prepared.state_.Apply(edit));
  prepared.edit_ = std::move(edit);
  prepared.base_ = current_;
  edit_in_flight_ = true;
  return prepared;
}

absl::Status VersionSet::WriteEdit(PreparedEdit& prepared) {
  KILN_ASSERT(edit_in_flight_);
  KILN_ASSERT(!prepared.written_);
  absl::Status status;
  if (prepared.new_manifest_number_) {
    absl::StatusOr<std::unique_ptr<LogWriter>> writer =
        WriteNewManifest(*prepared.new_manifest_number_, prepared.state_);
    status = writer.status();
    if (status.ok()) {
      std::unique_ptr<LogWriter> old_writer = std::move(manifest_writer_);
      manifest_writer_ = std::move(*writer);
      manifest_roll_threshold_bytes_ =
          std::max(manifest_roll_bytes_, 2 * manifest_writer_->size_bytes());
      // CURRENT durably names the new manifest, so the old one is garbage.
      // Best effort: the open-time sweep removes what this leaves behind.
      if (old_writer != nullptr) old_writer->Close().IgnoreError();
      env_.file_system->RemoveFile(ManifestFileName(dbname_, manifest_number_)).IgnoreError();
    }
  } else {
    KILN_ASSERT(manifest_writer_ != nullptr);
    std::string record;
    prepared.edit_.EncodeTo(record);
    status = manifest_writer_->AddRecord(record);
    if (status.ok()) status = manifest_writer_->Sync(WalSyncMode::kSyncData);
  }
  if (!status.ok()) {
    manifest_error_ = status;
    edit_in_flight_ = false;
    return status;
  }
  prepared.written_ = true;
  return absl::OkStatus();
}

void VersionSet::InstallEdit(PreparedEdit prepared) {
  KILN_ASSERT(edit_in_flight_);
  KILN_ASSERT(prepared.written_);
  KILN_ASSERT(prepared.base_ == current_);
  if (prepared.new_manifest_number_) manifest_number_ = *prepared.new_manifest_number_;
  Install(std::move(prepared.state_));
  edit_in_flight_ = false;
}

absl::Status VersionSet::LogAndApply(VersionEdit edit, Mutex* mutex) {
  if (mutex != nullptr) mutex->AssertHeld();
  KILN_ASSIGN_OR_RETURN(PreparedEdit prepared, PrepareEdit(std::move(edit)));
  if (mutex != nullptr) mutex->Unlock();
  const absl::Status status = WriteEdit(prepared);
  if (mutex != nullptr) mutex->Lock();
  KILN_RETURN_IF_ERROR(status);
  InstallEdit(std::move(prepared));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogWriter>> VersionSet::WriteNewManifest(
    uint64_t number, const ManifestState& state) {
  FileSystem& fs = *env_.file_system;
  const std::string path = ManifestFileName(dbname_, number);
  // kTruncate: a crash may have left a manifest of this number that CURRENT
  // never named (its number was not logged as used).
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.OpenFile(path, OpenMode::kTruncate));
  auto writer = std::make_unique<LogWriter>(std::move(file), number, 0);
  absl::Status status;
  for (const std::string& record : SnapshotRecords(state)) {
    status = writer->AddRecord(record);
    if (!status.ok()) break;
  }
  // The manifest's bytes and its name are durable before CURRENT may name it.
  if (status.ok()) status = writer->Sync(WalSyncMode::kSyncAll);
  if constexpr (KILN_PLANTED_BUG(manifest_dir_unsynced)) {
    // PLANTED BUG manifest_dir_unsynced: CURRENT may come to name the new
    // manifest while a crash can still drop the manifest's own name.
  } else {
    if (status.ok()) status = fs.SyncDir(dbname_);
  }
  if (status.ok()) status = SetCurrentFile(number);
  if (!status.ok()) {
    writer->Close().IgnoreError();
    return status;
  }
  KILN_PROBE(number > 1, "the manifest rolled over");
  return writer;
}

absl::Status VersionSet::SetCurrentFile(uint64_t manifest_number) {
  FileSystem& fs = *env_.file_system;
  const std::string temp_path = TempFileName(dbname_, manifest_number);
  absl::Status status;
  {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> temp, fs.OpenFile(temp_path, OpenMode::kTruncate));
    status = temp->Append(ManifestBaseName(manifest_number) + "\n");
    if (status.ok()) status = temp->Sync();
    const absl::Status closed = temp->Close();
    if (status.ok()) status = closed;
  }
  if (!status.ok()) {
    fs.RemoveFile(temp_path).IgnoreError();  // best effort; the open-time sweep removes *.tmp
    return status;
  }
  // Atomic: after a crash CURRENT names the old manifest or the new one.
  KILN_RETURN_IF_ERROR(fs.Rename(temp_path, CurrentFileName(dbname_)));
  return fs.SyncDir(dbname_);
}

void VersionSet::Install(ManifestState state) {
  std::erase_if(versions_, [](const std::weak_ptr<const Version>& v) { return v.expired(); });
  current_ = state.version;
  versions_.push_back(current_);
  state_ = std::move(state);
  next_file_number_ = std::max(next_file_number_, *state_.next_file_number);
  last_sequence_ = std::max(last_sequence_, *state_.last_sequence);
}

void VersionSet::MarkFileNumberUsed(uint64_t number) {
  KILN_ASSERT(number < UINT64_MAX);
  next_file_number_ = std::max(next_file_number_, number + 1);
}

void VersionSet::SetLastSequence(SequenceNumber sequence) {
  KILN_ASSERT(sequence >= last_sequence_);
  KILN_ASSERT(sequence <= kMaxSequenceNumber);
  last_sequence_ = sequence;
}

uint64_t VersionSet::log_number() const {
  KILN_ASSERT(state_.log_number.has_value());
  return *state_.log_number;
}

std::vector<uint64_t> VersionSet::LiveFileNumbers() {
  std::erase_if(versions_, [](const std::weak_ptr<const Version>& v) { return v.expired(); });
  std::vector<uint64_t> numbers;
  for (const std::weak_ptr<const Version>& weak : versions_) {
    const std::shared_ptr<const Version> version = weak.lock();
    if (version == nullptr) continue;
    const std::vector<uint64_t> files = version->FileNumbers();
    numbers.insert(numbers.end(), files.begin(), files.end());
  }
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  return numbers;
}

std::string VersionSet::DebugString() const {
  KILN_ASSERT(opened_);
  return absl::StrCat("manifest_next_file_number ", *state_.next_file_number, "\nlast_sequence ",
                      *state_.last_sequence, "\nlog_number ", *state_.log_number,
                      "\nnext_bucket_id ", state_.next_bucket_id, "\n", current_->DebugString());
}

}  // namespace kiln
