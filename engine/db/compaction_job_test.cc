#include "db/compaction_job.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/db_iterator.h"
#include "db/dbformat.h"
#include "db/file_names.h"
#include "db/merging_iterator.h"
#include "db/range_tombstones.h"
#include "db/vector_iterator.h"
#include "faultfs/fault_rule.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "table/table_reader.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

using Entries = std::map<std::string, std::string, InternalKeyLess>;

// Input sequences lie above every "below" (lower level) sequence, as versions
// in a lower level of one key are always older.
constexpr SequenceNumber kBelowSeqMax = 999;
constexpr SequenceNumber kInputSeqMin = 1000;
constexpr SequenceNumber kInputSeqMax = 1999;
constexpr int kNumUserKeys = 24;
constexpr size_t kTestBlockSizeBytes = 256;

std::string UserKey(int i) {
  std::string key = "k";
  key.push_back(static_cast<char>('a' + i / 10));
  key.push_back(static_cast<char>('0' + i % 10));
  return key;
}

// Every user key a history uses, plus keys between and around them.
std::vector<std::string> ProbeKeys() {
  std::vector<std::string> keys = {"", "a", "k", "z"};
  for (int i = 0; i <= kNumUserKeys; ++i) {
    keys.push_back(UserKey(i));
    keys.push_back(UserKey(i) + '\0');
    keys.push_back(UserKey(i) + "m");
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// A data set: point entries and range tombstones.
struct History {
  Entries entries;
  std::vector<RangeTombstone> tombstones;
};

// What a reader at snapshot sees, by brute force over one or more histories.
std::map<std::string, std::string> Visible(const std::vector<const History*>& histories,
                                           SequenceNumber snapshot) {
  std::map<std::string, std::pair<SequenceNumber, std::optional<std::string>>> newest;
  for (const History* history : histories) {
    for (const auto& [key, value] : history->entries) {
      const SequenceNumber sequence = ExtractSequence(key);
      if (sequence > snapshot) continue;
      const std::string user_key(ExtractUserKey(key));
      auto it = newest.find(user_key);
      if (it != newest.end() && it->second.first >= sequence) continue;
      std::optional<std::string> shown;
      if (ExtractValueType(key) != ValueType::kDeletion) shown = value;
      newest[user_key] = {sequence, shown};
    }
  }
  std::map<std::string, std::string> visible;
  for (const auto& [user_key, version] : newest) {
    if (!version.second.has_value()) continue;
    bool deleted = false;
    for (const History* history : histories) {
      for (const RangeTombstone& t : history->tombstones) {
        deleted |= t.begin <= user_key && user_key < t.end && t.sequence <= snapshot &&
                   t.sequence > version.first;
      }
    }
    if (!deleted) visible[user_key] = *version.second;
  }
  return visible;
}

SequenceNumber MaxCovering(const std::vector<RangeTombstone>& tombstones,
                           std::string_view user_key, SequenceNumber snapshot) {
  SequenceNumber max = 0;
  for (const RangeTombstone& t : tombstones) {
    if (t.begin <= user_key && user_key < t.end && t.sequence <= snapshot) {
      max = std::max(max, t.sequence);
    }
  }
  return max;
}

size_t StripeOf(const std::vector<SequenceNumber>& snapshots, SequenceNumber sequence) {
  return static_cast<size_t>(std::lower_bound(snapshots.begin(), snapshots.end(), sequence) -
                             snapshots.begin());
}

SequenceNumber TopOf(const std::vector<SequenceNumber>& snapshots, size_t stripe) {
  return stripe < snapshots.size() ? snapshots[stripe] : kMaxSequenceNumber;
}

// The point entries the header's Invariants 1 to 3 keep, decided version by
// version against every other version and tombstone.
Entries ExpectedKept(const History& input, const std::vector<SequenceNumber>& snapshots,
                     BottommostLevel bottommost) {
  Entries kept;
  for (const auto& [key, value] : input.entries) {
    const std::string_view user_key = ExtractUserKey(key);
    const SequenceNumber sequence = ExtractSequence(key);
    const size_t stripe = StripeOf(snapshots, sequence);
    bool shadowed = false;
    for (const auto& [other, unused] : input.entries) {
      shadowed |= ExtractUserKey(other) == user_key && ExtractSequence(other) > sequence &&
                  StripeOf(snapshots, ExtractSequence(other)) == stripe;
    }
    bool range_deleted = false;
    for (const RangeTombstone& t : input.tombstones) {
      range_deleted |= t.begin <= user_key && user_key < t.end && t.sequence > sequence &&
                       t.sequence <= TopOf(snapshots, stripe);
    }
    const bool bottom_deletion = ExtractValueType(key) == ValueType::kDeletion &&
                                 bottommost == BottommostLevel::kYes && stripe == 0;
    if (!shadowed && !range_deleted && !bottom_deletion) kept[key] = value;
  }
  return kept;
}

// A RangeTombstoneView over fragmented tombstones, for DbIterator.
class FragmentedView final : public RangeTombstoneView {
 public:
  explicit FragmentedView(const std::vector<RangeTombstone>& tombstones)
      : fragmented_(tombstones) {}
  SequenceNumber MaxCoveringSeq(std::string_view user_key, SequenceNumber snapshot) const override {
    return fragmented_.MaxCoveringSeq(user_key, snapshot);
  }
  std::optional<CoveredRun> CoveredRunAt(std::string_view user_key,
                                         SequenceNumber snapshot) const override {
    const std::optional<CoveringFragment> fragment = fragmented_.FragmentAt(user_key, snapshot);
    if (!fragment.has_value()) return std::nullopt;
    return CoveredRun{fragment->begin, fragment->end, fragment->sequence};
  }

 private:
  FragmentedRangeTombstones fragmented_;
};

struct HistoryOptions {
  SequenceNumber seq_min = kInputSeqMin;
  SequenceNumber seq_max = kInputSeqMax;
  int max_entries = 60;
  int max_tombstones = 5;
};

History RandomHistory(Random& random, const HistoryOptions& options,
                      std::set<SequenceNumber>& used_sequences) {
  const auto fresh_sequence = [&] {
    for (;;) {
      const SequenceNumber sequence =
          options.seq_min + random.Uniform(options.seq_max - options.seq_min + 1);
      if (used_sequences.insert(sequence).second) return sequence;
    }
  };
  History history;
  const int num_entries = static_cast<int>(random.Uniform(options.max_entries + 1));
  for (int i = 0; i < num_entries; ++i) {
    // Few keys, many versions each: stripes and shadowing matter.
    const std::string user_key = UserKey(static_cast<int>(random.Uniform(kNumUserKeys)));
    const uint64_t kind = random.Uniform(10);
    const ValueType type = kind < 6   ? ValueType::kValue
                           : kind < 9 ? ValueType::kDeletion
                                      : ValueType::kBlobIndex;
    const SequenceNumber sequence = fresh_sequence();
    std::string value;
    if (type != ValueType::kDeletion) {
      value = "v" + std::to_string(sequence) + std::string(random.Uniform(40), 'x');
    }
    history.entries[MakeInternalKey(user_key, sequence, type)] = value;
  }
  const int num_tombstones = static_cast<int>(random.Uniform(options.max_tombstones + 1));
  for (int i = 0; i < num_tombstones; ++i) {
    int a = static_cast<int>(random.Uniform(kNumUserKeys + 1));
    int b = static_cast<int>(random.Uniform(kNumUserKeys + 1));
    if (a > b) std::swap(a, b);
    if (a == b) ++b;
    std::string end = random.OneIn(4) ? UserKey(b - 1) + "m" : UserKey(b);
    history.tombstones.push_back({UserKey(a), std::move(end), fresh_sequence()});
  }
  return history;
}

std::vector<SequenceNumber> RandomSnapshots(Random& random) {
  std::vector<SequenceNumber> snapshots;
  const int count = static_cast<int>(random.Uniform(5));
  for (int i = 0; i < count; ++i) {
    // Mostly among the input's sequences; sometimes below or above them all.
    snapshots.push_back(random.OneIn(6) ? 1 + random.Uniform(kInputSeqMax + 100)
                                        : kInputSeqMin + random.Uniform(kInputSeqMax -
                                                                        kInputSeqMin + 1));
  }
  std::sort(snapshots.begin(), snapshots.end());
  return snapshots;
}

// The input's entries split among a few children, merged as a compaction's are.
std::unique_ptr<InternalIterator> MergedInput(Random& random, const Entries& entries) {
  const size_t num_children = 1 + random.Uniform(3);
  std::vector<std::vector<VectorIterator::Entry>> parts(num_children);
  for (const auto& [key, value] : entries) {
    parts[random.Uniform(num_children)].emplace_back(key, value);
  }
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (auto& part : parts) children.push_back(std::make_unique<VectorIterator>(std::move(part)));
  return NewMergingIterator(std::move(children));
}

// One output table opened for reading.
struct OpenedOutput {
  FileMetaData meta;
  std::unique_ptr<File> file;
  std::unique_ptr<TableReader> reader;
  History contents;
};

class CompactionJobTest : public testing::EnvTest {
 protected:
  CompactionJobInput MakeInput(std::unique_ptr<InternalIterator> input) {
    CompactionJobInput job;
    job.input = std::move(input);
    job.table_options.block_size_bytes = kTestBlockSizeBytes;
    job.table_options.block_restart_interval = 4;
    job.table_options.compression = CompressionType::kNone;
    job.new_file_number = [this]() -> absl::StatusOr<uint64_t> { return next_file_number_++; };
    job.env = &env();
    job.dbname = dir();
    return job;
  }

  CompactionJobInput MakeInput(const History& input) {
    std::vector<VectorIterator::Entry> entries(input.entries.begin(), input.entries.end());
    CompactionJobInput job = MakeInput(std::make_unique<VectorIterator>(std::move(entries)));
    job.range_tombstones = input.tombstones;
    return job;
  }

  // Opens every output and reads all of it back.
  std::vector<OpenedOutput> OpenOutputs(const std::vector<FileMetaData>& outputs) {
    std::vector<OpenedOutput> opened;
    for (const FileMetaData& meta : outputs) {
      OpenedOutput output;
      output.meta = meta;
      const std::string path = TableFileName(dir(), meta.number);
      auto file = env().file_system->OpenFile(path, OpenMode::kRead);
      EXPECT_TRUE(file.ok()) << file.status();
      if (!file.ok()) return {};
      output.file = *std::move(file);
      auto reader = TableReader::Open(
          {.file = output.file.get(), .path = path, .file_size = meta.size_bytes});
      EXPECT_TRUE(reader.ok()) << reader.status();
      if (!reader.ok()) return {};
      output.reader = *std::move(reader);
      auto iterator = output.reader->NewIterator();
      for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) {
        output.contents.entries[std::string(iterator->key())] = std::string(iterator->value());
      }
      EXPECT_TRUE(iterator->status().ok()) << iterator->status();
      for (const StoredRangeTombstone& t : output.reader->RangeTombstones()) {
        output.contents.tombstones.push_back({t.begin, t.end, t.sequence});
      }
      opened.push_back(std::move(output));
    }
    return opened;
  }

  std::vector<std::string> TableFilesInDir() {
    std::vector<std::string> tables;
    auto names = env().file_system->ListDir(dir());
    EXPECT_TRUE(names.ok()) << names.status();
    if (!names.ok()) return tables;
    for (const std::string& name : *names) {
      if (ClassifyFileName(name) == FileKind::kTable) tables.push_back(name);
    }
    return tables;
  }

  // Runs one random history through the job and checks every contract.
  void CheckRandomCompaction(Random& random, uint64_t target_file_size_bytes);

  uint64_t next_file_number_ = 7;
};

void CheckRandomCompaction_Structure(const std::vector<OpenedOutput>& outputs,
                                     const std::vector<std::string>& probes) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const FileMetaData& meta = outputs[i].meta;
    const History& contents = outputs[i].contents;
    SCOPED_TRACE("output " + std::to_string(meta.number));
    ASSERT_FALSE(contents.entries.empty() && contents.tombstones.empty());
    EXPECT_EQ(meta.num_entries, contents.entries.size());
    EXPECT_EQ(meta.num_range_tombstones, contents.tombstones.size());
    EXPECT_LE(CompareInternalKeys(meta.smallest, meta.largest), 0);
    // Invariant 5: the bounds cover every entry and every key a tombstone
    // deletes (here: every probe key in its range, down to sequence 0).
    SequenceNumber smallest_seq = kMaxSequenceNumber;
    SequenceNumber largest_seq = 0;
    for (const auto& [key, value] : contents.entries) {
      EXPECT_GE(CompareInternalKeys(key, meta.smallest), 0) << DebugInternalKey(key);
      EXPECT_LE(CompareInternalKeys(key, meta.largest), 0) << DebugInternalKey(key);
      smallest_seq = std::min(smallest_seq, ExtractSequence(key));
      largest_seq = std::max(largest_seq, ExtractSequence(key));
    }
    for (const RangeTombstone& t : contents.tombstones) {
      EXPECT_LE(CompareInternalKeys(meta.smallest,
                                    MakeInternalKey(t.begin, t.sequence, ValueType::kRangeDeletion)),
                0);
      for (const std::string& probe : probes) {
        if (probe < t.begin || probe >= t.end) continue;
        EXPECT_LE(CompareInternalKeys(MakeInternalKey(probe, 0, ValueType::kDeletion), meta.largest),
                  0)
            << probe;
      }
      smallest_seq = std::min(smallest_seq, t.sequence);
      largest_seq = std::max(largest_seq, t.sequence);
    }
    EXPECT_EQ(meta.smallest_seq, smallest_seq);
    EXPECT_EQ(meta.largest_seq, largest_seq);
    // Invariants 4 and 6: sorted and disjoint in user keys.
    if (i + 1 < outputs.size()) {
      EXPECT_LT(meta.largest_user_key(), outputs[i + 1].meta.smallest_user_key());
      EXPECT_LT(CompareInternalKeys(meta.largest, outputs[i + 1].meta.smallest), 0);
    }
  }
}

