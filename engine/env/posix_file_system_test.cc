#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "env/posix_env.h"
#include "env/posix_error.h"
#include "gtest/gtest.h"
#include "kiln/status.h"

namespace kiln {
namespace {

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

// Every test works in its own fresh directory under $TEST_TMPDIR.
class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    ASSERT_NE(tmp, nullptr) << "run under bazel test";
    dir_ = absl::StrCat(tmp, "/", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(fs_.CreateDir(dir_).ok());
  }

  std::string Path(std::string_view name) const {
    return absl::StrCat(dir_, "/", absl::string_view(name.data(), name.size()));
  }

  std::unique_ptr<File> Open(std::string_view name, OpenMode mode) {
    absl::StatusOr<std::unique_ptr<File>> file = fs_.OpenFile(Path(name), mode);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? std::move(*file) : nullptr;
  }

  // The whole file's contents, read through a fresh kRead handle.
  std::string Contents(std::string_view name) {
    std::unique_ptr<File> file = Open(name, OpenMode::kRead);
    if (file == nullptr) return "<missing>";
    std::string text(*file->Size(), '\0');
    EXPECT_EQ(*file->Read(0, std::span<char>(text.data(), text.size())), text.size());
    return text;
  }

  void WriteFile(std::string_view name, std::string_view text) {
    std::unique_ptr<File> file = Open(name, OpenMode::kTruncate);
    ASSERT_NE(file, nullptr);
    ASSERT_TRUE(file->Append(text).ok());
    ASSERT_TRUE(file->Close().ok());
  }

  PosixFileSystem fs_;
  std::string dir_;
};

TEST_F(PosixFileSystemTest, WriteThenReadAtOffsets) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Write(0, "hello world").ok());
  ASSERT_TRUE(file->Write(6, "WORLD").ok());
  ASSERT_TRUE(file->Write(14, "!").ok());  // past the end: the gap reads as zeros
  char buffer[5];
  ASSERT_EQ(*file->Read(6, buffer), 5u);
  EXPECT_EQ(std::string_view(buffer, 5), "WORLD");
  EXPECT_EQ(Contents("a"), std::string("hello WORLD\0\0\0!", 15));
}

TEST_F(PosixFileSystemTest, MapShowsTheFileAndOutlivesItsHandle) {
  WriteFile("t", "hello mapped world");
  std::unique_ptr<File> file = Open("t", OpenMode::kRead);
  absl::StatusOr<std::shared_ptr<const MappedFile>> image = file->Map(18);
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_TRUE(file->Close().ok());
  file.reset();
  EXPECT_EQ((*image)->bytes(), "hello mapped world");

  absl::StatusOr<std::shared_ptr<const MappedFile>> prefix = Open("t", OpenMode::kRead)->Map(5);
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  EXPECT_EQ((*prefix)->bytes(), "hello");
  absl::StatusOr<std::shared_ptr<const MappedFile>> empty = Open("t", OpenMode::kRead)->Map(0);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE((*empty)->bytes().empty());
  // Past the end would be SIGBUS on touch: refused up front.
  EXPECT_TRUE(absl::IsOutOfRange(Open("t", OpenMode::kRead)->Map(19).status()));
}

