// The FileSystem contract on MemFileSystem (the same cases a real filesystem
// must pass), plus its own surface: handles across crashes, clones, hashes,
// dumps, bounds.
#include "faultfs/mem_file_system.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/status.h"

namespace kiln::faultfs {
namespace {

std::unique_ptr<File> Open(MemFileSystem& fs, std::string_view path, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile(path, mode);
  EXPECT_TRUE(file.ok()) << path << ": " << file.status();
  return file.ok() ? *std::move(file) : nullptr;
}

std::string ReadRange(File& file, uint64_t offset, size_t length) {
  std::string out(length, '#');
  absl::StatusOr<size_t> count = file.Read(offset, std::span<char>(out));
  EXPECT_TRUE(count.ok()) << count.status();
  out.resize(count.ok() ? *count : 0);
  return out;
}

TEST(MemFileSystemTest, OpenModes) {
  MemFileSystem fs;
  EXPECT_TRUE(absl::IsNotFound(fs.OpenFile("/f", OpenMode::kRead).status()));
  EXPECT_TRUE(absl::IsNotFound(fs.OpenFile("/f", OpenMode::kReadWrite).status()));
  {
    std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreateNew);
    ASSERT_TRUE(file->Append("hello").ok());
  }
  EXPECT_TRUE(absl::IsAlreadyExists(fs.OpenFile("/f", OpenMode::kCreateNew).status()));
  {
    std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
    EXPECT_EQ(ReadRange(*file, 0, 100), "hello");  // kCreate keeps contents
  }
  {
    std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kReadWrite);
    EXPECT_EQ(ReadRange(*file, 0, 100), "hello");
  }
  {
    std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kTruncate);
    EXPECT_EQ(*file->Size(), 0u);
  }
  EXPECT_EQ(*fs.FileSize("/f"), 0u);
  {
    std::unique_ptr<File> file = Open(fs, "/g", OpenMode::kTruncate);  // creates
    EXPECT_EQ(*file->Size(), 0u);
  }
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.OpenFile("/d", OpenMode::kRead).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(fs.OpenFile("/d", OpenMode::kCreateNew).status()));
  EXPECT_TRUE(absl::IsNotFound(fs.OpenFile("/missing/f", OpenMode::kCreate).status()));
}

TEST(MemFileSystemTest, ReadWriteAppendTruncateSize) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Write(0, "abc").ok());
  ASSERT_TRUE(file->Write(5, "xy").ok());  // past the end: zero-fills the gap
  EXPECT_EQ(ReadRange(*file, 0, 100), std::string("abc\0\0xy", 7));
  ASSERT_TRUE(file->Append("Z").ok());
  EXPECT_EQ(*file->Size(), 8u);
  EXPECT_EQ(ReadRange(*file, 6, 100), "yZ");  // short read at the end
  EXPECT_EQ(ReadRange(*file, 8, 10), "");     // at the end
  EXPECT_EQ(ReadRange(*file, 50, 10), "");    // past the end
  ASSERT_TRUE(file->Write(1, "B").ok());      // overwrite in place
  EXPECT_EQ(ReadRange(*file, 0, 3), "aBc");
  ASSERT_TRUE(file->Truncate(2).ok());
  EXPECT_EQ(ReadRange(*file, 0, 100), "aB");
  ASSERT_TRUE(file->Truncate(4).ok());  // grows with zeros
  EXPECT_EQ(ReadRange(*file, 0, 100), std::string("aB\0\0", 4));
  EXPECT_EQ(*fs.FileSize("/f"), 4u);
  ASSERT_TRUE(file->Write(4, "").ok());  // empty write: no change, no pending op
  EXPECT_EQ(*file->Size(), 4u);
}

TEST(MemFileSystemTest, ReadOnlyHandleRejectsWrites) {
  MemFileSystem fs;
  Open(fs, "/f", OpenMode::kCreate);
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kRead);
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Write(0, "x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Truncate(0)));
  EXPECT_TRUE(file->Sync().ok());  // fsync on a read-only descriptor is allowed
  EXPECT_EQ(*file->Size(), 0u);
}

TEST(MemFileSystemTest, ClosedHandleFails) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_TRUE(file->Close().ok());  // idempotent
  char buffer[4];
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Read(0, std::span<char>(buffer)).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Sync()));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Size().status()));
}