void CompactionJobTest::CheckRandomCompaction(Random& random, uint64_t requested_target_bytes) {
  std::set<SequenceNumber> used_sequences;
  const History input = RandomHistory(random, {}, used_sequences);
  const BottommostLevel bottommost =
      random.OneIn(2) ? BottommostLevel::kYes : BottommostLevel::kNo;
  // A lower level that stays as it is: only a non-bottommost job has one.
  History below;
  if (bottommost == BottommostLevel::kNo) {
    below = RandomHistory(random, {.seq_min = 1, .seq_max = kBelowSeqMax, .max_entries = 30},
                          used_sequences);
  }
  const std::vector<SequenceNumber> snapshots = RandomSnapshots(random);

  const size_t tables_before = TableFilesInDir().size();
  CompactionJobInput job = MakeInput(MergedInput(random, input.entries));
  job.range_tombstones = input.tombstones;
  job.live_snapshots = snapshots;
  job.bottommost = bottommost;
  job.target_file_size_bytes = requested_target_bytes;
  absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
  ASSERT_TRUE(result.ok()) << result.status();
  // Simulation may buggify the target down to a tiny one.
  const uint64_t target_file_size_bytes = result->stats.target_file_size_bytes;
  EXPECT_TRUE(target_file_size_bytes == requested_target_bytes ||
              (simulated() && target_file_size_bytes == kBuggifiedTargetFileSizeBytes));
  const std::vector<OpenedOutput> outputs = OpenOutputs(result->outputs);
  ASSERT_EQ(outputs.size(), result->outputs.size());
  EXPECT_EQ(TableFilesInDir().size(), tables_before + outputs.size());

  History output;  // all outputs together
  uint64_t bytes = 0;
  for (const OpenedOutput& o : outputs) {
    output.entries.insert(o.contents.entries.begin(), o.contents.entries.end());
    output.tombstones.insert(output.tombstones.end(), o.contents.tombstones.begin(),
                             o.contents.tombstones.end());
    auto size = env().file_system->FileSize(TableFileName(dir(), o.meta.number));
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, o.meta.size_bytes);
    bytes += o.meta.size_bytes;
  }
  const CompactionJobStats& stats = result->stats;
  EXPECT_EQ(stats.bytes_written, bytes);
  EXPECT_EQ(stats.entries_read, input.entries.size());
  EXPECT_EQ(stats.entries_written, output.entries.size());
  EXPECT_EQ(stats.entries_read, stats.entries_written + stats.versions_dropped_shadowed +
                                    stats.versions_dropped_range_deleted +
                                    stats.deletions_dropped_bottommost);

  // Invariants 1 to 3: exactly the right point versions survive.
  EXPECT_EQ(output.entries, ExpectedKept(input, snapshots, bottommost));

  const std::vector<std::string> probes = ProbeKeys();
  std::vector<SequenceNumber> readers = snapshots;
  readers.push_back(kMaxSequenceNumber);

  // Range tombstones answer as before for every reader, except that the
  // oldest stripe's are gone at the bottom.
  for (const std::string& probe : probes) {
    for (const SequenceNumber reader : readers) {
      const SequenceNumber before = MaxCovering(input.tombstones, probe, reader);
      const SequenceNumber expected =
          bottommost == BottommostLevel::kYes && StripeOf(snapshots, before) == 0 ? 0 : before;
      EXPECT_EQ(MaxCovering(output.tombstones, probe, reader), expected)
          << probe << " @" << reader;
    }
  }

  CheckRandomCompaction_Structure(outputs, probes);
  for (size_t i = 0; i + 1 < outputs.size(); ++i) {
    // Split sizes (Invariant 6): a non-last output was cut only once it was
    // about target_file_size_bytes (uncompressed blocks; prefix compression
    // makes blocks smaller than the raw bytes the job estimates with).
    EXPECT_GE(outputs[i].meta.size_bytes, target_file_size_bytes / 4);
  }
  for (const OpenedOutput& o : outputs) {
    // At most one block and one user key's versions past the target, plus
    // the metadata blocks.
    const uint64_t slack = 2 * kTestBlockSizeBytes + 2048 + 64 * o.contents.tombstones.size();
    uint64_t largest_key_group = 0;
    std::map<std::string, uint64_t> group_bytes;
    for (const auto& [key, value] : o.contents.entries) {
      uint64_t& group = group_bytes[std::string(ExtractUserKey(key))];
      group += key.size() + value.size() + 8;
      largest_key_group = std::max(largest_key_group, group);
    }
    EXPECT_LE(o.meta.size_bytes, target_file_size_bytes + largest_key_group + slack);
  }

  // Every reader sees the same data through the outputs as through the
  // inputs, both with the lower level beneath.
  for (const SequenceNumber reader : readers) {
    SCOPED_TRACE("reader @" + std::to_string(reader));
    const std::map<std::string, std::string> expected = Visible({&input, &below}, reader);
    EXPECT_EQ(Visible({&output, &below}, reader), expected);

    // A scan through DbIterator over the output tables and the lower level.
    std::vector<std::unique_ptr<InternalIterator>> children;
    for (const OpenedOutput& o : outputs) children.push_back(o.reader->NewIterator());
    children.push_back(std::make_unique<VectorIterator>(
        std::vector<VectorIterator::Entry>(below.entries.begin(), below.entries.end())));
    std::vector<RangeTombstone> all_tombstones = output.tombstones;
    all_tombstones.insert(all_tombstones.end(), below.tombstones.begin(), below.tombstones.end());
    DbIterator scan(NewMergingIterator(std::move(children)),
                    std::make_shared<FragmentedView>(all_tombstones), {.snapshot = reader});
    std::map<std::string, std::string> scanned;
    for (scan.SeekToFirst(); scan.Valid(); scan.Next()) {
      scanned[std::string(scan.key())] = std::string(scan.value());
    }
    ASSERT_TRUE(scan.status().ok()) << scan.status();
    EXPECT_EQ(scanned, expected);

    // A point read as a level does it (Invariant 4): only the one output
    // whose user-key range holds the key, then the lower level.
    for (const std::string& probe : probes) {
      std::optional<std::pair<SequenceNumber, std::optional<std::string>>> newest;
      SequenceNumber covering = MaxCovering(below.tombstones, probe, reader);
      int owners = 0;
      for (const OpenedOutput& o : outputs) {
        if (probe < o.meta.smallest_user_key() || probe > o.meta.largest_user_key()) continue;
        ++owners;
        covering = std::max(covering, MaxCovering(o.contents.tombstones, probe, reader));
        auto got = o.reader->Get(probe, reader);
        ASSERT_TRUE(got.ok()) << got.status();
        if (got->has_value()) {
          newest = {(*got)->sequence, std::nullopt};
          if ((*got)->type != ValueType::kDeletion) newest->second = (*got)->value;
        }
      }
      EXPECT_LE(owners, 1) << probe;
      for (const auto& [key, value] : below.entries) {
        if (ExtractUserKey(key) != probe || ExtractSequence(key) > reader) continue;
        if (newest.has_value() && newest->first > ExtractSequence(key)) continue;
        newest = {ExtractSequence(key), std::nullopt};
        if (ExtractValueType(key) != ValueType::kDeletion) newest->second = value;
      }
      std::optional<std::string> got;
      if (newest.has_value() && newest->first > covering) got = newest->second;
      const auto it = expected.find(probe);
      const std::optional<std::string> want =
          it == expected.end() ? std::nullopt : std::optional<std::string>(it->second);
      EXPECT_EQ(got, want) << probe;
    }
  }
  for (const OpenedOutput& o : outputs) {
    ASSERT_TRUE(env().file_system->RemoveFile(TableFileName(dir(), o.meta.number)).ok());
  }
}