TEST_F(PosixFileSystemTest, StartWritebackIsAHintOnAnOpenFile) {
  std::unique_ptr<File> file = Open("w", OpenMode::kTruncate);
  ASSERT_TRUE(file->Append(std::string(100'000, 'w')).ok());
  EXPECT_TRUE(file->StartWriteback(0, 100'000).ok());
  EXPECT_EQ(Contents("w").size(), 100'000u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_FALSE(file->StartWriteback(0, 1).ok());
}

TEST_F(PosixFileSystemTest, ReadFileImageCopiesAndRefusesAShortFile) {
  WriteFile("t", "copied bytes");
  std::unique_ptr<File> file = Open("t", OpenMode::kRead);
  absl::StatusOr<std::shared_ptr<const MappedFile>> image = ReadFileImage(*file, 6);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->bytes(), "copied");
  EXPECT_TRUE(absl::IsFailedPrecondition(ReadFileImage(*file, 13).status()));
}

TEST_F(PosixFileSystemTest, AppendWritesAtTheEnd) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreate);
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Append("def").ok());
  ASSERT_TRUE(file->Write(8, "X").ok());  // extends the end Append uses
  ASSERT_TRUE(file->Append("g").ok());
  EXPECT_EQ(Contents("a"), std::string("abcdef\0\0Xg", 10));
  ASSERT_TRUE(file->Truncate(2).ok());  // so does shrinking
  ASSERT_TRUE(file->Append("Z").ok());
  EXPECT_EQ(Contents("a"), "abZ");
}

TEST_F(PosixFileSystemTest, MappedAppendsReserveAheadAndCloseTrimsTheReservation) {
  WriteFile("log", "head");
  std::unique_ptr<File> file = Open("log", OpenMode::kReadWrite);
  ASSERT_TRUE(file->MapAppends(4096).ok());
  EXPECT_EQ(file->MapAppends(4096).code(), absl::StatusCode::kFailedPrecondition);
  std::string expected = "head";
  // Records that fit the reservation, one that crosses it, one larger than it.
  for (const size_t size : {100, 3000, 2000, 9000, 1}) {
    const std::string record(size, static_cast<char>('a' + size % 26));
    ASSERT_TRUE(file->Append(record).ok());
    expected += record;
    EXPECT_EQ(*file->Size(), expected.size());
    // Another handle sees the bytes at once (they are in the page cache), and
    // the file on disk is reserved to a whole step past them.
    const std::string seen = Contents("log");
    EXPECT_EQ(seen.substr(0, expected.size()), expected);
    EXPECT_EQ(seen.size() % 4096, 0u);
    EXPECT_EQ(seen.substr(expected.size()), std::string(seen.size() - expected.size(), '\0'));
    std::string through_handle(expected.size() + 10, 'x');
    EXPECT_EQ(*file->Read(0, std::span<char>(through_handle.data(), through_handle.size())),
              expected.size())
        << "reads stop at the appended end, not the reservation";
  }
  ASSERT_TRUE(file->SyncData().ok());
  ASSERT_TRUE(file->StartWriteback(0, expected.size()).ok());
  EXPECT_EQ(file->Write(0, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(file->Truncate(0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(file->Map(4).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("log"), expected);
  EXPECT_EQ(*fs_.FileSize(Path("log")), expected.size());
}

// A sync unmaps the pages appends have filled; appends after it, within the
// same reservation and beyond it, land where they belong.
TEST_F(PosixFileSystemTest, MappedAppendsCarryOnAcrossSyncs) {
  std::unique_ptr<File> file = Open("log", OpenMode::kCreate);
  ASSERT_TRUE(file->MapAppends(16384).ok());
  std::string expected;
  // Sizes that leave the end mid-page, on a page boundary, at the end of
  // the reservation, and past it.
  for (const size_t size : {100, 3996, 5000, 7288, 1, 20000, 4095}) {
    const std::string record(size, static_cast<char>('a' + size % 26));
    ASSERT_TRUE(file->Append(record).ok());
    expected += record;
    ASSERT_TRUE((expected.size() % 2 == 0 ? file->SyncData() : file->Sync()).ok());
    std::string through_handle(expected.size(), 'x');
    ASSERT_EQ(*file->Read(0, std::span<char>(through_handle.data(), through_handle.size())),
              expected.size());
    EXPECT_EQ(through_handle, expected) << "after " << expected.size() << " bytes";
    EXPECT_EQ(Contents("log").substr(0, expected.size()), expected);
  }
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("log"), expected);
}

// Small records each followed by a sync, as under sync writers: after the
// first sync in a page the rest of that page is written, not mapped, and a
// record that crosses into the next page is split between the two.
TEST_F(PosixFileSystemTest, SmallSyncedMappedAppendsCrossPagesIntact) {
  std::unique_ptr<File> file = Open("log", OpenMode::kCreate);
  ASSERT_TRUE(file->MapAppends(8192).ok());
  std::string expected;
  for (int i = 0; i < 200; ++i) {  // 97 B each: ends fall everywhere in a page
    const std::string record(97, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(file->Append(record).ok());
    expected += record;
    ASSERT_TRUE(file->SyncData().ok());
    ASSERT_EQ(Contents("log").substr(0, expected.size()), expected) << "after record " << i;
  }
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("log"), expected);
}

// Whether any extent of [offset, offset + length) of path is unwritten
// (allocated, reading as zeros, never written); nullopt if the filesystem
// cannot say (no FIEMAP).
std::optional<bool> HasUnwrittenExtent(const std::string& path, uint64_t offset, uint64_t length) {
  constexpr uint32_t kMaxExtents = 64;
  alignas(struct fiemap) char
      buffer[sizeof(struct fiemap) + kMaxExtents * sizeof(struct fiemap_extent)] = {};
  auto* map = reinterpret_cast<struct fiemap*>(buffer);
  map->fm_start = offset;
  map->fm_length = length;
  map->fm_extent_count = kMaxExtents;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const int result = ::ioctl(fd, FS_IOC_FIEMAP, map);
  ::close(fd);
  if (result != 0) return std::nullopt;
  for (uint32_t i = 0; i < map->fm_mapped_extents; ++i) {
    if (map->fm_extents[i].fe_flags & FIEMAP_EXTENT_UNWRITTEN) return true;
  }
  return false;
}

// A sync writes zeros over the 64 KiB after the appends, so ext4 converts
// those reserved blocks in that sync, not one block (and one inode write)
// per later sync. The far end of the reservation, never written, is the
// control: it shows the filesystem reports unwritten extents at all.
TEST_F(PosixFileSystemTest, ASyncConvertsTheReservedBlocksAheadOfTheAppends) {
  std::unique_ptr<File> file = Open("log", OpenMode::kCreate);
  ASSERT_TRUE(file->MapAppends(size_t{1} << 20).ok());
  ASSERT_TRUE(file->Append(std::string(100, 'a')).ok());
  ASSERT_TRUE(file->SyncData().ok());
  const std::optional<bool> control = HasUnwrittenExtent(Path("log"), 768 << 10, 4096);
  if (control != true) {
    GTEST_SKIP() << "the filesystem under TEST_TMPDIR reports no unwritten extents";
  }
  EXPECT_EQ(HasUnwrittenExtent(Path("log"), 0, 64 << 10), false);
  // The zeros are not appended bytes: the appends go on from 100.
  ASSERT_TRUE(file->Append(std::string(5000, 'b')).ok());
  EXPECT_EQ(*file->Size(), 5100u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("log"), std::string(100, 'a') + std::string(5000, 'b'));
}

// A reservation the disk refuses fails only that append: the next one that
// fits what is already reserved maps it again and succeeds. A child process
// with a 4 KiB file size limit makes posix_fallocate fail (EFBIG).
TEST_F(PosixFileSystemTest, MappedAppendsGoOnAfterAFailedReservation) {
  const std::string path = Path("log");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const struct rlimit limit = {.rlim_cur = 4096, .rlim_max = 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(2);
    absl::StatusOr<std::unique_ptr<File>> file = fs_.OpenFile(path, OpenMode::kCreate);
    if (!file.ok() || !(*file)->MapAppends(4096).ok()) ::_exit(3);
    if (!(*file)->Append(std::string(100, 'a')).ok()) ::_exit(4);
    if ((*file)->Append(std::string(5000, 'x')).ok()) ::_exit(5);  // past the limit
    if (!(*file)->Append(std::string(100, 'b')).ok()) ::_exit(6);
    if (!(*file)->Close().ok()) ::_exit(7);
    ::_exit(0);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status)) << wait_status;
  ASSERT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_EQ(Contents("log"), std::string(100, 'a') + std::string(100, 'b'));
}

TEST_F(PosixFileSystemTest, MappedAppendsRefuseBadArgumentsAndLeaveThePlainHandleWorking) {
  EXPECT_EQ(Open("log", OpenMode::kCreate)->MapAppends(0).code(),
            absl::StatusCode::kInvalidArgument);
  WriteFile("ro", "x");
  EXPECT_EQ(Open("ro", OpenMode::kRead)->MapAppends(4096).code(),
            absl::StatusCode::kFailedPrecondition);
  std::unique_ptr<File> file = Open("log", OpenMode::kCreate);
  ASSERT_TRUE(file->MapAppends(1).ok()) << "rounded up to a page";
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("log"), "abc");
}

// A process that dies with mapped appends outstanding loses none of them:
// they were in the page cache, as a write's would be. Its file is left
// reserved, the appended bytes followed by zeros.
TEST_F(PosixFileSystemTest, MappedAppendsSurviveTheProcessDying) {
  const std::string path = Path("log");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<File>> file = fs_.OpenFile(path, OpenMode::kCreate);
    if (!file.ok() || !(*file)->MapAppends(8192).ok()) ::_exit(2);
    for (int i = 0; i < 1000; ++i) {
      if (!(*file)->Append(absl::StrCat("record ", i, ";")).ok()) ::_exit(3);
    }
    ::_exit(0);  // no Close, no sync, no destructors
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += absl::StrCat("record ", i, ";");
  const std::string seen = Contents("log");
  ASSERT_GE(seen.size(), expected.size());
  EXPECT_EQ(seen.size() % 8192, 0u);
  EXPECT_EQ(seen.substr(0, expected.size()), expected);
  EXPECT_EQ(seen.substr(expected.size()), std::string(seen.size() - expected.size(), '\0'));
}

TEST_F(PosixFileSystemTest, AppendOnReopenedFileContinuesAtItsEnd) {
  WriteFile("a", "abc");
  std::unique_ptr<File> file = Open("a", OpenMode::kReadWrite);
  ASSERT_TRUE(file->Append("def").ok());
  EXPECT_EQ(Contents("a"), "abcdef");
}

TEST_F(PosixFileSystemTest, ReadPastTheEndReturnsTheShortCount) {
  WriteFile("a", "0123456789");
  std::unique_ptr<File> file = Open("a", OpenMode::kRead);
  char buffer[8];
  EXPECT_EQ(*file->Read(6, buffer), 4u);
  EXPECT_EQ(std::string_view(buffer, 4), "6789");
  EXPECT_EQ(*file->Read(10, buffer), 0u);
  EXPECT_EQ(*file->Read(1000, buffer), 0u);
}

TEST_F(PosixFileSystemTest, TruncateShrinksAndZeroExtends) {
  WriteFile("a", "0123456789");
  std::unique_ptr<File> file = Open("a", OpenMode::kReadWrite);
  ASSERT_TRUE(file->Truncate(4).ok());
  EXPECT_EQ(*file->Size(), 4u);
  EXPECT_EQ(Contents("a"), "0123");
  ASSERT_TRUE(file->Truncate(7).ok());
  EXPECT_EQ(*file->Size(), 7u);
  EXPECT_EQ(Contents("a"), std::string("0123\0\0\0", 7));
}

TEST_F(PosixFileSystemTest, SizeCountsUnsyncedWrites) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreateNew);
  EXPECT_EQ(*file->Size(), 0u);
  ASSERT_TRUE(file->Append("12345").ok());
  EXPECT_EQ(*file->Size(), 5u);
  EXPECT_EQ(*fs_.FileSize(Path("a")), 5u);
}

TEST_F(PosixFileSystemTest, SyncsSucceed) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Append("data").ok());
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_TRUE(file->SyncData().ok());
  EXPECT_TRUE(fs_.SyncDir(dir_).ok());
  EXPECT_TRUE(absl::IsNotFound(fs_.SyncDir(Path("missing"))));
}

