// DbImpl's reads: point Gets and iterators over memtables and tables at a
// snapshot. Readers pin what they read (memtables and the Version, by
// shared_ptr), so flushes and compactions never pull data from under them.
#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"

#include "db/db_impl.h"
#include "db/db_iterator.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "db/range_tombstones.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/status_macros.h"

namespace kiln {

struct DbImpl::ReadView {
  SequenceNumber snapshot = 0;
  // Newest first: the active memtable, then retired ones (inline: a Get
  // allocates nothing to take its view).
  absl::InlinedVector<std::shared_ptr<MemTable>, kMaxImmutableGenerations + 2> mems;
  std::shared_ptr<const Version> version;
};

namespace {

TableReadOptions TableReadOptionsFor(const ReadOptions& options) {
  return TableReadOptions{.verify_checksums = options.verify_checksums,
                          .fill_cache = options.fill_cache};
}

class TombstoneView final : public RangeTombstoneView {
 public:
  explicit TombstoneView(std::vector<RangeTombstone> tombstones)
      : tombstones_(std::move(tombstones)), fragments_(tombstones_) {}
  SequenceNumber MaxCoveringSeq(std::string_view user_key,
                                SequenceNumber snapshot) const override {
    return fragments_.MaxCoveringSeq(user_key, snapshot);
  }
  std::optional<CoveredRun> CoveredRunAt(std::string_view user_key,
                                         SequenceNumber snapshot) const override {
    std::optional<CoveringFragment> fragment = fragments_.FragmentAt(user_key, snapshot);
    if (!fragment.has_value()) return std::nullopt;
    return CoveredRun{.begin = fragment->begin, .end = fragment->end,
                      .sequence = fragment->sequence};
  }