TEST_P(CompactionJobTest, RandomHistoriesOneOutput) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 101));
    for (int round = 0; round < 40 && !HasFailure(); ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      CheckRandomCompaction(random, uint64_t{1} << 30);
    }
  });
}

TEST_P(CompactionJobTest, RandomHistoriesManySmallOutputs) {
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 202));
    for (int round = 0; round < 40 && !HasFailure(); ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      CheckRandomCompaction(random, 1 + random.Uniform(2 * kTestBlockSizeBytes));
    }
  });
}

// Invariant 1 by hand: per stripe, only the newest version survives.
TEST_P(CompactionJobTest, KeepsNewestVersionPerSnapshotStripe) {
  RunInEnv([&] {
    History input;
    for (const SequenceNumber sequence : {10, 9, 8, 5, 4}) {
      input.entries[MakeInternalKey("a", sequence, ValueType::kValue)] = std::to_string(sequence);
    }
    CompactionJobInput job = MakeInput(input);
    job.live_snapshots = {4, 8};  // stripes (0,4] (4,8] (8,max]
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    ASSERT_TRUE(result.ok()) << result.status();
    const std::vector<OpenedOutput> outputs = OpenOutputs(result->outputs);
    ASSERT_EQ(outputs.size(), 1u);
    const Entries expected = {{MakeInternalKey("a", 10, ValueType::kValue), "10"},
                              {MakeInternalKey("a", 8, ValueType::kValue), "8"},
                              {MakeInternalKey("a", 4, ValueType::kValue), "4"}};
    EXPECT_EQ(outputs[0].contents.entries, expected);
    EXPECT_EQ(result->stats.versions_dropped_shadowed, 2u);
  });
}