TEST_F(PosixFileSystemTest, DropUnsyncedDataIsUnimplemented) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreateNew);
  EXPECT_TRUE(absl::IsUnimplemented(file->DropUnsyncedData()));
}

TEST_F(PosixFileSystemTest, RenameReplacesTheTarget) {
  WriteFile("source", "new");
  WriteFile("target", "old");
  std::unique_ptr<File> old_target = Open("target", OpenMode::kRead);
  ASSERT_TRUE(fs_.Rename(Path("source"), Path("target")).ok());
  EXPECT_EQ(Contents("target"), "new");
  EXPECT_FALSE(*fs_.Exists(Path("source")));
  // The replaced file lives on for handles that had it open.
  char buffer[3];
  ASSERT_EQ(*old_target->Read(0, buffer), 3u);
  EXPECT_EQ(std::string_view(buffer, 3), "old");
  EXPECT_TRUE(absl::IsNotFound(fs_.Rename(Path("source"), Path("target"))));
}

TEST_F(PosixFileSystemTest, ListDirIsSortedAndRemoveFileRemoves) {
  for (const char* name : {"b", "a", "c.log", "MANIFEST", "B"}) WriteFile(name, "x");
  ASSERT_TRUE(fs_.CreateDir(Path("sub")).ok());
  EXPECT_EQ(*fs_.ListDir(dir_),
            (std::vector<std::string>{"B", "MANIFEST", "a", "b", "c.log", "sub"}));
  ASSERT_TRUE(fs_.RemoveFile(Path("b")).ok());
  EXPECT_TRUE(absl::IsNotFound(fs_.RemoveFile(Path("b"))));
  EXPECT_EQ(*fs_.ListDir(dir_), (std::vector<std::string>{"B", "MANIFEST", "a", "c.log", "sub"}));
  EXPECT_TRUE(fs_.ListDir(Path("sub"))->empty());
  EXPECT_TRUE(absl::IsNotFound(fs_.ListDir(Path("missing")).status()));
}

