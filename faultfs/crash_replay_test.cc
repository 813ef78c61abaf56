// Crash choices are deterministic and replayable: the same seed picks the
// same choice, a choice survives its text form, and ApplyCrash refuses a
// choice that does not fit, changing nothing.
#include <set>

#include "faultfs/crash_test_util.h"
#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

using testing::Render;
using testing::WriteAt;

std::unique_ptr<MemFileSystem> Workload() {
  auto fs = std::make_unique<MemFileSystem>();
  EXPECT_TRUE(fs->CreateDir("/db").ok());
  WriteAt(*fs, "/db/a", 0, "AAAAAAAA", /*sync=*/true);
  EXPECT_TRUE(fs->SyncDir("/").ok());
  EXPECT_TRUE(fs->SyncDir("/db").ok());
  for (int i = 0; i < 6; ++i) WriteAt(*fs, "/db/a", 8 + 3 * i, "bbb", /*sync=*/false);
  WriteAt(*fs, "/db/tmp", 0, "t", /*sync=*/false);
  EXPECT_TRUE(fs->Rename("/db/tmp", "/db/b").ok());
  EXPECT_TRUE(fs->CreateDir("/db/c").ok());
  return fs;
}

TEST(CrashReplayTest, SameSeedSameChoice) {
  auto fs = Workload();
  for (const NamedCrashPolicy& preset : CrashPolicyPresets()) {
    std::set<std::string> distinct;
    for (uint64_t seed = 0; seed < 50; ++seed) {
      Random first(seed);
      Random second(seed);
      const CrashChoice choice = fs->ChooseCrash(preset.policy, first);
      EXPECT_EQ(choice, fs->ChooseCrash(preset.policy, second)) << preset.name;
      // And the clone of a filesystem chooses the same too.
      Random third(seed);
      EXPECT_EQ(choice, fs->Clone()->ChooseCrash(preset.policy, third)) << preset.name;
      distinct.insert(choice.ToText());
    }
    EXPECT_EQ(distinct.size() > 1, preset.name != "strict") << preset.name;
  }
}

TEST(CrashReplayTest, ChosenCrashReplaysFromText) {
  auto fs = Workload();
  for (const NamedCrashPolicy& preset : CrashPolicyPresets()) {
    for (uint64_t seed = 0; seed < 30; ++seed) {
      std::unique_ptr<MemFileSystem> crashed = fs->Clone();
      Random random(seed);
      const CrashChoice choice = crashed->Crash(preset.policy, random);
      absl::StatusOr<CrashChoice> parsed = CrashChoice::FromText(choice.ToText());
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      ASSERT_EQ(*parsed, choice);
      std::unique_ptr<MemFileSystem> replayed = fs->Clone();
      ASSERT_TRUE(replayed->ApplyCrash(*parsed).ok());
      EXPECT_EQ(replayed->ContentHash(), crashed->ContentHash());
      EXPECT_EQ(Render(*replayed), Render(*crashed));
      EXPECT_EQ(replayed->DebugDump(), crashed->DebugDump());
    }
  }
}

TEST(CrashReplayTest, RepeatedCrashesKeepWorking) {
  auto fs = Workload();
  Random random(9);
  const CrashPolicy policy = *FindCrashPolicyPreset("torn_garbage");
  for (int round = 0; round < 5; ++round) {
    fs->Crash(policy, random);
    EXPECT_FALSE(fs->HasPendingState());
    EXPECT_EQ(fs->ContentHash(), fs->DurableContentHash());
    // Recovery writes again, then crashes again.
    WriteAt(*fs, "/r" + std::to_string(round), 0, "recovered", /*sync=*/true);
    ASSERT_TRUE(fs->SyncDir("/").ok());
  }
  EXPECT_EQ(fs->crash_generation(), 5u);
  EXPECT_EQ(fs->Stats().crashes, 5u);
  EXPECT_TRUE(*fs->Exists("/r3"));
}

TEST(CrashReplayTest, ApplyCrashRejectsChoicesThatDoNotFit) {
  auto fs = Workload();
  const PendingState pending = fs->DescribePending();
  ASSERT_EQ(pending.dir_ops.size(), 3u);  // create tmp, rename tmp -> b, mkdir c
  EXPECT_EQ(pending.dir_ops[1].description, "rename /db/tmp -> /db/b");
  EXPECT_EQ(pending.dir_ops[1].prerequisites, std::vector<uint64_t>{0});
  ASSERT_EQ(pending.inodes.size(), 2u);
  const uint64_t a_id = pending.inodes[0].inode_id;
  ASSERT_EQ(pending.inodes[0].ops.size(), 6u);
  const std::string before = fs->DebugDump();
  const uint64_t hash_before = fs->ContentHash();

  auto rejected = [&](const CrashChoice& choice) {
    const absl::Status status = fs->ApplyCrash(choice);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << choice.ToText() << ": " << status;
    EXPECT_EQ(fs->DebugDump(), before);
  };
  rejected(CrashChoice{.kept_dir_ops = {true, true}});          // wrong count
  rejected(CrashChoice{.kept_dir_ops = {false, true, false}});  // rename without create
  CrashChoice base{.kept_dir_ops = {true, true, true}};
  CrashChoice unknown = base;
  unknown.inodes.push_back(InodeCrashChoice{.inode_id = 999, .kept_ops = {0}});
  rejected(unknown);
  CrashChoice out_of_range = base;
  out_of_range.inodes.push_back(InodeCrashChoice{.inode_id = a_id, .kept_ops = {6}});
  rejected(out_of_range);
  CrashChoice torn_kept = base;
  torn_kept.inodes.push_back(InodeCrashChoice{
      .inode_id = a_id,
      .kept_ops = {0},
      .torn = TornWriteChoice{.op_index = 0,
                              .sector_size_bytes = 4,
                              .sectors = {SectorOutcome::kNew, SectorOutcome::kNew}}});
  rejected(torn_kept);
  CrashChoice wrong_sectors = base;
  wrong_sectors.inodes.push_back(InodeCrashChoice{
      .inode_id = a_id,
      .torn = TornWriteChoice{.op_index = 0,
                              .sector_size_bytes = 4,
                              .sectors = {SectorOutcome::kNew}}});  // [8,11) covers 1 sector
  EXPECT_TRUE(fs->CrashContentHash(wrong_sectors).ok());
  wrong_sectors.inodes[0].torn->sectors.push_back(SectorOutcome::kOld);
  rejected(wrong_sectors);
  EXPECT_FALSE(fs->CrashContentHash(wrong_sectors).ok());
  EXPECT_EQ(fs->ContentHash(), hash_before);
  EXPECT_EQ(fs->crash_generation(), 0u);
}

TEST(CrashReplayTest, KeepingEverythingEqualsTheCurrentView) {
  auto fs = Workload();
  CrashChoice everything;
  const PendingState pending = fs->DescribePending();
  everything.kept_dir_ops.assign(pending.dir_ops.size(), true);
  for (const PendingInode& inode : pending.inodes) {
    InodeCrashChoice choice{.inode_id = inode.inode_id};
    for (uint64_t i = 0; i < inode.ops.size(); ++i) choice.kept_ops.push_back(i);
    everything.inodes.push_back(choice);
  }
  EXPECT_EQ(*fs->CrashContentHash(everything), fs->ContentHash());
  CrashChoice nothing{.kept_dir_ops = std::vector<bool>(pending.dir_ops.size(), false)};
  EXPECT_EQ(*fs->CrashContentHash(nothing), fs->DurableContentHash());
}

}  // namespace
}  // namespace kiln::faultfs