// Invariant 3 by hand: a deletion goes only at the bottom, in stripe 0.
TEST_P(CompactionJobTest, DropsDeletionOnlyAtBottomInOldestStripe) {
  RunInEnv([&] {
    History input;
    input.entries[MakeInternalKey("a", 10, ValueType::kDeletion)] = "";
    input.entries[MakeInternalKey("a", 5, ValueType::kValue)] = "old";
    struct Case {
      BottommostLevel bottommost;
      std::vector<SequenceNumber> snapshots;
      size_t outputs;
      size_t entries;
    };
    for (const Case& c : {Case{BottommostLevel::kYes, {}, 0, 0},
                          Case{BottommostLevel::kNo, {}, 1, 1},
                          Case{BottommostLevel::kYes, {7}, 1, 2},
                          Case{BottommostLevel::kYes, {12}, 0, 0}}) {
      CompactionJobInput job = MakeInput(input);
      job.bottommost = c.bottommost;
      job.live_snapshots = c.snapshots;
      absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
      ASSERT_TRUE(result.ok()) << result.status();
      const std::vector<OpenedOutput> outputs = OpenOutputs(result->outputs);
      ASSERT_EQ(outputs.size(), c.outputs);
      if (c.outputs > 0) {
        EXPECT_EQ(outputs[0].contents.entries.size(), c.entries);
      }
    }
    EXPECT_EQ(TableFilesInDir().size(), 2u);
  });
}