TEST_F(PosixFileSystemTest, ExistsAndFileSize) {
  EXPECT_FALSE(*fs_.Exists(Path("a")));
  WriteFile("a", "12345");
  EXPECT_TRUE(*fs_.Exists(Path("a")));
  EXPECT_TRUE(*fs_.Exists(dir_));
  EXPECT_FALSE(*fs_.Exists(Path("a/below_a_file")));
  EXPECT_EQ(*fs_.FileSize(Path("a")), 5u);
  const absl::Status missing = fs_.FileSize(Path("missing")).status();
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_NE(MessageOf(missing).find(Path("missing")), std::string::npos) << missing;
}

TEST_F(PosixFileSystemTest, CreateAndRemoveDirectories) {
  ASSERT_TRUE(fs_.CreateDir(Path("d")).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(fs_.CreateDir(Path("d"))));
  EXPECT_TRUE(absl::IsNotFound(fs_.CreateDir(Path("no/parent"))));
  WriteFile("d/f", "x");
  EXPECT_TRUE(absl::IsFailedPrecondition(fs_.RemoveDir(Path("d"))));
  ASSERT_TRUE(fs_.RemoveFile(Path("d/f")).ok());
  ASSERT_TRUE(fs_.RemoveDir(Path("d")).ok());
  EXPECT_FALSE(*fs_.Exists(Path("d")));
  EXPECT_TRUE(absl::IsNotFound(fs_.RemoveDir(Path("d"))));
}

