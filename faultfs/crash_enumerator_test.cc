// EnumerateCrashStates: distinct states counted exactly on small cases, the
// bounds honoured and reported, every choice reproducing the state it claims,
// and every ChooseCrash result inside the enumerated set.
#include "faultfs/crash_enumerator.h"

#include <set>

#include "faultfs/crash_test_util.h"
#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

using testing::EnumeratedStates;
using testing::WriteAt;
using States = std::set<std::string>;

TEST(CrashEnumeratorTest, NothingPendingHasOneState) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "x", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  const CrashEnumeration result = EnumerateCrashStates(fs, EnumerateOptions{});
  EXPECT_EQ(result.distinct_states, 1u);
  ASSERT_EQ(result.states.size(), 1u);
  EXPECT_EQ(result.states[0], CrashChoice{});
  EXPECT_EQ(result.state_hashes[0], fs.ContentHash());
  EXPECT_TRUE(result.complete);
}

TEST(CrashEnumeratorTest, DuplicateStatesAreRemoved) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AA", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/f", 0, "BB", /*sync=*/false);
  WriteAt(fs, "/f", 0, "CC", /*sync=*/false);  // hides BB whenever both are kept
  const CrashEnumeration result = EnumerateCrashStates(fs, EnumerateOptions{});
  EXPECT_EQ(result.distinct_states, 3u);  // AA, BB, CC
  EXPECT_EQ(result.duplicates_removed, 1u);
  EXPECT_EQ(result.skipped_by_bound, 0u);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(EnumeratedStates(fs, EnumerateOptions{}), (States{"/f=AA", "/f=BB", "/f=CC"}));
}

TEST(CrashEnumeratorTest, IndependentFilesMultiply) {
  MemFileSystem fs;
  for (std::string_view path : {"/a", "/b"}) {
    WriteAt(fs, path, 0, "0", /*sync=*/true);
    WriteAt(fs, path, 1, "1", /*sync=*/false);
    WriteAt(fs, path, 2, "2", /*sync=*/false);
  }
  ASSERT_TRUE(fs.SyncDir("/").ok());
  const CrashEnumeration result = EnumerateCrashStates(fs, EnumerateOptions{});
  EXPECT_EQ(result.distinct_states, 16u);  // 4 subsets x 4 subsets, all distinct
  EXPECT_EQ(result.duplicates_removed, 0u);
  EXPECT_TRUE(result.complete);
}

TEST(CrashEnumeratorTest, OnlySurvivingFilesMultiply) {
  MemFileSystem fs;
  // Name not durable, two pending writes: absent, or present with a subset.
  WriteAt(fs, "/f", 0, "A", /*sync=*/false);
  WriteAt(fs, "/f", 1, "B", /*sync=*/false);
  const CrashEnumeration result = EnumerateCrashStates(fs, EnumerateOptions{});
  EXPECT_EQ(result.distinct_states, 5u);
  // The file's 4 variants are tried only where it keeps its name.
  EXPECT_EQ(result.duplicates_removed, 0u);
  EXPECT_EQ(EnumeratedStates(fs, EnumerateOptions{}),
            (States{"", "/f=", "/f=A", "/f=_B", "/f=AB"}));
}

TEST(CrashEnumeratorTest, MaxStatesBoundIsHonouredAndReported) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "0", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  for (int i = 1; i <= 4; ++i) WriteAt(fs, "/f", i, "x", /*sync=*/false);  // 16 states
  const CrashEnumeration all = EnumerateCrashStates(fs, EnumerateOptions{});
  EXPECT_EQ(all.distinct_states, 16u);
  EXPECT_TRUE(all.complete);
  const CrashEnumeration bounded = EnumerateCrashStates(fs, EnumerateOptions{.max_states = 5});
  EXPECT_EQ(bounded.distinct_states, 5u);
  EXPECT_EQ(bounded.states.size(), 5u);
  EXPECT_EQ(bounded.skipped_by_bound, 11u);
  EXPECT_FALSE(bounded.complete);
  const CrashEnumeration few = EnumerateCrashStates(fs, EnumerateOptions{.max_candidates = 3});
  EXPECT_EQ(few.distinct_states, 3u);
  EXPECT_EQ(few.skipped_by_bound, 13u);
  EXPECT_FALSE(few.complete);
}

TEST(CrashEnumeratorTest, LongPendingListsFallBackToPrefixes) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  for (int i = 0; i < 5; ++i) WriteAt(fs, "/f", i, std::string(1, 'a' + i), /*sync=*/false);
  const CrashEnumeration result = EnumerateCrashStates(fs, EnumerateOptions{.max_subset_ops = 3});
  EXPECT_EQ(result.inodes_prefix_only, 1u);
  EXPECT_EQ(result.distinct_states, 6u);
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(EnumeratedStates(fs, EnumerateOptions{.max_subset_ops = 3}),
            (States{"/f=", "/f=a", "/f=ab", "/f=abc", "/f=abcd", "/f=abcde"}));
  // Directory operations too.
  MemFileSystem dirs;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(dirs.CreateDir("/d" + std::to_string(i)).ok());
  const CrashEnumeration dir_result =
      EnumerateCrashStates(dirs, EnumerateOptions{.max_subset_ops = 3});
  EXPECT_TRUE(dir_result.dir_ops_prefix_only);
  EXPECT_EQ(dir_result.distinct_states, 5u);
  EXPECT_FALSE(dir_result.complete);
  EXPECT_EQ(EnumerateCrashStates(dirs, EnumerateOptions{}).distinct_states, 16u);
}