TEST(MemFileSystemTest, RenameReplacesTarget) {
  MemFileSystem fs;
  Open(fs, "/a", OpenMode::kCreate)->Append("A").IgnoreError();
  Open(fs, "/b", OpenMode::kCreate)->Append("B").IgnoreError();
  ASSERT_TRUE(fs.Rename("/a", "/b").ok());
  EXPECT_FALSE(*fs.Exists("/a"));
  std::unique_ptr<File> file = Open(fs, "/b", OpenMode::kRead);
  EXPECT_EQ(ReadRange(*file, 0, 10), "A");
  EXPECT_TRUE(fs.Rename("/b", "/b").ok());  // onto itself: no change
  EXPECT_TRUE(*fs.Exists("/b"));
  EXPECT_TRUE(absl::IsNotFound(fs.Rename("/a", "/c")));
  EXPECT_TRUE(absl::IsNotFound(fs.Rename("/b", "/missing/c")));
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  ASSERT_TRUE(fs.Rename("/b", "/d/b").ok());  // across directories
  EXPECT_EQ((*fs.ListDir("/d")), std::vector<std::string>{"b"});
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.Rename("/d/b", "/d")));  // onto a directory
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.Rename("/d", "/e")));    // directories unsupported
  EXPECT_TRUE(absl::IsInvalidArgument(fs.Rename("/", "/x")));
}

TEST(MemFileSystemTest, RemoveFile) {
  MemFileSystem fs;
  EXPECT_TRUE(absl::IsNotFound(fs.RemoveFile("/f")));
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(fs.RemoveFile("/f").ok());
  EXPECT_FALSE(*fs.Exists("/f"));
  EXPECT_TRUE(absl::IsNotFound(fs.FileSize("/f").status()));
  // An open handle keeps the unlinked file's bytes, as on POSIX.
  EXPECT_EQ(ReadRange(*file, 0, 10), "data");
  ASSERT_TRUE(file->Append("!").ok());
  EXPECT_EQ(ReadRange(*file, 0, 10), "data!");
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.RemoveFile("/d")));
}

TEST(MemFileSystemTest, ListDirIsSortedBytewise) {
  MemFileSystem fs;
  for (std::string_view name : {"/b", "/a", "/B", "/\xff", "/a0", "/_"}) {
    Open(fs, name, OpenMode::kCreate);
  }
  ASSERT_TRUE(fs.CreateDir("/c").ok());
  EXPECT_EQ(*fs.ListDir("/"), (std::vector<std::string>{"B", "_", "a", "a0", "b", "c", "\xff"}));
  EXPECT_EQ(*fs.ListDir("/c"), std::vector<std::string>{});
  EXPECT_TRUE(absl::IsNotFound(fs.ListDir("/missing").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.ListDir("/a").status()));
}

TEST(MemFileSystemTest, Directories) {
  MemFileSystem fs;
  EXPECT_TRUE(*fs.Exists("/"));
  EXPECT_TRUE(absl::IsAlreadyExists(fs.CreateDir("/")));
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(fs.CreateDir("/d")));
  EXPECT_TRUE(absl::IsNotFound(fs.CreateDir("/x/y")));
  ASSERT_TRUE(fs.CreateDir("/d/e").ok());
  Open(fs, "/d/e/f", OpenMode::kCreate);
  EXPECT_TRUE(absl::IsAlreadyExists(fs.CreateDir("/d/e/f")));
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.RemoveDir("/d/e")));    // not empty
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.RemoveDir("/d/e/f")));  // a file
  EXPECT_TRUE(absl::IsNotFound(fs.RemoveDir("/d/z")));
  EXPECT_TRUE(absl::IsInvalidArgument(fs.RemoveDir("/")));
  ASSERT_TRUE(fs.RemoveFile("/d/e/f").ok());
  ASSERT_TRUE(fs.RemoveDir("/d/e").ok());
  EXPECT_FALSE(*fs.Exists("/d/e"));
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.FileSize("/d").status()));
  EXPECT_TRUE(absl::IsNotFound(fs.SyncDir("/d/e")));
  EXPECT_TRUE(fs.SyncDir("/d").ok());
}

