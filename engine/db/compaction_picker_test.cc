// Leveled compaction picking on hand-built Versions: scores and triggers,
// input selection (L0 growth, level + 1 overlaps), round robin, busy files,
// manual ranges, and the bottommost flag. Pure in-memory logic.
#include "db/compaction_picker.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/range_tombstones.h"
#include "db/version.h"
#include "gtest/gtest.h"
#include "kiln/options.h"

namespace kiln {
namespace {

constexpr int kLastLevel = kNumLevels - 1;

const Options kOptions{
    .l0_compaction_trigger = 4, .level1_target_bytes = 1000, .level_size_multiplier = 10};

FileMetaData Meta(uint64_t number, std::string_view smallest, std::string_view largest,
                  uint64_t size_bytes = 10, SequenceNumber largest_seq = 10) {
  return FileMetaData{.number = number,
                      .size_bytes = size_bytes,
                      .smallest = MakeInternalKey(smallest, largest_seq, ValueType::kValue),
                      .largest = MakeInternalKey(largest, 1, ValueType::kValue),
                      .smallest_seq = 1,
                      .largest_seq = largest_seq};
}

// Bucket 0 only; files added in any order, sorted by Version::Apply.
class VersionBuilder {
 public:
  VersionBuilder() {
    edit_.AddBucket(0, "default", BucketOptions{});
    edit_.next_file_number = 1000;
  }
  VersionBuilder& Add(int level, FileMetaData meta) {
    edit_.AddFile(0, level, std::move(meta));
    return *this;
  }
  std::shared_ptr<const Version> Build() const {
    absl::StatusOr<std::shared_ptr<const Version>> version = Version::Apply(Version(), edit_);
    EXPECT_TRUE(version.ok()) << version.status();
    return version.ok() ? *version : std::make_shared<const Version>();
  }

 private:
  VersionEdit edit_;
};

std::vector<uint64_t> Numbers(const FileList& files) {
  std::vector<uint64_t> numbers;
  for (const auto& file : files) numbers.push_back(file->number);
  return numbers;
}

TEST(CompactionPickerTest, TargetLevelBytesGrowsByTheMultiplier) {
  EXPECT_EQ(TargetLevelBytes(kOptions, 1), 1000u);
  EXPECT_EQ(TargetLevelBytes(kOptions, 2), 10000u);
  EXPECT_EQ(TargetLevelBytes(kOptions, 5), 10000000u);
  Options huge = kOptions;
  huge.level1_target_bytes = UINT64_MAX / 2;
  EXPECT_EQ(TargetLevelBytes(huge, kLastLevel), UINT64_MAX);  // saturates
}

TEST(CompactionPickerTest, ScoresFollowTheTriggers) {
  const CompactionPicker picker(kOptions);
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "a", "b", 10, 1))
                           .Add(0, Meta(2, "a", "b", 10, 2))
                           .Add(1, Meta(3, "a", "b", 1500))
                           .Add(2, Meta(4, "a", "b", 5000))
                           .Add(kLastLevel, Meta(5, "a", "b", uint64_t{1} << 60))
                           .Build();
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 0), 0.5);
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 1), 1.5);
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 2), 0.5);
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 3), 0);
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, kLastLevel), 0);
  EXPECT_TRUE(picker.NeedsCompaction(*version, 0));
}

TEST(CompactionPickerTest, NothingBelowTheTriggers) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  VersionBuilder builder;
  for (uint64_t i = 1; i <= 3; ++i) builder.Add(0, Meta(i, "a", "z", 10, i));
  builder.Add(1, Meta(10, "a", "z", 999));
  builder.Add(kLastLevel, Meta(11, "a", "z", uint64_t{1} << 50));
  const auto version = builder.Build();
  EXPECT_FALSE(picker.NeedsCompaction(*version, 0));
  EXPECT_FALSE(picker.PickCompaction(*version, 0, pointers).has_value());
}

void ChargeSeeks(const Version& version, uint64_t seeks) {
  for (uint64_t i = 0; i < seeks; ++i) version.FindBucket(0)->l0_seek_charges.Charge();
}

