// BarrierFileSystem calls its hook before exactly the durability barriers,
// while the disk still holds what the barrier is about to make durable.
#include "props/barrier_file_system.h"

#include <memory>
#include <string>
#include <vector>

#include "faultfs/mem_file_system.h"
#include "gtest/gtest.h"

namespace kiln::props {
namespace {

TEST(BarrierFileSystemTest, HookSeesEachBarrierBeforeItReachesTheDisk) {
  faultfs::MemFileSystem disk;
  std::vector<std::string> events;
  std::vector<bool> pending_at_hook;
  BarrierFileSystem fs(disk, [&](const BarrierEvent& event) {
    events.push_back(event.ToString());
    pending_at_hook.push_back(disk.HasPendingState());
    return BarrierAction::kPass;
  });
  ASSERT_TRUE(fs.CreateDir("/db").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  {
    absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile("/db/a.tmp", OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("x").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Append("y").ok());
    ASSERT_TRUE((*file)->SyncData().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  ASSERT_TRUE(fs.Rename("/db/a.tmp", "/db/b").ok());  // not a barrier
  ASSERT_TRUE(fs.Rename("/db/b", "/db/CURRENT").ok());
  ASSERT_TRUE(fs.SyncDir("/db").ok());
  ASSERT_TRUE(fs.RemoveFile("/db/CURRENT").ok());  // not a barrier

  const std::vector<std::string> expected = {"sync_dir /", "sync /db/a.tmp", "sync_data /db/a.tmp",
                                             "rename_current /db/CURRENT", "sync_dir /db"};
  EXPECT_EQ(events, expected);
  // Every hook ran while something was still pending: before, not after.
  EXPECT_EQ(pending_at_hook, std::vector<bool>(expected.size(), true));
}

// kIgnore: the caller is told the sync worked, and nothing became durable.
TEST(BarrierFileSystemTest, IgnoredSyncsReportSuccessAndKeepDataPending) {
  faultfs::MemFileSystem disk;
  BarrierFileSystem fs(disk, [](const BarrierEvent& event) {
    return event.path == "/" ? BarrierAction::kPass : BarrierAction::kIgnore;
  });
  ASSERT_TRUE(fs.CreateDir("/db").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_FALSE(disk.HasPendingState());
  absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile("/db/x", OpenMode::kCreateNew);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("data").ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->SyncData().ok());
  EXPECT_TRUE(fs.SyncDir("/db").ok());
  EXPECT_TRUE(disk.HasPendingState());
  EXPECT_EQ(disk.Stats().data_syncs, 0u);
}

}  // namespace
}  // namespace kiln::props