// Invariant 2 by hand: a tombstone drops only what is in its own stripe.
TEST_P(CompactionJobTest, RangeTombstoneDropsOnlyWithinItsStripe) {
  RunInEnv([&] {
    History input;
    input.entries[MakeInternalKey("b", 4, ValueType::kValue)] = "under-snapshot";
    input.entries[MakeInternalKey("c", 7, ValueType::kValue)] = "same-stripe";
    input.entries[MakeInternalKey("d", 12, ValueType::kValue)] = "newer";
    input.tombstones.push_back({"a", "z", 9});
    CompactionJobInput job = MakeInput(input);
    job.live_snapshots = {5};
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    ASSERT_TRUE(result.ok()) << result.status();
    // Simulation may buggify the target and split the outputs.
    History all;
    for (const OpenedOutput& output : OpenOutputs(result->outputs)) {
      all.entries.insert(output.contents.entries.begin(), output.contents.entries.end());
      all.tombstones.insert(all.tombstones.end(), output.contents.tombstones.begin(),
                            output.contents.tombstones.end());
    }
    const Entries expected = {{MakeInternalKey("b", 4, ValueType::kValue), "under-snapshot"},
                              {MakeInternalKey("d", 12, ValueType::kValue), "newer"}};
    EXPECT_EQ(all.entries, expected);
    for (const std::string& probe : ProbeKeys()) {
      const SequenceNumber expected_seq = probe >= "a" && probe < "z" ? 9 : 0;
      EXPECT_EQ(MaxCovering(all.tombstones, probe, kMaxSequenceNumber), expected_seq) << probe;
    }
    EXPECT_EQ(result->stats.versions_dropped_range_deleted, 1u);
  });
}

