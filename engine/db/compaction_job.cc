#include "db/compaction_job.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "db/file_names.h"
#include "kiln/options.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/sim_hooks.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The stripes the live snapshots cut sequences into (compaction_job.h).
class Stripes {
 public:
  explicit Stripes(std::span<const SequenceNumber> snapshots)
      : snapshots_(snapshots.begin(), snapshots.end()) {
    KILN_ASSERT(std::is_sorted(snapshots_.begin(), snapshots_.end()));
    snapshots_.erase(std::unique(snapshots_.begin(), snapshots_.end()), snapshots_.end());
  }

  // 0 for the oldest stripe; snapshots_.size() for "newer than every snapshot".
  size_t StripeOf(SequenceNumber sequence) const {
    if constexpr (KILN_PLANTED_BUG(compaction_snapshot_off_by_one)) {
      // PLANTED BUG compaction_snapshot_off_by_one: a version at exactly a
      // snapshot's sequence lands in the next newer stripe, where a newer
      // version shadows it, although that snapshot still reads it.
      return static_cast<size_t>(
          std::upper_bound(snapshots_.begin(), snapshots_.end(), sequence) - snapshots_.begin());
    }
    return static_cast<size_t>(
        std::lower_bound(snapshots_.begin(), snapshots_.end(), sequence) - snapshots_.begin());
  }

  // The newest reader that sees exactly the stripe's sequences and older.
  SequenceNumber TopOf(size_t stripe) const {
    KILN_DASSERT(stripe <= snapshots_.size());
    return stripe < snapshots_.size() ? snapshots_[stripe] : kMaxSequenceNumber;
  }

 private:
  std::vector<SequenceNumber> snapshots_;
};

// The least internal key of user key x + '\0' and above is past every version
// of x; so a tombstone ending at x + '\0' ends with x's last internal key.
std::string LargestCoveredBy(std::string_view end) {
  if (!end.empty() && end.back() == '\0') {
    return MakeInternalKey(end.substr(0, end.size() - 1), 0, ValueType::kDeletion);
  }
  return MakeInternalKey(end, kMaxSequenceNumber, ValueType::kRangeDeletion);
}

class CompactionJob {
 public:
  explicit CompactionJob(CompactionJobInput& input)
      : input_(input), tombstones_(input.range_tombstones), stripes_(input.live_snapshots) {
    KILN_ASSERT(input_.input != nullptr);
    KILN_ASSERT(input_.env != nullptr);
    KILN_ASSERT(input_.env->file_system != nullptr);
    KILN_ASSERT(input_.new_file_number != nullptr);
    KILN_ASSERT(input_.target_file_size_bytes > 0);
    target_file_size_bytes_ = input_.target_file_size_bytes;
    if (KILN_BUGGIFY) target_file_size_bytes_ = kBuggifiedTargetFileSizeBytes;
    result_.stats.target_file_size_bytes = target_file_size_bytes_;
    kept_tombstones_ = tombstones_.ForCompaction(input_.live_snapshots, input_.bottommost);
    result_.stats.range_tombstones_read = input_.range_tombstones.size();
    result_.stats.range_tombstones_kept = kept_tombstones_.size();
  }

  absl::StatusOr<CompactionJobResult> Run() {
    absl::Status status = RunUntilError();
    if (!status.ok()) {
      RemoveOutputs();
      return status;
    }
    return std::move(result_);
  }

 private:
  // One output table being written.
  struct Output {
    std::string path;
    std::unique_ptr<File> file;
    std::unique_ptr<TableBuilder> builder;
    FileMetaData meta;
    std::string lo;  // the slice's inclusive lower bound (Invariant 4)
    bool has_points = false;
    std::string last_user_key;
    // Raw bytes added since builder->file_size_bytes() last changed: the open
    // data block, which the builder's size does not count yet.
    uint64_t open_block_bytes = 0;
    uint64_t seen_file_size_bytes = 0;

    uint64_t EstimatedSizeBytes() const { return seen_file_size_bytes + open_block_bytes; }
  };

