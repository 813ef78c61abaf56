#include "db/file_names.h"

#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(FileNamesTest, RoundTripsEveryKind) {
  EXPECT_EQ(ClassifyFileName(WalFileName("/db", 7)), FileKind::kWal);
  EXPECT_EQ(ClassifyFileName(TableFileName("/db", 12)), FileKind::kTable);
  EXPECT_EQ(ClassifyFileName(BlobFileName("/db", 3)), FileKind::kBlob);
  EXPECT_EQ(ClassifyFileName(ManifestFileName("/db", 1)), FileKind::kManifest);
  EXPECT_EQ(ClassifyFileName(CurrentFileName("/db")), FileKind::kCurrent);
  EXPECT_EQ(ClassifyFileName(LockFileName("/db")), FileKind::kLock);
  EXPECT_EQ(ClassifyFileName(TempFileName("/db", 5)), FileKind::kTemp);
  EXPECT_EQ(WalFileName("/db", 7), "/db/000007.log");
  EXPECT_EQ(ManifestFileName("d", 42), "d/MANIFEST-000042");
}

TEST(FileNamesTest, RejectsLookalikes) {
  EXPECT_EQ(ClassifyFileName("/db/abc.log"), FileKind::kOther);
  EXPECT_EQ(ClassifyFileName("/db/.log"), FileKind::kOther);
  EXPECT_EQ(ClassifyFileName("/db/MANIFEST-"), FileKind::kOther);
  EXPECT_EQ(ClassifyFileName("/db/MANIFEST-12x"), FileKind::kOther);
  EXPECT_EQ(ClassifyFileName("CURRENT.bak"), FileKind::kOther);
  EXPECT_EQ(ClassifyFileName("CURRENT"), FileKind::kCurrent);
  EXPECT_EQ(FileKindName(FileKind::kManifest), "manifest");
}

}  // namespace
}  // namespace kiln