TEST(CrashEnumeratorTest, TornVariantsAtSectorGranularity) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AAAAAAAAAAAA", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/f", 2, "BBBBBBBB", /*sync=*/false);  // 3 sectors of 4 bytes
  const EnumerateOptions options = {.include_torn = true, .sector_size_bytes = 4};
  const CrashEnumeration result = EnumerateCrashStates(fs, options);
  // 3^3 zero-fill patterns, plus the 3^3 - 2^3 garbage patterns with a fill.
  EXPECT_EQ(result.distinct_states, 27u + 19u);
  EXPECT_TRUE(result.complete);
  const CrashEnumeration narrow = EnumerateCrashStates(
      fs, EnumerateOptions{.include_torn = true, .max_torn_sectors = 2, .sector_size_bytes = 4});
  EXPECT_EQ(narrow.torn_writes_too_wide, 1u);
  EXPECT_EQ(narrow.distinct_states, 2u);
  EXPECT_FALSE(narrow.complete);
}

// A workload with a bit of everything, for the consistency checks below.
std::unique_ptr<MemFileSystem> MixedWorkload() {
  auto fs = std::make_unique<MemFileSystem>();
  EXPECT_TRUE(fs->CreateDir("/db").ok());
  EXPECT_TRUE(fs->SyncDir("/").ok());
  WriteAt(*fs, "/db/CURRENT", 0, "m1", /*sync=*/true);
  WriteAt(*fs, "/db/000001.log", 0, "rec1", /*sync=*/true);
  EXPECT_TRUE(fs->SyncDir("/db").ok());
  WriteAt(*fs, "/db/000001.log", 4, "rec2", /*sync=*/false);
  WriteAt(*fs, "/db/000001.log", 8, "rec3", /*sync=*/false);
  WriteAt(*fs, "/db/tmp", 0, "m2", /*sync=*/true);
  EXPECT_TRUE(fs->Rename("/db/tmp", "/db/CURRENT").ok());
  EXPECT_TRUE(fs->CreateDir("/db/sub").ok());
  WriteAt(*fs, "/db/sub/x", 0, "xy", /*sync=*/false);
  return fs;
}

TEST(CrashEnumeratorTest, EveryChoiceReproducesItsClaimedState) {
  auto fs = MixedWorkload();
  const EnumerateOptions options = {.include_torn = true, .sector_size_bytes = 2};
  const CrashEnumeration result = EnumerateCrashStates(*fs, options);
  EXPECT_TRUE(result.complete);
  EXPECT_GT(result.distinct_states, 20u);
  std::set<uint64_t> hashes;
  for (size_t i = 0; i < result.states.size(); ++i) {
    const CrashChoice& choice = result.states[i];
    std::unique_ptr<MemFileSystem> copy = fs->Clone();
    ASSERT_TRUE(copy->ApplyCrash(choice).ok()) << choice.ToText();
    EXPECT_EQ(copy->ContentHash(), result.state_hashes[i]) << choice.ToText();
    EXPECT_EQ(copy->DurableContentHash(), result.state_hashes[i]);
    EXPECT_FALSE(copy->HasPendingState());
    hashes.insert(copy->ContentHash());
    // And through its text form.
    absl::StatusOr<CrashChoice> parsed = CrashChoice::FromText(choice.ToText());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*fs->CrashContentHash(*parsed), result.state_hashes[i]);
  }
  EXPECT_EQ(hashes.size(), result.states.size());
  // The source filesystem is untouched.
  EXPECT_TRUE(fs->HasPendingState());
  EXPECT_EQ(fs->crash_generation(), 0u);
}

TEST(CrashEnumeratorTest, ChooseCrashAlwaysLiesInsideTheEnumeratedSet) {
  auto fs = MixedWorkload();
  constexpr uint32_t kSector = 2;
  constexpr uint64_t kGarbageSeed = 77;
  const CrashEnumeration result = EnumerateCrashStates(
      *fs, EnumerateOptions{
               .include_torn = true, .sector_size_bytes = kSector, .garbage_seed = kGarbageSeed});
  ASSERT_TRUE(result.complete);
  const std::set<uint64_t> enumerated(result.state_hashes.begin(), result.state_hashes.end());
  for (const NamedCrashPolicy& preset : CrashPolicyPresets()) {
    CrashPolicy policy = preset.policy;
    policy.sector_size_bytes = kSector;
    std::set<uint64_t> reached;
    for (uint64_t seed = 0; seed < 500; ++seed) {
      Random random(seed);
      CrashChoice choice = fs->ChooseCrash(policy, random);
      // Garbage differs per seed; the enumerator uses one seed for all.
      for (InodeCrashChoice& inode : choice.inodes) {
        if (inode.torn) inode.torn->garbage_seed = kGarbageSeed;
      }
      absl::StatusOr<uint64_t> hash = fs->CrashContentHash(choice);
      ASSERT_TRUE(hash.ok()) << hash.status();
      EXPECT_TRUE(enumerated.contains(*hash)) << preset.name << ": " << choice.ToText();
      reached.insert(*hash);
    }
    EXPECT_GT(reached.size(), preset.name == "strict" ? 0u : 5u) << preset.name;
  }
}

}  // namespace
}  // namespace kiln::faultfs