  absl::Status RunUntilError() {
    InternalIterator& input = *input_.input;
    input.SeekToFirst();
    std::string previous_key;
    std::string current_user_key;
    bool has_previous = false;
    bool has_current_user_key = false;
    size_t current_stripe = 0;  // of the newest version of current_user_key seen
    for (; input.Valid(); input.Next()) {
      if (result_.stats.entries_read + result_.stats.range_deletion_entries_ignored >=
          kMaxCompactionInputEntries) {
        return absl::FailedPreconditionError("compaction input exceeds kMaxCompactionInputEntries");
      }
      const std::string_view key = input.key();
      ParsedInternalKey parsed;
      if (!ParseInternalKey(key, parsed)) {
        return Corruption(absl::StrCat("compaction input: malformed internal key ",
                                       AbslView(DebugInternalKey(key))));
      }
      if (has_previous && CompareInternalKeys(previous_key, key) >= 0) {
        return Corruption(absl::StrCat("compaction input: key ", AbslView(DebugInternalKey(key)),
                                       " does not follow ",
                                       AbslView(DebugInternalKey(previous_key))));
      }
      previous_key.assign(key);
      has_previous = true;
      if (parsed.type == ValueType::kRangeDeletion) {
        // A memtable may list its tombstones among its points; they arrive
        // fragmented in range_tombstones instead.
        ++result_.stats.range_deletion_entries_ignored;
        continue;
      }
      ++result_.stats.entries_read;
      const bool first_of_user_key =
          !has_current_user_key || parsed.user_key != current_user_key;

      // Versions arrive newest first, so stripes arrive newest first too and
      // the first version seen in a stripe is its newest.
      const size_t stripe = stripes_.StripeOf(parsed.sequence);
      if (!first_of_user_key && stripe == current_stripe) {
        ++result_.stats.versions_dropped_shadowed;  // Invariant 1
        continue;
      }
      if (first_of_user_key) {
        current_user_key.assign(parsed.user_key);
        has_current_user_key = true;
      }
      current_stripe = stripe;
      if (tombstones_.MaxCoveringSeq(parsed.user_key, stripes_.TopOf(stripe)) >
          parsed.sequence) {
        ++result_.stats.versions_dropped_range_deleted;  // Invariant 2
        continue;
      }
      BottommostLevel bottommost = input_.bottommost;
      if constexpr (KILN_PLANTED_BUG(compaction_drops_tombstone_above_data)) {
        // PLANTED BUG compaction_drops_tombstone_above_data: a deletion no
        // snapshot needs is dropped above the bottommost level too, so an
        // older value in a deeper level comes back.
        bottommost = BottommostLevel::kYes;
      }
      if (parsed.type == ValueType::kDeletion && bottommost == BottommostLevel::kYes &&
          stripe == 0) {
        ++result_.stats.deletions_dropped_bottommost;  // Invariant 3
        continue;
      }
      KILN_RETURN_IF_ERROR(AddPoint(key, parsed, input.value()));
    }
    KILN_RETURN_IF_ERROR(input.status());

    if (output_ == nullptr && result_.outputs.empty() && !kept_tombstones_.empty()) {
      KILN_PROBE(true, "compaction output holds only range tombstones");
      KILN_RETURN_IF_ERROR(OpenOutput(""));
    }
    if (output_ != nullptr) KILN_RETURN_IF_ERROR(FinishOutput(std::nullopt));
    return absl::OkStatus();
  }

  absl::Status AddPoint(std::string_view key, const ParsedInternalKey& parsed,
                        std::string_view value) {
    if (output_ != nullptr && output_->has_points && parsed.user_key != output_->last_user_key &&
        output_->EstimatedSizeBytes() >= target_file_size_bytes_) {
      if (output_->last_user_key.size() < kMaxKeyBytes) {
        std::string boundary = output_->last_user_key;
        boundary.push_back('\0');
        KILN_RETURN_IF_ERROR(FinishOutput(boundary));
        KILN_RETURN_IF_ERROR(OpenOutput(std::move(boundary)));
      } else {
        KILN_PROBE(true, "compaction output not split after a maximum-length key");
      }
    }
    if (output_ == nullptr) KILN_RETURN_IF_ERROR(OpenOutput(""));

    Output& output = *output_;
    KILN_RETURN_IF_ERROR(output.builder->Add(key, value));
    ++result_.stats.entries_written;
    if (!output.has_points) output.meta.smallest.assign(key);
    output.meta.largest.assign(key);
    NoteSequence(output, parsed.sequence);
    output.has_points = true;
    if (parsed.user_key != output.last_user_key) output.last_user_key.assign(parsed.user_key);
    const uint64_t file_size_bytes = output.builder->file_size_bytes();
    if (file_size_bytes != output.seen_file_size_bytes) {
      output.seen_file_size_bytes = file_size_bytes;
      output.open_block_bytes = 0;
    }
    output.open_block_bytes += key.size() + value.size();
    return absl::OkStatus();
  }

  static void NoteSequence(Output& output, SequenceNumber sequence) {
    const bool first = !output.has_points && output.meta.num_range_tombstones == 0;
    if (first || sequence < output.meta.smallest_seq) output.meta.smallest_seq = sequence;
    if (first || sequence > output.meta.largest_seq) output.meta.largest_seq = sequence;
  }