TEST(MemFileSystemTest, PathsNormalise) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("d").ok());  // relative to "/"
  Open(fs, "//d///f/", OpenMode::kCreate)->Append("x").IgnoreError();
  EXPECT_TRUE(*fs.Exists("/d/f"));
  EXPECT_EQ(*fs.FileSize("d/f"), 1u);
  for (std::string_view bad :
       std::vector<std::string_view>{"", "/d/./f", "/d/../f", "..", std::string_view("/a\0b", 4)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(fs.Exists(bad).status())) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(fs.OpenFile(bad, OpenMode::kCreate).status())) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(fs.Exists("/" + std::string(256, 'n')).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(fs.Exists(std::string(kMaxPathLengthBytes + 1, '/')).status()));
  // A file where a directory is expected.
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.OpenFile("/d/f/g", OpenMode::kCreate).status()));
  EXPECT_FALSE(*fs.Exists("/d/f/g"));
  EXPECT_FALSE(*fs.Exists("/nope/g"));
}

TEST(MemFileSystemTest, LocksAreExclusiveUntilReleased) {
  MemFileSystem fs;
  absl::StatusOr<std::unique_ptr<FileLock>> lock = fs.LockFile("/LOCK");
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(*fs.Exists("/LOCK"));  // created if missing
  EXPECT_TRUE(IsBusy(fs.LockFile("/LOCK").status()));
  EXPECT_TRUE(IsBusy(fs.LockFile("//LOCK").status()));  // same file, other spelling
  ASSERT_TRUE(fs.LockFile("/OTHER").ok());              // released at once: a temporary
  lock->reset();
  absl::StatusOr<std::unique_ptr<FileLock>> again = fs.LockFile("/LOCK");
  EXPECT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(fs.LockFile("/d").status()));
}

TEST(MemFileSystemTest, CrashMakesHandlesStaleAndReleasesLocks) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("x").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  absl::StatusOr<std::unique_ptr<FileLock>> lock = fs.LockFile("/f");
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(fs.crash_generation(), 0u);
  Random random(1);
  fs.Crash(CrashPolicy{}, random);
  EXPECT_EQ(fs.crash_generation(), 1u);
  char buffer[4];
  EXPECT_TRUE(IsIOError(file->Read(0, std::span<char>(buffer)).status()));
  EXPECT_TRUE(IsIOError(file->Append("y")));
  EXPECT_TRUE(IsIOError(file->Sync()));
  EXPECT_TRUE(IsIOError(file->Size().status()));
  EXPECT_TRUE(IsIOError(file->DropUnsyncedData()));
  EXPECT_EQ(file->Size().status().message(), "stale handle from before a crash");
  // The lock died with the crash; the old FileLock's release must not free
  // a lock taken after it.
  absl::StatusOr<std::unique_ptr<FileLock>> relock = fs.LockFile("/f");
  ASSERT_TRUE(relock.ok()) << relock.status();
  lock->reset();
  EXPECT_TRUE(IsBusy(fs.LockFile("/f").status()));
  // A new handle works and sees the durable bytes.
  std::unique_ptr<File> fresh = Open(fs, "/f", OpenMode::kRead);
  EXPECT_EQ(ReadRange(*fresh, 0, 10), "x");
  EXPECT_TRUE(IsIOError(file->Close()));
  EXPECT_TRUE(file->Close().ok());
}