TEST(CompactionPickerTest, SeeksPayForAnL0CompactionBelowTheTrigger) {
  Options options = kOptions;
  options.l0_seek_compaction_bytes = 100;
  const CompactionPicker picker(options);
  CompactionPointers pointers;
  // Rewriting L0 [c, k] costs its 2 files (300 + 200) plus the L1 files they
  // overlap (400; [a, b] does not overlap): 900 bytes, 9 seeks at 100. (L1,
  // 900 bytes, is under its 1000-byte target.)
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "c", "e", 300, 1))
                           .Add(0, Meta(2, "d", "k", 200, 2))
                           .Add(1, Meta(3, "a", "b", 500))
                           .Add(1, Meta(4, "e1", "m", 400))
                           .Build();
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 0), 0.5);
  ChargeSeeks(*version, 8);
  EXPECT_FALSE(picker.SeeksWantLevel0Compacted(*version, 0));
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 0), 0.5);
  EXPECT_FALSE(picker.PickCompaction(*version, 0, pointers).has_value());
  ChargeSeeks(*version, 1);
  EXPECT_TRUE(picker.SeeksWantLevel0Compacted(*version, 0));
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0, 0), 1.0);
  EXPECT_TRUE(picker.NeedsCompaction(*version, 0));
  const std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 0);
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{4}));
  EXPECT_EQ(compaction->InputBytes(), 900u);

  // 0 turns it off, however many seeks.
  Options off = options;
  off.l0_seek_compaction_bytes = 0;
  ChargeSeeks(*version, 1000);
  EXPECT_FALSE(CompactionPicker(off).SeeksWantLevel0Compacted(*version, 0));
  EXPECT_DOUBLE_EQ(CompactionPicker(off).Score(*version, 0, 0), 0.5);
}

TEST(CompactionPickerTest, SeeksNeverMoveALoneL0TableOverAnEmptyL1) {
  Options options = kOptions;
  options.l0_seek_compaction_bytes = 100;
  const CompactionPicker picker(options);
  // Moving it down would leave seeks the same one table to read.
  const auto alone =
      VersionBuilder().Add(0, Meta(1, "a", "z", 300, 1)).Add(2, Meta(2, "a", "z", 5000)).Build();
  ChargeSeeks(*alone, 1000);
  EXPECT_FALSE(SeeksReadExtraTables(*alone->FindBucket(0)));
  EXPECT_FALSE(picker.SeeksWantLevel0Compacted(*alone, 0));
  // Over a non-empty L1 it costs a table per seek, even with no overlap.
  const auto over =
      VersionBuilder().Add(0, Meta(1, "a", "c", 300, 1)).Add(1, Meta(2, "x", "z", 500)).Build();
  EXPECT_TRUE(SeeksReadExtraTables(*over->FindBucket(0)));
  ChargeSeeks(*over, 2);
  EXPECT_FALSE(picker.SeeksWantLevel0Compacted(*over, 0));
  ChargeSeeks(*over, 1);
  EXPECT_TRUE(picker.SeeksWantLevel0Compacted(*over, 0));
  const std::optional<Compaction> move = [&] {
    CompactionPointers pointers;
    return picker.PickCompaction(*over, 0, pointers);
  }();
  ASSERT_TRUE(move.has_value());
  EXPECT_TRUE(move->IsTrivialMove());
}

TEST(CompactionPickerTest, SeekChargesStartOverWhenTheBucketChanges) {
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "a", "c", 300, 1))
                           .Add(0, Meta(2, "b", "d", 300, 2))
                           .Build();
  ChargeSeeks(*version, 5);
  EXPECT_EQ(version->FindBucket(0)->l0_seek_charges.value(), 5u);
  // An edit that leaves bucket 0 alone shares its shape, charges included.
  VersionEdit other_bucket;
  other_bucket.AddBucket(1, "other", BucketOptions{});
  absl::StatusOr<std::shared_ptr<const Version>> shared = Version::Apply(*version, other_bucket);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ((*shared)->FindBucket(0)->l0_seek_charges.value(), 5u);
  // One that changes it (a flush) starts from zero.
  VersionEdit flush;
  flush.AddFile(0, 0, Meta(3, "a", "b", 300, 3));
  absl::StatusOr<std::shared_ptr<const Version>> flushed = Version::Apply(*version, flush);
  ASSERT_TRUE(flushed.ok()) << flushed.status();
  EXPECT_EQ((*flushed)->FindBucket(0)->l0_seek_charges.value(), 0u);
  EXPECT_EQ(version->FindBucket(0)->l0_seek_charges.value(), 5u);
}