// Only tombstones kept: one output holds them, bounded by their range.
TEST_P(CompactionJobTest, TombstonesWithoutPointsMakeOneOutput) {
  RunInEnv([&] {
    History input;
    input.tombstones.push_back({"c", "f", 9});
    CompactionJobInput job = MakeInput(input);
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->outputs.size(), 1u);
    EXPECT_EQ(result->outputs[0].smallest, MakeInternalKey("c", 9, ValueType::kRangeDeletion));
    EXPECT_EQ(result->outputs[0].largest,
              MakeInternalKey("f", kMaxSequenceNumber, ValueType::kRangeDeletion));
    EXPECT_EQ(result->outputs[0].num_range_tombstones, 1u);
  });
}

// Invariant 4 by hand: a tombstone over a split lands in both outputs, cut at
// the key right after the first output's last user key.
TEST_P(CompactionJobTest, TombstoneSpanningSplitIsClippedAtBoundary) {
  RunInEnv([&] {
    History input;
    input.entries[MakeInternalKey("b", 5, ValueType::kValue)] = std::string(300, 'b');
    input.entries[MakeInternalKey("d", 5, ValueType::kValue)] = std::string(300, 'd');
    input.tombstones.push_back({"a", "z", 3});
    CompactionJobInput job = MakeInput(input);
    job.target_file_size_bytes = 1;
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    ASSERT_TRUE(result.ok()) << result.status();
    const std::vector<OpenedOutput> outputs = OpenOutputs(result->outputs);
    ASSERT_EQ(outputs.size(), 2u);
    const std::string boundary("b\0", 2);
    EXPECT_EQ(outputs[0].contents.tombstones, (std::vector<RangeTombstone>{{"a", boundary, 3}}));
    EXPECT_EQ(outputs[1].contents.tombstones, (std::vector<RangeTombstone>{{boundary, "z", 3}}));
    EXPECT_EQ(outputs[0].meta.smallest, MakeInternalKey("a", 3, ValueType::kRangeDeletion));
    EXPECT_EQ(outputs[0].meta.largest, MakeInternalKey("b", 0, ValueType::kDeletion));
    EXPECT_EQ(outputs[1].meta.smallest, MakeInternalKey(boundary, 3, ValueType::kRangeDeletion));
    EXPECT_EQ(outputs[1].meta.largest,
              MakeInternalKey("z", kMaxSequenceNumber, ValueType::kRangeDeletion));
  });
}