  // REQUIRES: no output is open.
  absl::Status OpenOutput(std::string lo) {
    KILN_ASSERT(output_ == nullptr);
    KILN_ASSIGN_OR_RETURN(const uint64_t number, input_.new_file_number());
    KILN_ASSERT(number > 0);
    auto output = std::make_unique<Output>();
    output->path = TableFileName(input_.dbname, number);
    output->meta.number = number;
    output->lo = std::move(lo);
    KILN_ASSIGN_OR_RETURN(output->file,
                          input_.env->file_system->OpenFile(output->path, OpenMode::kCreateNew));
    // From here on the file is ours to remove on failure.
    output->builder =
        std::make_unique<TableBuilder>(input_.table_options, output->file.get(), output->path);
    output_ = std::move(output);
    return absl::OkStatus();
  }

  // Adds the kept tombstones clipped to [lo, hi) (hi nullopt: unbounded).
  absl::Status AddClippedTombstones(Output& output, const std::optional<std::string>& hi) {
    // kept_tombstones_ are sorted by begin and disjoint but for equal ranges,
    // so their ends never decrease: those ending at or before lo are done
    // with for every later output too.
    while (next_tombstone_ < kept_tombstones_.size() &&
           kept_tombstones_[next_tombstone_].end <= output.lo) {
      ++next_tombstone_;
    }
    for (size_t i = next_tombstone_; i < kept_tombstones_.size(); ++i) {
      const RangeTombstone& tombstone = kept_tombstones_[i];
      if (hi.has_value() && tombstone.begin >= *hi) break;
      const std::string_view begin = std::max<std::string_view>(tombstone.begin, output.lo);
      const std::string_view end =
          hi.has_value() ? std::min<std::string_view>(tombstone.end, *hi) : tombstone.end;
      if (begin >= end) continue;
      KILN_PROBE(begin != tombstone.begin || end != tombstone.end,
                 "range tombstone clipped at an output boundary");
      if (output.meta.num_range_tombstones >= kMaxRangeTombstonesPerTable) {
        return absl::FailedPreconditionError(
            absl::StrCat(AbslView(output.path), ": more range tombstones than one table holds"));
      }
      output.builder->AddRangeTombstone(begin, end, tombstone.sequence);
      NoteSequence(output, tombstone.sequence);
      ++output.meta.num_range_tombstones;
      std::string smallest = MakeInternalKey(begin, tombstone.sequence, ValueType::kRangeDeletion);
      std::string largest = LargestCoveredBy(end);
      const bool first_bound = !output.has_points && output.meta.num_range_tombstones == 1;
      if (first_bound || CompareInternalKeys(smallest, output.meta.smallest) < 0) {
        output.meta.smallest = std::move(smallest);
      }
      if (first_bound || CompareInternalKeys(largest, output.meta.largest) > 0) {
        output.meta.largest = std::move(largest);
      }
    }
    return absl::OkStatus();
  }

  // Finishes the open output, its slice ending at hi (nullopt: unbounded).
  absl::Status FinishOutput(const std::optional<std::string>& hi) {
    KILN_ASSERT(output_ != nullptr);
    Output& output = *output_;
    KILN_RETURN_IF_ERROR(AddClippedTombstones(output, hi));
    KILN_ASSERT(output.has_points || output.meta.num_range_tombstones > 0);
    KILN_ASSIGN_OR_RETURN(output.meta.size_bytes, output.builder->Finish());
    output.meta.num_entries = output.builder->num_entries();
    KILN_RETURN_IF_ERROR(output.file->SyncData());
    KILN_RETURN_IF_ERROR(output.file->Close());
    KILN_DASSERT(CompareInternalKeys(output.meta.smallest, output.meta.largest) <= 0);
    result_.stats.bytes_written += output.meta.size_bytes;
    result_.outputs.push_back(std::move(output.meta));
    output_.reset();
    return absl::OkStatus();
  }

  // Best effort: a file left behind is an orphan that recovery deletes.
  void RemoveOutputs() {
    FileSystem& file_system = *input_.env->file_system;
    if (output_ != nullptr) {
      output_->builder.reset();
      output_->file->Close().IgnoreError();
      output_->file.reset();
      file_system.RemoveFile(output_->path).IgnoreError();
      output_.reset();
    }
    for (const FileMetaData& meta : result_.outputs) {
      file_system.RemoveFile(TableFileName(input_.dbname, meta.number)).IgnoreError();
    }
    result_.outputs.clear();
  }

  CompactionJobInput& input_;
  const FragmentedRangeTombstones tombstones_;
  const Stripes stripes_;
  uint64_t target_file_size_bytes_ = 0;
  // What ForCompaction keeps, sorted by begin; next_tombstone_ is the first
  // that may still reach the open output.
  std::vector<RangeTombstone> kept_tombstones_;
  size_t next_tombstone_ = 0;
  std::unique_ptr<Output> output_;
  CompactionJobResult result_;
};

}  // namespace

absl::StatusOr<CompactionJobResult> RunCompactionJob(CompactionJobInput input) {
  CompactionJob job(input);
  return job.Run();
}

}  // namespace kiln