TEST_F(PosixFileSystemTest, OpenModes) {
  const absl::Status missing = fs_.OpenFile(Path("a"), OpenMode::kRead).status();
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_NE(MessageOf(missing).find("open " + Path("a")), std::string::npos) << missing;
  EXPECT_TRUE(absl::IsNotFound(fs_.OpenFile(Path("a"), OpenMode::kReadWrite).status()));

  WriteFile("a", "contents");
  EXPECT_TRUE(absl::IsAlreadyExists(fs_.OpenFile(Path("a"), OpenMode::kCreateNew).status()));
  Open("a", OpenMode::kCreate);
  EXPECT_EQ(Contents("a"), "contents");
  Open("a", OpenMode::kTruncate);
  EXPECT_EQ(Contents("a"), "");
  EXPECT_TRUE(absl::IsFailedPrecondition(fs_.OpenFile(dir_, OpenMode::kRead).status()));
}

TEST_F(PosixFileSystemTest, ReadOnlyHandleRejectsChanges) {
  WriteFile("a", "abc");
  std::unique_ptr<File> file = Open("a", OpenMode::kRead);
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Write(0, "x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Truncate(0)));
  EXPECT_EQ(Contents("a"), "abc");
}

TEST_F(PosixFileSystemTest, ClosedFileFailsAndCloseIsIdempotent) {
  std::unique_ptr<File> file = Open("a", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_TRUE(file->Close().ok());
  char buffer[1];
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Read(0, buffer).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Write(0, "x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Truncate(0)));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Sync()));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->SyncData()));
  EXPECT_TRUE(absl::IsFailedPrecondition(file->Size().status()));
}

TEST_F(PosixFileSystemTest, LockIsExclusiveUntilReleased) {
  absl::StatusOr<std::unique_ptr<FileLock>> lock = fs_.LockFile(Path("LOCK"));
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(*fs_.Exists(Path("LOCK")));
  const absl::Status again = fs_.LockFile(Path("LOCK")).status();
  EXPECT_TRUE(IsBusy(again)) << again;
  EXPECT_NE(MessageOf(again).find(Path("LOCK")), std::string::npos) << again;
  // Another spelling of the same file gets past the path set, and flock stops it.
  EXPECT_TRUE(IsBusy(fs_.LockFile(dir_ + "/./LOCK").status()));
  // The failed attempts closed their descriptors without dropping the lock.
  EXPECT_TRUE(IsBusy(fs_.LockFile(Path("LOCK")).status()));

  lock->reset();
  absl::StatusOr<std::unique_ptr<FileLock>> relock = fs_.LockFile(Path("LOCK"));
  EXPECT_TRUE(relock.ok()) << relock.status();
  EXPECT_TRUE(absl::IsNotFound(fs_.LockFile(Path("missing/LOCK")).status()));
}

TEST_F(PosixFileSystemTest, PathsWithNulAreRejected) {
  const std::string path = Path(std::string("a\0b", 3));
  EXPECT_TRUE(absl::IsInvalidArgument(fs_.OpenFile(path, OpenMode::kCreate).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(fs_.Exists(path).status()));
}

TEST(PosixErrorTest, ErrnoMapsToKinds) {
  EXPECT_TRUE(absl::IsNotFound(internal::ErrnoStatus("op", "p", ENOENT)));
  EXPECT_TRUE(absl::IsAlreadyExists(internal::ErrnoStatus("op", "p", EEXIST)));
  EXPECT_TRUE(IsNoSpace(internal::ErrnoStatus("op", "p", ENOSPC)));
  EXPECT_TRUE(IsNoSpace(internal::ErrnoStatus("op", "p", EDQUOT)));
  EXPECT_TRUE(absl::IsFailedPrecondition(internal::ErrnoStatus("op", "p", ENOTEMPTY)));
  const absl::Status io = internal::ErrnoStatus("write", "/db/000001.log", EIO);
  EXPECT_TRUE(IsIOError(io));
  EXPECT_FALSE(IsNoSpace(io));
  EXPECT_NE(MessageOf(io).find("write /db/000001.log: "), std::string::npos) << io;
  EXPECT_NE(MessageOf(io).find("Input/output error"), std::string::npos) << io;
}

}  // namespace
}  // namespace kiln