TEST(CompactionPickerTest, Level0TriggerTakesOverlappingLevel0AndLevel1Files) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  // Oldest L0 file [c, e]; [d, g] overlaps it, [g, h] overlaps that one
  // (grown transitively); [x, z] overlaps none of them.
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "c", "e", 10, 1))
                           .Add(0, Meta(2, "x", "z", 10, 2))
                           .Add(0, Meta(3, "d", "g", 10, 3))
                           .Add(0, Meta(4, "g", "h", 10, 4))
                           .Add(1, Meta(5, "a", "b"))
                           .Add(1, Meta(6, "b1", "c"))
                           .Add(1, Meta(7, "h", "k"))
                           .Add(1, Meta(8, "m", "w"))
                           .Add(2, Meta(9, "a", "z"))
                           .Build();
  const std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 0);
  EXPECT_EQ(compaction->output_level, 1);
  EXPECT_DOUBLE_EQ(compaction->score, 1.0);
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{4, 3, 1}));  // newest first
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{6, 7}));
  EXPECT_EQ(compaction->smallest_user_key, "b1");
  EXPECT_EQ(compaction->largest_user_key, "k");
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kNo);  // L2 holds [a, z]
  EXPECT_FALSE(compaction->IsTrivialMove());
  EXPECT_EQ(compaction->InputBytes(), 50u);

  VersionEdit edit;
  compaction->AddInputDeletions(edit);
  EXPECT_EQ(edit.deleted_files.size(), 5u);
  EXPECT_EQ(edit.deleted_files[0], (DeletedFile{.bucket_id = 0, .level = 0, .number = 4}));
  EXPECT_EQ(edit.deleted_files[4], (DeletedFile{.bucket_id = 0, .level = 1, .number = 7}));
  EXPECT_TRUE(Version::Apply(*version, edit).ok());
}

TEST(CompactionPickerTest, LevelSizePicksOneFilePlusItsOverlapsBelow) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  const auto version = VersionBuilder()
                           .Add(1, Meta(1, "a", "f", 600))
                           .Add(1, Meta(2, "g", "m", 600))
                           .Add(2, Meta(3, "a", "b"))
                           .Add(2, Meta(4, "e", "h"))
                           .Add(2, Meta(5, "i", "z"))
                           .Build();
  std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 1);
  EXPECT_EQ(compaction->output_level, 2);
  EXPECT_DOUBLE_EQ(compaction->score, 1.2);
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(compaction->smallest_user_key, "a");
  EXPECT_EQ(compaction->largest_user_key, "h");
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kYes);

  // Round robin: the next pick starts after the last one's key, then wraps.
  compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{2}));
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{4, 5}));
  compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{1}));
  EXPECT_EQ(pointers.Get(0, 1), version->files(0, 1)[0]->largest);
  EXPECT_TRUE(pointers.Get(0, 2).empty());
}

TEST(CompactionPickerTest, HighestScoreWins) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  VersionBuilder builder;
  for (uint64_t i = 1; i <= 5; ++i) builder.Add(0, Meta(i, "a", "b", 10, i));  // score 1.25
  builder.Add(1, Meta(10, "c", "d", 3000));                                    // score 3
  builder.Add(2, Meta(11, "c", "d", 25000));                                   // score 2.5
  const auto version = builder.Build();
  std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 1);
  EXPECT_DOUBLE_EQ(compaction->score, 3.0);
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{11}));

  // With level 1 busy, the next best level goes.
  compaction = picker.PickCompaction(*version, 0, pointers, {10});
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 2);
  EXPECT_TRUE(compaction->IsTrivialMove());
  compaction = picker.PickCompaction(*version, 0, pointers, {10, 11});
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->level, 0);
  EXPECT_EQ(compaction->inputs.size(), 5u);
  EXPECT_FALSE(picker.PickCompaction(*version, 0, pointers, {10, 11, 3}).has_value());
}

TEST(CompactionPickerTest, BusyFilesAreSkipped) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  const auto version = VersionBuilder()
                           .Add(1, Meta(1, "a", "c", 400))
                           .Add(1, Meta(2, "d", "f", 400))
                           .Add(1, Meta(3, "g", "i", 400))
                           .Add(2, Meta(4, "e", "e"))
                           .Build();
  // File 1 is busy; file 2 would merge with busy file 4; file 3 is free.
  const std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers, {1, 4});
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{3}));
  EXPECT_EQ(pointers.Get(0, 1), version->files(0, 1)[2]->largest);
  EXPECT_FALSE(picker.PickCompaction(*version, 0, pointers, {1, 3, 4}).has_value());
}