// File::MapAppends: a crash while the reservation stands leaves zeros up to
// it after whatever survived; a Close after a Sync makes the trim durable.
TEST(MemFileSystemTest, MappedAppendsLeaveTheirReservationAsZerosAfterACrash) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  const auto crash_and_read = [&](std::string_view path) {
    Random random(7);
    fs.Crash(CrashPolicy{}, random);  // strict: drops everything unsynced
    std::unique_ptr<File> file = Open(fs, path, OpenMode::kRead);
    return ReadRange(*file, 0, 3 * kMaxReserveStepBytes);
  };
  // Open at the crash: synced bytes, then zeros to the reservation (a step
  // of at most kMaxReserveStepBytes, whatever was asked).
  {
    std::unique_ptr<File> file = Open(fs, "/d/open", OpenMode::kCreateNew);
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    EXPECT_TRUE(absl::IsInvalidArgument(file->MapAppends(0)));
    ASSERT_TRUE(file->MapAppends(uint64_t{1} << 20).ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(file->MapAppends(4096)));
    ASSERT_TRUE(file->Append("synced").ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Append("lost").ok());
    EXPECT_EQ(*file->Size(), 10u);
    EXPECT_EQ(ReadRange(*file, 0, 100), "syncedlost") << "the zeros are only a crash's";
    const std::string after = crash_and_read("/d/open");
    EXPECT_EQ(after, "synced" + std::string(kMaxReserveStepBytes - 6, '\0'));
  }
  // Closed after a sync: trimmed for good.
  {
    std::unique_ptr<File> file = Open(fs, "/d/closed", OpenMode::kCreateNew);
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    ASSERT_TRUE(file->MapAppends(100).ok());
    ASSERT_TRUE(file->Append(std::string(150, 'a')).ok());
    ASSERT_TRUE(file->SyncData().ok());
    ASSERT_TRUE(file->Close().ok());
    EXPECT_EQ(crash_and_read("/d/closed"), std::string(150, 'a'));
  }
  // Closed without a sync: the reservation may still be what the disk has.
  {
    std::unique_ptr<File> file = Open(fs, "/d/unsynced", OpenMode::kCreateNew);
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    ASSERT_TRUE(file->MapAppends(100).ok());
    ASSERT_TRUE(file->Append(std::string(150, 'a')).ok());
    ASSERT_TRUE(file->Close().ok());
    EXPECT_EQ(crash_and_read("/d/unsynced"), std::string(200, '\0'));
  }
}

TEST(MemFileSystemTest, HandlesMayOutliveTheFileSystem) {
  std::unique_ptr<File> file;
  std::unique_ptr<FileLock> lock;
  {
    MemFileSystem fs;
    file = Open(fs, "/f", OpenMode::kCreate);
    lock = *fs.LockFile("/LOCK");
  }
  EXPECT_TRUE(file->Append("x").ok());
}

TEST(MemFileSystemTest, CloneIsDeepAndIndependent) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("synced").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("+pending").ok());
  std::unique_ptr<MemFileSystem> copy = fs.Clone();
  EXPECT_EQ(copy->ContentHash(), fs.ContentHash());
  EXPECT_EQ(copy->DurableContentHash(), fs.DurableContentHash());
  EXPECT_EQ(copy->DebugDump(), fs.DebugDump());
  EXPECT_TRUE(copy->HasPendingState());
  ASSERT_TRUE(file->Append("!").ok());
  EXPECT_NE(copy->ContentHash(), fs.ContentHash());
  EXPECT_EQ(*copy->FileSize("/f"), 14u);
  // Locks are not copied.
  absl::StatusOr<std::unique_ptr<FileLock>> lock = fs.LockFile("/f");
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(fs.Clone()->LockFile("/f").ok());
}

TEST(MemFileSystemTest, ContentHashSeesContentNotHistory) {
  MemFileSystem one;
  MemFileSystem two;
  Open(one, "/a", OpenMode::kCreate)->Append("xy").IgnoreError();
  ASSERT_TRUE(one.CreateDir("/d").ok());
  // Same tree, reached differently: other inode ids, a rename, synced state.
  ASSERT_TRUE(two.CreateDir("/d").ok());
  {
    std::unique_ptr<File> file = Open(two, "/tmp", OpenMode::kCreate);
    ASSERT_TRUE(file->Append("x").ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Append("y").ok());
  }
  ASSERT_TRUE(two.Rename("/tmp", "/a").ok());
  ASSERT_TRUE(two.SyncDir("/").ok());
  EXPECT_EQ(one.ContentHash(), two.ContentHash());
  EXPECT_NE(one.DurableContentHash(), two.DurableContentHash());
  // Content changes change the hash: bytes, names, an empty directory.
  const uint64_t before = one.ContentHash();
  ASSERT_TRUE(one.CreateDir("/e").ok());
  EXPECT_NE(one.ContentHash(), before);
  ASSERT_TRUE(one.RemoveDir("/e").ok());
  EXPECT_EQ(one.ContentHash(), before);
  Open(one, "/a", OpenMode::kReadWrite)->Write(0, "X").IgnoreError();
  EXPECT_NE(one.ContentHash(), before);
}

