// For each crash policy, on small hand-built filesystems, the EXACT set of
// post-crash states it can produce: sampled over many seeds and, where the
// enumerator covers the same space, enumerated, then compared against sets
// written out by hand.
#include <set>
#include <string>

#include "faultfs/crash_test_util.h"
#include "gtest/gtest.h"
#include "kiln/status.h"

namespace kiln::faultfs {
namespace {

using testing::EnumeratedStates;
using testing::Render;
using testing::SampledStates;
using testing::WriteAt;
using States = std::set<std::string>;

// Enough seeds that every state of these tiny examples appears (the largest
// sampled set has 27 states of probability >= 1/81 each).
constexpr uint64_t kSeeds = 2000;

const CrashPolicy kStrict = *FindCrashPolicyPreset("strict");
const CrashPolicy kPrefix = *FindCrashPolicyPreset("prefix");
const CrashPolicy kReorder = *FindCrashPolicyPreset("reorder");

// A durable "/f" = "AAAA" with two pending writes after it.
std::unique_ptr<MemFileSystem> SyncedFileWithTwoPendingWrites() {
  auto fs = std::make_unique<MemFileSystem>();
  WriteAt(*fs, "/f", 0, "AAAA", /*sync=*/true);
  EXPECT_TRUE(fs->SyncDir("/").ok());
  WriteAt(*fs, "/f", 4, "BB", /*sync=*/false);
  WriteAt(*fs, "/f", 8, "CC", /*sync=*/false);
  return fs;
}

TEST(CrashModelTest, DropUnsyncedKeepsOnlySyncedBytes) {
  auto fs = SyncedFileWithTwoPendingWrites();
  EXPECT_EQ(SampledStates(*fs, kStrict, 50), (States{"/f=AAAA"}));
}

TEST(CrashModelTest, KeepPrefixKeepsThePrefixes) {
  auto fs = SyncedFileWithTwoPendingWrites();
  EXPECT_EQ(SampledStates(*fs, kPrefix, kSeeds), (States{"/f=AAAA", "/f=AAAABB", "/f=AAAABB__CC"}));
}

TEST(CrashModelTest, KeepSubsetKeepsEverySubsetWithHoles) {
  auto fs = SyncedFileWithTwoPendingWrites();
  // Keeping only the second write leaves a hole that reads as zeros: the
  // file's size comes from the write that made it durable.
  const States expected = {"/f=AAAA", "/f=AAAABB", "/f=AAAA____CC", "/f=AAAABB__CC"};
  EXPECT_EQ(SampledStates(*fs, kReorder, kSeeds), expected);
  EXPECT_EQ(EnumeratedStates(*fs, EnumerateOptions{}), expected);
}

TEST(CrashModelTest, TruncateIsAPendingOperationToo) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AAAA", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  {
    std::unique_ptr<File> file = *fs.OpenFile("/f", OpenMode::kReadWrite);
    ASSERT_TRUE(file->Truncate(1).ok());
    ASSERT_TRUE(file->Append("Z").ok());
  }
  // The Append is a write at offset 1, the end it saw: kept without the
  // truncate it overwrites the second byte.
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), (States{"/f=AAAA", "/f=A", "/f=AZ", "/f=AZAA"}));
}

// "/d" durable; "/d/tmp" created, written and synced, then renamed to
// "/d/final", without syncing "/d".
std::unique_ptr<MemFileSystem> RenamedUnsyncedFile() {
  auto fs = std::make_unique<MemFileSystem>();
  EXPECT_TRUE(fs->CreateDir("/d").ok());
  EXPECT_TRUE(fs->SyncDir("/").ok());
  WriteAt(*fs, "/d/tmp", 0, "X", /*sync=*/true);
  EXPECT_TRUE(fs->Rename("/d/tmp", "/d/final").ok());
  return fs;
}

TEST(CrashModelTest, CreatedAndRenamedFileCanVanishWithoutSyncDir) {
  auto fs = RenamedUnsyncedFile();
  EXPECT_EQ(SampledStates(*fs, kStrict, 50), (States{"/d/"}));
  // The rename needs the create (same inode): never "final" without it... but
  // "tmp" alone is a legal crash, and never both names.
  const States expected = {"/d/", "/d/ /d/tmp=X", "/d/ /d/final=X"};
  EXPECT_EQ(SampledStates(*fs, kPrefix, kSeeds), expected);
  EXPECT_EQ(SampledStates(*fs, kReorder, kSeeds), expected);
  EXPECT_EQ(EnumeratedStates(*fs, EnumerateOptions{}), expected);
}

TEST(CrashModelTest, SyncDirMakesTheRenameDurable) {
  auto fs = RenamedUnsyncedFile();
  ASSERT_TRUE(fs->SyncDir("/d").ok());
  EXPECT_FALSE(fs->HasPendingState());
  for (const CrashPolicy& policy : {kStrict, kPrefix, kReorder}) {
    EXPECT_EQ(SampledStates(*fs, policy, 100), (States{"/d/ /d/final=X"}));
  }
}