TEST(CompactionPickerTest, L0CandidatesOverlappingBusyFilesAreSkipped) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "a", "c", 10, 1))
                           .Add(0, Meta(2, "b", "d", 10, 2))
                           .Add(0, Meta(3, "x", "y", 10, 3))
                           .Add(0, Meta(4, "x", "z", 10, 4))
                           .Build();
  // 1 is being compacted, and 2 overlaps it: only {3, 4} may move.
  const std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers, {1});
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{4, 3}));
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kYes);
}

TEST(CompactionPickerTest, BottommostLooksAtEveryLevelBelowTheOutput) {
  const CompactionPicker picker(kOptions);
  CompactionPointers pointers;
  const auto version = VersionBuilder()
                           .Add(1, Meta(1, "a", "c", 2000))
                           .Add(2, Meta(2, "b", "b"))
                           .Add(5, Meta(3, "c", "c"))
                           .Add(5, Meta(4, "m", "n"))
                           .Build();
  std::optional<Compaction> compaction = picker.PickCompaction(*version, 0, pointers);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kNo);  // L5 holds 'c'

  compaction = picker.PickManualCompaction(*version, 0, 4, std::nullopt, std::nullopt);
  EXPECT_FALSE(compaction.has_value());  // L4 is empty
  compaction = picker.PickManualCompaction(*version, 0, 5, "m", std::nullopt);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->output_level, 6);
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kYes);
  EXPECT_TRUE(compaction->IsTrivialMove());
}

TEST(CompactionPickerTest, ManualCompactionTakesTheHalfOpenRange) {
  const CompactionPicker picker(kOptions);
  const auto version = VersionBuilder()
                           .Add(1, Meta(1, "a", "c"))
                           .Add(1, Meta(2, "d", "f"))
                           .Add(1, Meta(3, "g", "i"))
                           .Add(1, Meta(4, "j", "l"))
                           .Add(2, Meta(5, "e", "h"))
                           .Build();
  // [c, g): file 1 ends at c (in), file 3 starts at g (out).
  std::optional<Compaction> compaction = picker.PickManualCompaction(*version, 0, 1, "c", "g");
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Numbers(compaction->output_level_inputs), (std::vector<uint64_t>{5}));
  EXPECT_DOUBLE_EQ(compaction->score, 0);
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kYes);

  compaction = picker.PickManualCompaction(*version, 0, 1, std::nullopt, std::nullopt);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{1, 2, 3, 4}));
  compaction = picker.PickManualCompaction(*version, 0, 1, "k", std::nullopt);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{4}));
  EXPECT_FALSE(picker.PickManualCompaction(*version, 0, 1, "m", std::nullopt).has_value());
  EXPECT_FALSE(picker.PickManualCompaction(*version, 0, 1, "g", "g").has_value());
  EXPECT_FALSE(picker.PickManualCompaction(*version, 0, 1, std::nullopt, "a").has_value());
}

TEST(CompactionPickerTest, ManualCompactionOfLevel0GrowsAndOfTheLastLevelStays) {
  const CompactionPicker picker(kOptions);
  const auto version = VersionBuilder()
                           .Add(0, Meta(1, "a", "c", 10, 1))
                           .Add(0, Meta(2, "c", "f", 10, 2))
                           .Add(0, Meta(3, "p", "q", 10, 3))
                           .Add(kLastLevel, Meta(4, "a", "z"))
                           .Build();
  std::optional<Compaction> compaction = picker.PickManualCompaction(*version, 0, 0, "a", "b");
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(compaction->output_level, 1);
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kNo);

  compaction = picker.PickManualCompaction(*version, 0, kLastLevel, std::nullopt, std::nullopt);
  ASSERT_TRUE(compaction.has_value());
  EXPECT_EQ(compaction->output_level, kLastLevel);
  EXPECT_EQ(Numbers(compaction->inputs), (std::vector<uint64_t>{4}));
  EXPECT_TRUE(compaction->output_level_inputs.empty());
  EXPECT_EQ(compaction->bottommost, BottommostLevel::kYes);
  EXPECT_FALSE(compaction->IsTrivialMove());
}

}  // namespace
}  // namespace kiln