TEST_P(CompactionJobTest, MalformedInputKeyIsCorruption) {
  RunInEnv([&] {
    std::string bad = MakeInternalKey("b", 5, ValueType::kValue);
    bad[1] = 9;  // the type byte (little-endian trailer) is unknown
    std::vector<VectorIterator::Entry> entries = {
        {MakeInternalKey("a", 5, ValueType::kValue), "x"}, {bad, "y"}};
    CompactionJobInput job = MakeInput(std::make_unique<VectorIterator>(std::move(entries)));
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    EXPECT_TRUE(IsCorruption(result.status())) << result.status();
    EXPECT_TRUE(TableFilesInDir().empty());
  });
}

// An input error after several outputs were written removes all of them.
TEST_P(CompactionJobTest, InputErrorRemovesOutputs) {
  RunInEnv([&] {
    std::vector<VectorIterator::Entry> entries;
    for (int i = 0; i < kNumUserKeys; ++i) {
      entries.emplace_back(MakeInternalKey(UserKey(i), 5, ValueType::kValue), std::string(100, 'v'));
    }
    auto input = std::make_unique<VectorIterator>(std::move(entries));
    input->FailAt(kNumUserKeys - 2, IOError("read failed"));
    CompactionJobInput job = MakeInput(std::move(input));
    job.target_file_size_bytes = 1;
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    EXPECT_TRUE(IsIOError(result.status())) << result.status();
    EXPECT_GT(next_file_number_, 9u);  // several outputs had been opened
    EXPECT_TRUE(TableFilesInDir().empty());
  });
}