TEST(CrashModelTest, RenameOverADurableFileIsAtomic) {
  MemFileSystem fs;
  WriteAt(fs, "/CURRENT", 0, "old", /*sync=*/true);
  WriteAt(fs, "/tmp", 0, "new", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(fs.Rename("/tmp", "/CURRENT").ok());
  // Never both names, never neither: the source was durable.
  const States expected = {"/CURRENT=old /tmp=new", "/CURRENT=new"};
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), expected);
  EXPECT_EQ(SampledStates(fs, kPrefix, kSeeds), expected);
  EXPECT_EQ(EnumeratedStates(fs, EnumerateOptions{}), expected);
}

TEST(CrashModelTest, RenameAcrossDirectoriesIsAtomic) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/a").ok());
  ASSERT_TRUE(fs.CreateDir("/b").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/a/f", 0, "F", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/a").ok());
  ASSERT_TRUE(fs.Rename("/a/f", "/b/f").ok());
  const States expected = {"/a/ /a/f=F /b/", "/a/ /b/ /b/f=F"};
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), expected);
  // Syncing either directory makes the one rename operation durable.
  std::unique_ptr<MemFileSystem> copy = fs.Clone();
  ASSERT_TRUE(copy->SyncDir("/a").ok());
  EXPECT_EQ(SampledStates(*copy, kReorder, 50), (States{"/a/ /b/ /b/f=F"}));
}

TEST(CrashModelTest, SyncDirAlsoMakesPrerequisitesInOtherDirectoriesDurable) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/a").ok());
  ASSERT_TRUE(fs.CreateDir("/b").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/a/f", 0, "F", /*sync=*/true);  // create, pending in /a only
  ASSERT_TRUE(fs.Rename("/a/f", "/b/f").ok());
  ASSERT_TRUE(fs.SyncDir("/b").ok());
  // The rename is durable, so the create it depends on is too: a crash can
  // neither resurrect "/a/f" beside "/b/f" nor lose the file.
  EXPECT_FALSE(fs.HasPendingState());
  EXPECT_EQ(SampledStates(fs, kReorder, 100), (States{"/a/ /b/ /b/f=F"}));
}

TEST(CrashModelTest, OperationsOnOneNameStayOrdered) {
  MemFileSystem fs;
  WriteAt(fs, "/x", 0, "1", /*sync=*/true);  // create x (inode I)
  ASSERT_TRUE(fs.Rename("/x", "/y").ok());   // needs the create
  WriteAt(fs, "/x", 0, "2", /*sync=*/true);  // a new x (inode J): needs the rename
  const States expected = {"", "/x=1", "/y=1", "/x=2 /y=1"};
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), expected);
  EXPECT_EQ(EnumeratedStates(fs, EnumerateOptions{}), expected);
}

TEST(CrashModelTest, RemovedFileComesBackUntilTheRemoveIsSynced) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "F", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(fs.RemoveFile("/f").ok());
  EXPECT_EQ(SampledStates(fs, kStrict, 50), (States{"/f=F"}));
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), (States{"/f=F", ""}));
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_EQ(SampledStates(fs, kReorder, 50), (States{""}));
}

TEST(CrashModelTest, NewDirectoryWithoutParentSyncVanishesWithItsFiles) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  ASSERT_TRUE(fs.CreateDir("/d/sub").ok());
  WriteAt(fs, "/d/f", 0, "F", /*sync=*/true);
  // Syncing the new directory itself does not make its own name durable.
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  EXPECT_EQ(SampledStates(fs, kStrict, 50), (States{""}));
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), (States{"", "/d/ /d/f=F /d/sub/"}));
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_EQ(SampledStates(fs, kStrict, 50), (States{"/d/ /d/f=F /d/sub/"}));
}

TEST(CrashModelTest, UnsyncedDataOfAnUnsyncedNameNeverLeaksIntoOtherStates) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AB", /*sync=*/false);
  // Name and data both pending: the file is absent, or present with some of
  // its data.
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), (States{"", "/f=", "/f=AB"}));
  EXPECT_EQ(SampledStates(fs, kStrict, 50), (States{""}));
}