 private:
  std::vector<RangeTombstone> tombstones_;
  FragmentedRangeTombstones fragments_;
};

// Keeps a memtable alive under its iterator.
class PinnedMemIterator final : public InternalIterator {
 public:
  explicit PinnedMemIterator(std::shared_ptr<MemTable> mem)
      : mem_(std::move(mem)), inner_(mem_->NewIterator()) {}
  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override { inner_->SeekToFirst(); }
  void SeekToLast() override { inner_->SeekToLast(); }
  void Seek(std::string_view target) override { inner_->Seek(target); }
  void SeekForPrev(std::string_view target) override { inner_->SeekForPrev(target); }
  void Next() override { inner_->Next(); }
  void Prev() override { inner_->Prev(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  absl::Status status() const override { return inner_->status(); }

 private:
  std::shared_ptr<MemTable> mem_;
  std::unique_ptr<InternalIterator> inner_;
};

// The user's iterator: a DbIterator plus everything it reads, pinned.
// seek_charges: the bucket shape's counter when the iterator's seeks read
// L0 tables an L0 compaction would spare them (SeeksReadExtraTables), else
// null.
class UserIterator final : public Iterator {
 public:
  UserIterator(std::shared_ptr<const Version> version, std::unique_ptr<DbIterator> inner,
               DbImpl& db, std::atomic<uint64_t>& bytes_read, const SeekCharges* seek_charges)
      : version_(std::move(version)),
        inner_(std::move(inner)),
        db_(db),
        bytes_read_(bytes_read),
        seek_charges_(seek_charges) {}
  ~UserIterator() override { bytes_read_.fetch_add(bytes_, std::memory_order_relaxed); }
  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override { Count(), ChargeSeek(), inner_->SeekToFirst(); }
  void SeekToLast() override { Count(), ChargeSeek(), inner_->SeekToLast(); }
  void Seek(std::string_view target) override { Count(), ChargeSeek(), inner_->Seek(target); }
  void SeekForPrev(std::string_view target) override {
    Count(), ChargeSeek(), inner_->SeekForPrev(target);
  }
  void Next() override { Count(), inner_->Next(); }
  void Prev() override { Count(), inner_->Prev(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  absl::Status status() const override { return inner_->status(); }

 private:
  // Counts the entry being left, approximately: what a scan returned.
  void Count() {
    if (inner_->Valid()) bytes_ += inner_->key().size() + inner_->value().size();
  }
  void ChargeSeek() {
    if (seek_charges_ != nullptr) db_.NoteSeekCharges(seek_charges_->Charge());
  }
  std::shared_ptr<const Version> version_;  // pins the tables' files
  std::unique_ptr<DbIterator> inner_;
  DbImpl& db_;
  std::atomic<uint64_t>& bytes_read_;
  const SeekCharges* const seek_charges_;  // in *version_
  uint64_t bytes_ = 0;
};

class ErrorIterator final : public Iterator {
 public:
  explicit ErrorIterator(absl::Status status) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override { KILN_ASSERT_MSG(false, "Next on an invalid iterator"); }
  void Prev() override { KILN_ASSERT_MSG(false, "Prev on an invalid iterator"); }
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  absl::Status status() const override { return status_; }

 private:
  absl::Status status_;
};

}  // namespace

DbImpl::ReadView DbImpl::AcquireReadView(uint32_t bucket_id, const ReadOptions& options) {
  mutex_->AssertHeld();
  ReadView view;
  view.snapshot = options.snapshot != nullptr ? options.snapshot->sequence() : last_sequence_;
  KILN_ASSERT(view.snapshot <= last_sequence_);
  auto add = [&](const MemGeneration& gen) {
    auto it = gen.tables.find(bucket_id);
    if (it == gen.tables.end() || it->second->empty()) return;
    view.mems.push_back(it->second);
  };
  add(*mem_);
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) add(**it);
  view.version = versions_->current();
  return view;
}

absl::StatusOr<std::optional<std::string>> DbImpl::Get(std::string_view key,
                                                       const ReadOptions& options) {
  return GetFromBucket(0, key, options);
}

absl::StatusOr<std::optional<std::string>> DbImpl::GetFromBucket(uint32_t bucket_id,
                                                                 std::string_view key,
                                                                 const ReadOptions& options) {
  if (key.size() > kMaxKeyBytes) return absl::InvalidArgumentError("key exceeds kMaxKeyBytes");
  ReadView view;
  {
    MutexLock lock(*mutex_);
    KILN_RETURN_IF_ERROR(CheckOpen());
    if (buckets_.find(bucket_id) == buckets_.end()) {
      return absl::InvalidArgumentError("unknown bucket");
    }
    view = AcquireReadView(bucket_id, options);
  }
  for (const auto& mem : view.mems) {
    const MemTable::GetResult result = mem->Get(key, view.snapshot);
    // Every entry in older sources is older than everything here, so a
    // memtable's answer (its own tombstones applied) is final.
    if (result.kind == MemTable::GetResult::Kind::kFound) {
      bytes_read_.fetch_add(result.value.size(), std::memory_order_relaxed);
      return std::optional<std::string>(std::string(result.value));
    }
    if (result.kind == MemTable::GetResult::Kind::kDeleted) return std::optional<std::string>();
  }
  // Tables, newest first. A range tombstone in any table deletes the found
  // version iff its sequence is larger; tombstones are checked in every
  // table whose range holds the key, before and after the one that answers.
  SequenceNumber max_covering = 0;
  std::optional<TableGetResult> found;
  const TableReadOptions read = TableReadOptionsFor(options);
  auto search = [&](const FileMetaData& file) -> absl::Status {
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const OpenTable> table, table_cache_->Get(file));
    max_covering = std::max(max_covering, table->tombstones->MaxCoveringSeq(key, view.snapshot));
    if (found.has_value()) return absl::OkStatus();
    KILN_ASSIGN_OR_RETURN(found, table->reader->Get(key, view.snapshot, read));
    return absl::OkStatus();
  };
  // L0 tables overlap: every one whose range holds key, newest first.
  for (const auto& file : view.version->files(bucket_id, 0)) {
    if (file->RangeHolds(key)) KILN_RETURN_IF_ERROR(search(*file));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    const FileMetaData* file = view.version->FileHolding(bucket_id, level, key);
    if (file != nullptr) KILN_RETURN_IF_ERROR(search(*file));
  }
  if (!found.has_value() || found->sequence < max_covering) return std::optional<std::string>();
  if (found->type == ValueType::kDeletion) return std::optional<std::string>();
  if (found->type != ValueType::kValue) {
    return absl::UnimplementedError("blob values are not supported yet");
  }
  bytes_read_.fetch_add(found->value.size(), std::memory_order_relaxed);
  return std::optional<std::string>(std::move(found->value));
}

std::unique_ptr<Iterator> DbImpl::NewIterator(const ReadOptions& options) {
  return NewBucketIterator(0, options);
}

std::unique_ptr<Iterator> DbImpl::NewBucketIterator(uint32_t bucket_id,
                                                    const ReadOptions& options) {
  ReadView view;
  std::vector<SequenceNumber> mem_sequence_max;
  {
    MutexLock lock(*mutex_);
    if (absl::Status status = CheckOpen(); !status.ok()) {
      return std::make_unique<ErrorIterator>(status);
    }
    if (buckets_.find(bucket_id) == buckets_.end()) {
      return std::make_unique<ErrorIterator>(absl::InvalidArgumentError("unknown bucket"));
    }
    view = AcquireReadView(bucket_id, options);
    // Read under the mutex: writers insert under it too, so this bounds
    // every sequence visible at the snapshot.
    for (const auto& mem : view.mems) mem_sequence_max.push_back(mem->largest_sequence());
  }
  std::vector<MergingChild> children;
  std::vector<RangeTombstone> tombstones;
  for (size_t i = 0; i < view.mems.size(); ++i) {
    std::vector<RangeTombstone> mem_tombstones = view.mems[i]->RangeTombstones();
    tombstones.insert(tombstones.end(), std::make_move_iterator(mem_tombstones.begin()),
                      std::make_move_iterator(mem_tombstones.end()));
    children.push_back(MergingChild{.iterator = std::make_unique<PinnedMemIterator>(view.mems[i]),
                                    .sequence_max = mem_sequence_max[i]});
  }
  std::optional<std::string_view> lower;
  if (options.lower_bound.has_value()) lower = *options.lower_bound;
  std::optional<std::string_view> upper;
  if (options.upper_bound.has_value()) upper = *options.upper_bound;
  const TableReadOptions read = TableReadOptionsFor(options);
  // Every table's range tombstones apply, even one whose points are skipped:
  // the prefix filter holds point keys only (table_reader.h).
  auto add_tombstones = [&](const OpenTable& table) {
    tombstones.insert(tombstones.end(), table.range_tombstones.begin(),
                      table.range_tombstones.end());
  };
  size_t level0_children = 0;
  bool level1_child = false;
  // L0 tables overlap one another: one child each.
  for (const auto& file : view.version->OverlappingFiles(bucket_id, 0, lower, upper)) {
    absl::StatusOr<std::shared_ptr<const OpenTable>> table = table_cache_->Get(*file);
    if (!table.ok()) return std::make_unique<ErrorIterator>(table.status());
    if constexpr (KILN_PLANTED_BUG(prefix_skip_drops_tombstones)) {
      // PLANTED BUG prefix_skip_drops_tombstones: a table skipped by its
      // prefix filter loses its range tombstones too, though they may delete
      // keys with the prefix in older tables.
      if (options.prefix.has_value() && !(*table)->reader->PrefixMayMatch(*options.prefix)) {
        tables_skipped_by_prefix_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    add_tombstones(**table);
    if (options.prefix.has_value() && !(*table)->reader->PrefixMayMatch(*options.prefix)) {
      tables_skipped_by_prefix_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    absl::StatusOr<std::unique_ptr<InternalIterator>> it = table_cache_->NewIterator(*file, read);
    if (!it.ok()) return std::make_unique<ErrorIterator>(it.status());
    children.push_back(MergingChild{.iterator = *std::move(it), .sequence_max = file->largest_seq});
    ++level0_children;
  }
  // Each deeper level is one sorted run: one child that opens its tables as
  // it reaches them. Only tables with tombstones are opened up front.
  for (int level = 1; level < kNumLevels; ++level) {
    FileList files = view.version->OverlappingFiles(bucket_id, level, lower, upper);
    if (files.empty()) continue;
    for (const auto& file : files) {
      if (file->num_range_tombstones == 0) continue;
      if constexpr (KILN_PLANTED_BUG(iterator_skips_deep_tombstones)) {
        // PLANTED BUG iterator_skips_deep_tombstones: tables at L1 and deeper
        // are trusted to hold no deleted data, but their tombstones still
        // delete versions in deeper levels.
        continue;
      }
      absl::StatusOr<std::shared_ptr<const OpenTable>> table = table_cache_->Get(*file);
      if (!table.ok()) return std::make_unique<ErrorIterator>(table.status());
      add_tombstones(**table);
    }
    if (level == 1) level1_child = true;
    const SequenceNumber sequence_max = LevelSequenceMax(files);
    LevelIteratorOptions level_options;
    level_options.read = read;
    level_options.prefix = options.prefix;
    level_options.tables_skipped_by_prefix = &tables_skipped_by_prefix_;
    children.push_back(MergingChild{
        .iterator = NewLevelIterator(*table_cache_, std::move(files), std::move(level_options)),
        .sequence_max = sequence_max});
  }
  if (children.size() > kMaxMergingChildren) {
    return std::make_unique<ErrorIterator>(
        absl::ResourceExhaustedError("too many sources to iterate; compact first"));
  }
  DbIteratorOptions iterator_options;
  iterator_options.snapshot = view.snapshot;
  iterator_options.lower_bound = options.lower_bound;
  iterator_options.upper_bound = options.upper_bound;
  iterator_options.prefix = options.prefix;
  auto inner = std::make_unique<DbIterator>(
      NewMergingIterator(std::move(children)),
      std::make_shared<const TombstoneView>(std::move(tombstones)), std::move(iterator_options));
  // Charged as SeeksReadExtraTables says, for the tables this iterator's
  // bounds and prefix leave it.
  const SeekCharges* seek_charges = nullptr;
  if (options_.l0_seek_compaction_bytes > 0 && !options_.read_only &&
      (level0_children >= 2 || (level0_children == 1 && level1_child))) {
    seek_charges = &view.version->FindBucket(bucket_id)->l0_seek_charges;
  }
  return std::make_unique<UserIterator>(std::move(view.version), std::move(inner), *this,
                                        bytes_read_, seek_charges);
}

void DbImpl::NoteSeekCharges(uint64_t total) {
  // Powers of two only: a handful of wake-ups per shape, however long the
  // reads go on. The picker checks the exact cost.
  if (total < kFirstSeekChargeSignal || (total & (total - 1)) != 0) return;
  MutexLock lock(*mutex_);
  MaybeScheduleWork();
}

}  // namespace kiln