TEST(MemFileSystemTest, DebugDumpIsDeterministic) {
  auto build = [] {
    auto fs = std::make_unique<MemFileSystem>();
    EXPECT_TRUE(fs->CreateDir("/db").ok());
    EXPECT_TRUE(fs->SyncDir("/").ok());
    std::unique_ptr<File> file = Open(*fs, "/db/000001.log", OpenMode::kCreate);
    EXPECT_TRUE(file->Append("abc").ok());
    EXPECT_TRUE(file->Sync().ok());
    EXPECT_TRUE(file->Append("de").ok());
    return fs;
  };
  const std::string dump = build()->DebugDump();
  EXPECT_EQ(dump, build()->DebugDump());
  EXPECT_EQ(dump,
            "generation=0 inodes=3 pending_dir_ops=1\n"
            "/ dir id=1\n"
            "/db dir id=2\n"
            "/db/000001.log file id=3 size=5 durable_size=3 pending_ops=1 [path not durable]\n"
            "pending 0: create /db/000001.log\n");
}

TEST(MemFileSystemTest, StatsCount) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("abcd").ok());
  ASSERT_TRUE(file->Write(10, "ef").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->SyncData().ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(file->DropUnsyncedData().ok());
  const MemFileSystemStats stats = fs.Stats();
  EXPECT_EQ(stats.bytes_written, 6u);
  EXPECT_EQ(stats.data_syncs, 2u);
  EXPECT_EQ(stats.dir_syncs, 1u);
  EXPECT_EQ(stats.unsynced_drops, 1u);
  EXPECT_EQ(stats.crashes, 0u);
}

TEST(MemFileSystemTest, BoundsAreNoSpace) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  EXPECT_TRUE(IsNoSpace(file->Write(kMaxFileSizeBytes, "x")));
  EXPECT_TRUE(IsNoSpace(file->Truncate(kMaxFileSizeBytes + 1)));
  EXPECT_TRUE(IsNoSpace(file->Write(UINT64_MAX, "x")));
  EXPECT_EQ(*file->Size(), 0u);
  // Unsynced directory operations are bounded too.
  absl::Status status;
  for (size_t i = 0; i <= kMaxPendingDirOps && status.ok(); ++i) {
    status = fs.CreateDir("/d" + std::to_string(i));
  }
  EXPECT_TRUE(IsNoSpace(status)) << status;
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_TRUE(fs.CreateDir("/after").ok());
}

TEST(MemFileSystemTest, RemovedFilesAreFreed) {
  MemFileSystem fs;
  constexpr int kRounds = 1000;
  for (int i = 0; i < kRounds; ++i) {
    const std::string path = "/f" + std::to_string(i);
    Open(fs, path, OpenMode::kCreate)->Append(std::string(100, 'x')).IgnoreError();
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(fs.RemoveFile(path).ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
  }
  const std::string dump = fs.DebugDump();
  const size_t start = dump.find("inodes=") + 7;
  EXPECT_LT(std::stoul(dump.substr(start)), 200u) << dump;
}

TEST(MemFileSystemTest, DropUnsyncedDataRestoresTheDurableBytes) {
  MemFileSystem fs;
  std::unique_ptr<File> file = Open(fs, "/f", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("keep").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("lose").ok());
  ASSERT_TRUE(file->Truncate(2).ok());
  ASSERT_TRUE(fs.SyncDir("/").ok());
  EXPECT_TRUE(fs.HasPendingState());
  ASSERT_TRUE(file->DropUnsyncedData().ok());
  EXPECT_FALSE(fs.HasPendingState());
  EXPECT_EQ(ReadRange(*file, 0, 100), "keep");
  ASSERT_TRUE(file->Append("+more").ok());  // the handle stays usable
  EXPECT_EQ(ReadRange(*file, 0, 100), "keep+more");
}

TEST(MemFileSystemTest, ConcurrentCallsAreSafe) {
  MemFileSystem fs;
  constexpr int kThreads = 4;
  constexpr int kAppends = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&fs, t] {
      const std::string path = "/f" + std::to_string(t);
      std::unique_ptr<File> file = *fs.OpenFile(path, OpenMode::kCreate);
      for (int i = 0; i < kAppends; ++i) {
        EXPECT_TRUE(file->Append("ab").ok());
        if (i % 50 == 0) {
          EXPECT_TRUE(file->Sync().ok());
        }
        if (i % 70 == 0) {
          EXPECT_TRUE(fs.SyncDir("/").ok());
        }
        (void)fs.ContentHash();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(*fs.FileSize("/f" + std::to_string(t)), 2u * kAppends);
  }
}

}  // namespace
}  // namespace kiln::faultfs