TEST(CrashModelTest, DropUnsyncedDataDiscardsExactlyThePendingOps) {
  MemFileSystem fs;
  std::unique_ptr<File> file = *fs.OpenFile("/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("AA").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(file->Append("BB").ok());
  ASSERT_TRUE(file->Write(0, "X").ok());
  ASSERT_TRUE(file->DropUnsyncedData().ok());
  EXPECT_EQ(Render(fs), "/f=AA");
  ASSERT_TRUE(file->Append("CC").ok());
  // Only the write after the drop is pending.
  EXPECT_EQ(SampledStates(fs, kReorder, kSeeds), (States{"/f=AA", "/f=AACC"}));
}

// Torn writes, with a 4-byte sector: "/f" = 12 x 'A' durable; a pending
// write of 8 x 'B' at offset 2 covers sectors [2,4), [4,8), [8,10).
std::unique_ptr<MemFileSystem> FileWithPendingWrite() {
  auto fs = std::make_unique<MemFileSystem>();
  WriteAt(*fs, "/f", 0, "AAAAAAAAAAAA", /*sync=*/true);
  EXPECT_TRUE(fs->SyncDir("/").ok());
  WriteAt(*fs, "/f", 2, "BBBBBBBB", /*sync=*/false);
  return fs;
}

TEST(CrashModelTest, TornWriteWithZerosChangesOnlyWholeSectorsInsideTheWrite) {
  auto fs = FileWithPendingWrite();
  const CrashPolicy policy = {.data = DataLoss::kTornWrite, .sector_size_bytes = 4};
  // Hand-built: each covered part of a sector is new (B), old (A) or zero (_).
  States expected;
  for (std::string_view first : {"BB", "AA", "__"}) {
    for (std::string_view middle : {"BBBB", "AAAA", "____"}) {
      for (std::string_view last : {"BB", "AA", "__"}) {
        expected.insert("/f=AA" + std::string(first) + std::string(middle) + std::string(last) +
                        "AA");
      }
    }
  }
  ASSERT_EQ(expected.size(), 27u);
  EXPECT_EQ(SampledStates(*fs, policy, kSeeds), expected);
}

TEST(CrashModelTest, TornWriteWithGarbageChangesOnlyWholeSectorsInsideTheWrite) {
  auto fs = FileWithPendingWrite();
  const CrashPolicy policy = {
      .data = DataLoss::kTornWrite, .sector_size_bytes = 4, .torn_fill = TornFill::kGarbage};
  const States states = SampledStates(*fs, policy, kSeeds);
  // Sector pieces of the write's range, as [begin, end) in the file.
  const std::pair<size_t, size_t> pieces[] = {{2, 4}, {4, 8}, {8, 10}};
  size_t garbage_pieces = 0;
  size_t garbage_bytes = 0;
  size_t garbage_bytes_old_or_new = 0;
  for (const std::string& state : states) {
    ASSERT_EQ(state.substr(0, 3), "/f=");
    const std::string bytes = state.substr(3);
    ASSERT_EQ(bytes.size(), 12u);
    EXPECT_EQ(bytes.substr(0, 2), "AA") << state;
    EXPECT_EQ(bytes.substr(10), "AA") << state;
    for (const auto& [begin, end] : pieces) {
      const std::string piece = bytes.substr(begin, end - begin);
      if (piece == std::string(end - begin, 'A') || piece == std::string(end - begin, 'B'))
        continue;
      ++garbage_pieces;
      // Never a mix of old and new bytes inside one sector.
      EXPECT_NE(piece.find_first_not_of("AB"), std::string::npos) << state;
      garbage_bytes += piece.size();
      for (char c : piece) garbage_bytes_old_or_new += (c == 'A' || c == 'B') ? 1 : 0;
    }
  }
  EXPECT_GT(garbage_pieces, 100u);
  // Garbage is garbage: old or new bytes only by chance (2 in 95 printables).
  EXPECT_LT(garbage_bytes_old_or_new * 10, garbage_bytes);
  // Garbage is seeded: the same seed gives the same bytes.
  EXPECT_EQ(SampledStates(*fs, policy, 20), SampledStates(*fs, policy, 20));
}

TEST(CrashModelTest, TornWriteMayExtendTheFile) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AAA", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/f", 2, "BBBBB", /*sync=*/false);  // sectors [2,4), [4,7)
  const CrashPolicy policy = {.data = DataLoss::kTornWrite, .sector_size_bytes = 4};
  // Once any sector changed, the size is the write's end, and an "old" part
  // past the old end reads as zeros. If no sector changed, nothing did.
  EXPECT_EQ(SampledStates(fs, policy, kSeeds),
            (States{"/f=AAA",         // (old, old), or prefix 0 untorn
                    "/f=AABBBBB",     // (new, new)
                    "/f=AABB___",     // (new, old), (new, zero)
                    "/f=AAA_BBB",     // (old, new)
                    "/f=AAA____",     // (old, zero)
                    "/f=AA__BBB",     // (zero, new)
                    "/f=AA_____"}));  // (zero, old), (zero, zero)
}

TEST(CrashModelTest, TornWriteKeepsAPrefixBeforeTheTornWrite) {
  MemFileSystem fs;
  WriteAt(fs, "/f", 0, "AAAA", /*sync=*/true);
  ASSERT_TRUE(fs.SyncDir("/").ok());
  WriteAt(fs, "/f", 0, "BBBB", /*sync=*/false);  // one sector
  WriteAt(fs, "/f", 0, "CCCC", /*sync=*/false);  // one sector
  const CrashPolicy policy = {.data = DataLoss::kTornWrite, .sector_size_bytes = 4};
  // Prefix 0 with write 0 torn, prefix 1 with write 1 torn, or all kept.
  EXPECT_EQ(SampledStates(fs, policy, kSeeds),
            (States{"/f=AAAA", "/f=BBBB", "/f=____", "/f=CCCC"}));
}

}  // namespace
}  // namespace kiln::faultfs