TEST_P(CompactionJobTest, FileNumberErrorIsReturned) {
  RunInEnv([&] {
    History input;
    input.entries[MakeInternalKey("a", 5, ValueType::kValue)] = "x";
    CompactionJobInput job = MakeInput(input);
    job.new_file_number = []() -> absl::StatusOr<uint64_t> {
      return absl::FailedPreconditionError("no numbers left");
    };
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(TableFilesInDir().empty());
  });
}

// kCreateNew: a file already at the output's name is an error, and is not
// the job's to remove.
TEST_P(CompactionJobTest, ExistingFileIsNotOverwrittenOrRemoved) {
  RunInEnv([&] {
    const std::string existing = TableFileName(dir(), next_file_number_);
    {
      auto file = env().file_system->OpenFile(existing, OpenMode::kCreateNew);
      ASSERT_TRUE(file.ok()) << file.status();
      ASSERT_TRUE((*file)->Append("precious").ok());
      ASSERT_TRUE((*file)->Close().ok());
    }
    History input;
    input.entries[MakeInternalKey("a", 5, ValueType::kValue)] = "x";
    absl::StatusOr<CompactionJobResult> result = RunCompactionJob(MakeInput(input));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists) << result.status();
    auto size = env().file_system->FileSize(existing);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, 8u);
  });
}

// Injected write and sync failures at every point leave no output behind.
TEST_P(CompactionJobTest, InjectedFaultLeavesNoOutputs) {
  if (!simulated()) GTEST_SKIP() << "faults are injected by the simulator";
  RunInEnv([&] {
    Random random(MixSeed(GetParam().seed, 303));
    int faulted_runs = 0;
    for (uint64_t nth = 1; nth <= 12 && !HasFailure(); ++nth) {
      SCOPED_TRACE("nth " + std::to_string(nth));
      std::set<SequenceNumber> used_sequences;
      const History input =
          RandomHistory(random, {.max_entries = 80, .max_tombstones = 3}, used_sequences);
      const faultfs::FaultKind kind =
          nth % 2 == 0 ? faultfs::FaultKind::kEio : faultfs::FaultKind::kShortWrite;
      faultfs::FaultRule rule{.name = "table-write",
                              // A table takes few appends (its write buffer): fault an early one.
                              .when = {.ops = {faultfs::FileOp::kAppend, faultfs::FileOp::kWrite},
                                       .file_kinds = {FileKind::kTable},
                                       .nth = 1 + nth % 2},
                              .kind = kind};
      if (nth % 3 == 0) {
        rule.when.ops = {faultfs::FileOp::kSyncData};
        rule.when.nth = 1 + nth / 6;
        rule.kind = faultfs::FaultKind::kSyncLosesData;
      }
      absl::StatusOr<faultfs::RuleId> id = simulator()->faults().AddRule(rule);
      ASSERT_TRUE(id.ok()) << id.status();
      const uint64_t faults_before = simulator()->faults().fault_count();
      CompactionJobInput job = MakeInput(input);
      job.target_file_size_bytes = 1 + random.Uniform(256);
      absl::StatusOr<CompactionJobResult> result = RunCompactionJob(std::move(job));
      simulator()->faults().RemoveRule(*id);
      if (simulator()->faults().fault_count() > faults_before) {
        ++faulted_runs;
        EXPECT_TRUE(IsIOError(result.status())) << result.status();
        EXPECT_TRUE(TableFilesInDir().empty());
      } else {
        // The job wrote fewer files than the rule waited for.
        ASSERT_TRUE(result.ok()) << result.status();
        for (const FileMetaData& meta : result->outputs) {
          ASSERT_TRUE(env().file_system->RemoveFile(TableFileName(dir(), meta.number)).ok());
        }
      }
    }
    EXPECT_GT(faulted_runs, 6);
  });
}

KILN_INSTANTIATE_ENV_TEST(CompactionJobTest);

}  // namespace
}  // namespace kiln
