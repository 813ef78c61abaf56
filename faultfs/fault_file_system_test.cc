// Every test runs over both bases FaultFileSystem is meant to wrap: the
// in-memory MemFileSystem and the real PosixFileSystem (in a fresh directory
// under $TEST_TMPDIR). Each fault must fire exactly where its rule aims it and
// nowhere else, and leave exactly its documented mark on the base.
#include "faultfs/fault_file_system.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "env/posix_env.h"
#include "faultfs/mem_file_system.h"
#include "gtest/gtest.h"
#include "kiln/status.h"
#include "util/assert.h"

namespace kiln::faultfs {

// Readable gtest failure messages.
void PrintTo(const FaultRecord& record, std::ostream* os) { *os << record.ToString(); }

namespace {

absl::Status StatusOf(const absl::Status& status) { return status; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

#define EXPECT_OK(expression)                                    \
  do {                                                           \
    const absl::Status status_ = StatusOf(expression);           \
    EXPECT_TRUE(status_.ok()) << #expression << ": " << status_; \
  } while (0)
#define ASSERT_OK(expression)                                    \
  do {                                                           \
    const absl::Status status_ = StatusOf(expression);           \
    ASSERT_TRUE(status_.ok()) << #expression << ": " << status_; \
  } while (0)

// An injected IOError that is not the NoSpace flavour.
bool IsPlainIOError(const absl::Status& status) { return IsIOError(status) && !IsNoSpace(status); }

// Time moves only when someone sleeps.
class FakeClock final : public Clock {
 public:
  uint64_t MonotonicNs() override { return now_ns_.load(); }
  uint64_t WallNs() override { return now_ns_.load(); }
  void SleepNs(uint64_t duration_ns) override { now_ns_ += duration_ns; }

 private:
  std::atomic<uint64_t> now_ns_{1'000'000};
};

enum class BaseKind { kMem, kPosix };
void PrintTo(BaseKind kind, std::ostream* os) { *os << (kind == BaseKind::kMem ? "Mem" : "Posix"); }

struct Base {
  std::unique_ptr<FileSystem> fs;
  std::string root;  // an existing, empty directory
};

Base NewBase(BaseKind kind) {
  Base base;
  if (kind == BaseKind::kMem) {
    static int mem_dirs = 0;
    base.fs = std::make_unique<MemFileSystem>();
    base.root = "/db" + std::to_string(mem_dirs++);
  } else {
    static int posix_dirs = 0;
    base.fs = std::make_unique<PosixFileSystem>();
    const char* tmp = std::getenv("TEST_TMPDIR");
    base.root =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/fault_fs_" + std::to_string(posix_dirs++);
  }
  const absl::Status created = base.fs->CreateDir(base.root);
  KILN_ASSERT_MSG(created.ok(), created.ToString().c_str());
  return base;
}

std::string ReadAll(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenFile(path, OpenMode::kRead);
  if (!file.ok()) return "<" + file.status().ToString() + ">";
  auto size = (*file)->Size();
  if (!size.ok()) return "<" + size.status().ToString() + ">";
  std::string contents(*size, '\0');
  auto read = (*file)->Read(0, std::span<char>(contents.data(), contents.size()));
  if (!read.ok()) return "<" + read.status().ToString() + ">";
  contents.resize(*read);
  return contents;
}

// 0..255 repeating: every byte differs from its neighbours.
std::string Pattern(size_t length) {
  std::string bytes(length, '\0');
  for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<char>(i % 251);
  return bytes;
}

class FaultFileSystemTest : public ::testing::TestWithParam<BaseKind> {
 protected:
  void SetUp() override {
    base_ = NewBase(GetParam());
    fs_ = std::make_unique<FaultFileSystem>(*base_.fs,
                                            FaultFileSystemOptions{.clock = &clock_, .seed = 42});
  }

  std::string Path(std::string_view name) const { return base_.root + "/" + std::string(name); }

  std::unique_ptr<File> Open(std::string_view name, OpenMode mode = OpenMode::kCreate) {
    auto file = fs_->OpenFile(Path(name), mode);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? std::move(*file) : nullptr;
  }

  RuleId Add(FaultRule rule) {
    auto id = fs_->AddRule(std::move(rule));
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : 0;
  }

  // Writes a durable file through the base, bypassing every rule.
  void PutBase(std::string_view name, std::string_view contents) {
    auto file = base_.fs->OpenFile(Path(name), OpenMode::kTruncate);
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append(contents));
    ASSERT_OK((*file)->Sync());
    ASSERT_OK((*file)->Close());
  }
  std::string GetBase(std::string_view name) { return ReadAll(*base_.fs, Path(name)); }

  absl::StatusOr<std::string> ReadThrough(File& file, uint64_t offset, size_t length) {
    std::string out(length, '\0');
    auto read = file.Read(offset, std::span<char>(out.data(), out.size()));
    if (!read.ok()) return read.status();
    out.resize(*read);
    return out;
  }

  FakeClock clock_;
  Base base_;
  std::unique_ptr<FaultFileSystem> fs_;  // destroyed before base_
};

INSTANTIATE_TEST_SUITE_P(Bases, FaultFileSystemTest,
                         ::testing::Values(BaseKind::kMem, BaseKind::kPosix),
                         [](const ::testing::TestParamInfo<BaseKind>& info) {
                           return info.param == BaseKind::kMem ? "Mem" : "Posix";
                         });

TEST_P(FaultFileSystemTest, PassesEveryOpThroughWhenNoRuleFires) {
  Add({.name = "never", .when = {.probability = 0.0}, .kind = FaultKind::kEio});
  ASSERT_OK(fs_->CreateDir(Path("sub")));
  auto file = Open("000001.log", OpenMode::kCreateNew);
  ASSERT_NE(file, nullptr);
  ASSERT_OK(file->Append("hello "));
  ASSERT_OK(file->Write(6, "world"));
  ASSERT_OK(file->Truncate(11));
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->SyncData());
  EXPECT_EQ(*file->Size(), 11u);
  EXPECT_EQ(*ReadThrough(*file, 0, 100), "hello world");
  ASSERT_OK(file->Close());
  ASSERT_OK(fs_->Rename(Path("000001.log"), Path("000002.log")));
  ASSERT_OK(fs_->SyncDir(base_.root));
  EXPECT_EQ(*fs_->ListDir(base_.root), (std::vector<std::string>{"000002.log", "sub"}));
  EXPECT_EQ(*fs_->FileSize(Path("000002.log")), 11u);
  EXPECT_TRUE(*fs_->Exists(Path("000002.log")));
  {
    auto lock = fs_->LockFile(Path("LOCK"));
    ASSERT_OK(lock);
  }
  ASSERT_OK(fs_->RemoveFile(Path("000002.log")));
  ASSERT_OK(fs_->RemoveDir(Path("sub")));
  EXPECT_FALSE(*fs_->Exists(Path("000002.log")));
  EXPECT_EQ(fs_->fault_count(), 0u);
  EXPECT_TRUE(fs_->log().empty());
}

TEST_P(FaultFileSystemTest, NthFiresOnlyOnTheNthMatchingOp) {
  Add({.name = "third-wal-append",
       .when = {.ops = {FileOp::kAppend}, .file_kinds = {FileKind::kWal}, .nth = 3},
       .kind = FaultKind::kEio});
  auto wal = Open("000001.log");
  auto table = Open("000002.sst");
  EXPECT_OK(wal->Append("a"));    // WAL append 1
  EXPECT_OK(table->Append("t"));  // not a WAL: not counted
  EXPECT_OK(wal->Sync());         // not an append: not counted
  EXPECT_OK(wal->Append("b"));    // WAL append 2
  EXPECT_OK(table->Append("t"));
  EXPECT_OK(table->Append("t"));
  EXPECT_TRUE(IsPlainIOError(wal->Append("c")));  // WAL append 3
  EXPECT_OK(wal->Append("d"));                    // 4
  EXPECT_OK(wal->Append("e"));                    // 5
  EXPECT_EQ(GetBase("000001.log"), "abde");
  EXPECT_EQ(GetBase("000002.sst"), "ttt");
  const std::vector<FaultRecord> log = fs_->log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].op, FileOp::kAppend);
  EXPECT_EQ(log[0].path, Path("000001.log"));
  EXPECT_EQ(log[0].kind, FaultKind::kEio);
  EXPECT_EQ(log[0].rule_name, "third-wal-append");
}

TEST_P(FaultFileSystemTest, NthAndLaterFiresOnTheNthAndEveryLaterOp) {
  Add({.name = "wal-full",
       .when = {.ops = {FileOp::kAppend},
                .file_kinds = {FileKind::kWal},
                .nth = 3,
                .occurrence = OccurrenceMode::kNthAndLater},
       .kind = FaultKind::kNoSpace});
  auto wal = Open("000001.log");
  auto table = Open("000002.sst");
  EXPECT_OK(wal->Append("a"));
  EXPECT_OK(wal->Append("b"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(IsNoSpace(wal->Append("x"))) << i;
    EXPECT_OK(table->Append("t"));
  }
  EXPECT_EQ(GetBase("000001.log"), "ab");
  EXPECT_EQ(GetBase("000002.sst"), "ttttt");
  EXPECT_EQ(fs_->fault_count(FaultKind::kNoSpace), 5u);
}

TEST_P(FaultFileSystemTest, PathGlobSelectsOnlyMatchingPaths) {
  Add({.name = "manifest-sync",
       .when = {.ops = {FileOp::kSync}, .path_glob = "*/MANIFEST-*"},
       .kind = FaultKind::kEio});
  auto manifest = Open("MANIFEST-000001");
  auto wal = Open("000002.log");
  auto current = Open("CURRENT");
  EXPECT_OK(wal->Sync());
  EXPECT_OK(current->Sync());
  EXPECT_TRUE(IsPlainIOError(manifest->Sync()));
  EXPECT_OK(manifest->SyncData());  // op filter: only sync
  EXPECT_TRUE(IsPlainIOError(manifest->Sync()));
  EXPECT_EQ(fs_->fault_count(), 2u);
  for (const FaultRecord& record : fs_->log()) EXPECT_EQ(record.path, Path("MANIFEST-000001"));
}

TEST_P(FaultFileSystemTest, FileKindFilterSelectsOnlyThatKind) {
  Add({.name = "tables", .when = {.file_kinds = {FileKind::kTable}}, .kind = FaultKind::kEio});
  EXPECT_TRUE(IsPlainIOError(StatusOf(fs_->OpenFile(Path("000001.sst"), OpenMode::kCreate))));
  EXPECT_FALSE(*base_.fs->Exists(Path("000001.sst")));  // the failed open created nothing
  EXPECT_TRUE(IsPlainIOError(StatusOf(fs_->Exists(Path("000001.sst")))));
  auto wal = Open("000001.log");
  ASSERT_NE(wal, nullptr);
  EXPECT_OK(wal->Append("x"));
  EXPECT_OK(fs_->FileSize(Path("000001.log")));
  EXPECT_OK(fs_->Exists(Path("MANIFEST-000003")));
  EXPECT_EQ(fs_->fault_count(), 2u);
}

TEST_P(FaultFileSystemTest, ProbabilityZeroNeverFiresAndOneAlwaysFires) {
  const RuleId never =
      Add({.name = "never", .when = {.probability = 0.0}, .kind = FaultKind::kEio});
  for (int i = 0; i < 100; ++i) EXPECT_OK(fs_->Exists(Path("x")));
  const RuleId always =
      Add({.name = "always", .when = {.probability = 1.0}, .kind = FaultKind::kEio});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(IsPlainIOError(StatusOf(fs_->Exists(Path("x")))));
  EXPECT_EQ(fs_->fault_count(), 100u);
  for (const FaultRecord& record : fs_->log()) EXPECT_EQ(record.rule_name, "always");
  fs_->RemoveRule(always);
  for (int i = 0; i < 100; ++i) EXPECT_OK(fs_->Exists(Path("x")));
  fs_->RemoveRule(never);
}

// Which of 200 Exists calls a p = 0.5 rule failed, as a string of 0s and 1s.
std::string HalfProbabilityPattern(FileSystem& base, const std::string& path, uint64_t seed) {
  FaultFileSystem fs(base, {.seed = seed});
  KILN_ASSERT(
      fs.AddRule({.name = "coin", .when = {.probability = 0.5}, .kind = FaultKind::kEio}).ok());
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += fs.Exists(path).ok() ? '0' : '1';
  return pattern;
}

TEST_P(FaultFileSystemTest, ProbabilityIsDeterministicPerSeed) {
  const std::string seed_1 = HalfProbabilityPattern(*base_.fs, Path("x"), 1);
  EXPECT_EQ(HalfProbabilityPattern(*base_.fs, Path("x"), 1), seed_1);
  EXPECT_NE(HalfProbabilityPattern(*base_.fs, Path("x"), 2), seed_1);
  const auto fired = std::count(seed_1.begin(), seed_1.end(), '1');
  EXPECT_GT(fired, 60);
  EXPECT_LT(fired, 140);
}

// Each op, with a rule aimed at it alone, fails with the fault's error and
// leaves the base exactly as it was.
TEST_P(FaultFileSystemTest, EioAndNoSpaceFailTheOpWithoutTouchingTheBase) {
  PutBase("data.sst", "durable contents");
  ASSERT_OK(base_.fs->CreateDir(Path("empty")));
  auto snapshot = [&] {
    std::string text;
    const absl::StatusOr<std::vector<std::string>> names = base_.fs->ListDir(base_.root);
    for (const std::string& name : *names) text += name + ",";
    return text + GetBase("data.sst") + "|" + std::to_string(*base_.fs->FileSize(Path("data.sst")));
  };
  const std::string before = snapshot();
  auto run = [&](FileOp op) -> absl::Status {
    std::unique_ptr<File> wrapped;
    if (op != FileOp::kOpen) {
      auto opened = fs_->OpenFile(Path("data.sst"), OpenMode::kReadWrite);
      if (!opened.ok()) return absl::UnknownError("setup open failed");
      wrapped = std::move(*opened);
    }
    char buffer[8];
    switch (op) {
      case FileOp::kOpen:
        return StatusOf(fs_->OpenFile(Path("new.sst"), OpenMode::kCreate));
      case FileOp::kRead:
        return StatusOf(wrapped->Read(0, buffer));
      case FileOp::kWrite:
        return wrapped->Write(0, "XXXX");
      case FileOp::kAppend:
        return wrapped->Append("XXXX");
      case FileOp::kTruncate:
        return wrapped->Truncate(3);
      case FileOp::kSync:
        return wrapped->Sync();
      case FileOp::kSyncData:
        return wrapped->SyncData();
      case FileOp::kSize:
        return StatusOf(wrapped->Size());
      case FileOp::kClose:
        return wrapped->Close();
      case FileOp::kCreateDir:
        return fs_->CreateDir(Path("newdir"));
      case FileOp::kRemoveDir:
        return fs_->RemoveDir(Path("empty"));
      case FileOp::kRemoveFile:
        return fs_->RemoveFile(Path("data.sst"));
      case FileOp::kRename:
        return fs_->Rename(Path("data.sst"), Path("moved.sst"));
      case FileOp::kSyncDir:
        return fs_->SyncDir(base_.root);
      case FileOp::kListDir:
        return StatusOf(fs_->ListDir(base_.root));
      case FileOp::kFileSize:
        return StatusOf(fs_->FileSize(Path("data.sst")));
      case FileOp::kExists:
        return StatusOf(fs_->Exists(Path("data.sst")));
      case FileOp::kLock:
        return StatusOf(fs_->LockFile(Path("LOCK")));
    }
    return absl::UnknownError("unknown op");
  };
  uint64_t expected_faults = 0;
  for (size_t i = 0; i < kFileOpCount; ++i) {
    const auto op = static_cast<FileOp>(i);
    for (FaultKind kind : {FaultKind::kEio, FaultKind::kNoSpace}) {
      if (!FaultKindAppliesTo(kind, op)) continue;
      fs_->ClearRules();
      Add({.name = "only-this-op", .when = {.ops = {op}}, .kind = kind});
      const absl::Status status = run(op);
      if (kind == FaultKind::kEio) {
        EXPECT_TRUE(IsPlainIOError(status)) << FileOpName(op) << ": " << status;
      } else {
        EXPECT_TRUE(IsNoSpace(status)) << FileOpName(op) << ": " << status;
      }
      EXPECT_EQ(snapshot(), before) << FileOpName(op) << " " << FaultKindName(kind);
      ++expected_faults;
      ASSERT_EQ(fs_->fault_count(), expected_faults);
      EXPECT_EQ(fs_->log().back().op, op);
    }
  }
  // A lock that failed to be taken is not held.
  fs_->ClearRules();
  EXPECT_OK(base_.fs->LockFile(Path("LOCK")));
  EXPECT_EQ(expected_faults, kFileOpCount + 10);  // kNoSpace applies to ten ops
}

TEST_P(FaultFileSystemTest, ShortReadReturnsFewerBytesThanAvailable) {
  const std::string data = Pattern(1000);
  PutBase("000001.sst", data);
  Add({.name = "short", .when = {.nth = 1}, .kind = FaultKind::kShortRead});
  auto file = Open("000001.sst", OpenMode::kRead);
  auto shortened = ReadThrough(*file, 0, 1000);
  ASSERT_OK(shortened);
  EXPECT_LT(shortened->size(), 1000u);
  EXPECT_EQ(*shortened, data.substr(0, shortened->size()));
  EXPECT_EQ(*ReadThrough(*file, 0, 1000), data);  // the 2nd read is whole
  ASSERT_EQ(fs_->fault_count(FaultKind::kShortRead), 1u);
  EXPECT_EQ(fs_->log()[0].detail,
            "returned " + std::to_string(shortened->size()) + " of 1000 bytes at offset 0");
}

TEST_P(FaultFileSystemTest, ShortWriteLeavesAStrictPrefixInTheBase) {
  const std::string data = Pattern(100);
  Add({.name = "torn-append",
       .when = {.ops = {FileOp::kAppend}, .nth = 2},
       .kind = FaultKind::kShortWrite});
  auto wal = Open("000001.log");
  ASSERT_OK(wal->Append("head"));
  EXPECT_TRUE(IsPlainIOError(wal->Append(data)));
  const std::string appended = GetBase("000001.log");
  ASSERT_GE(appended.size(), 4u);
  ASSERT_LT(appended.size(), 104u);
  EXPECT_EQ(appended, "head" + data.substr(0, appended.size() - 4));

  // Write at an offset: the prefix lands at that offset, the rest is untouched.
  PutBase("000002.sst", std::string(200, 'a'));
  Add({.name = "torn-write", .when = {.ops = {FileOp::kWrite}}, .kind = FaultKind::kShortWrite});
  auto table = Open("000002.sst", OpenMode::kReadWrite);
  EXPECT_TRUE(IsPlainIOError(table->Write(50, std::string(100, 'b'))));
  const std::string written = GetBase("000002.sst");
  ASSERT_EQ(written.size(), 200u);
  const size_t prefix = written.find_first_not_of('b', 50) - 50;
  EXPECT_LT(prefix, 100u);
  EXPECT_EQ(written,
            std::string(50, 'a') + std::string(prefix, 'b') + std::string(150 - prefix, 'a'));
  EXPECT_EQ(fs_->fault_count(FaultKind::kShortWrite), 2u);
}

TEST_P(FaultFileSystemTest, BitFlipChangesExactlyOneBitAndNotTheBase) {
  const std::string data = Pattern(256);
  PutBase("000001.sst", data);
  Add({.name = "flip", .when = {.nth = 1}, .kind = FaultKind::kBitFlipOnRead});
  auto file = Open("000001.sst", OpenMode::kRead);
  auto flipped = ReadThrough(*file, 0, 256);
  ASSERT_OK(flipped);
  ASSERT_EQ(flipped->size(), 256u);
  int bits_changed = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    bits_changed +=
        std::popcount(static_cast<unsigned>(static_cast<uint8_t>(data[i] ^ (*flipped)[i])));
  }
  EXPECT_EQ(bits_changed, 1);
  EXPECT_EQ(GetBase("000001.sst"), data);
  EXPECT_EQ(*ReadThrough(*file, 0, 256), data);
}

TEST_P(FaultFileSystemTest, LatentSectorErrorIsStickyUntilTheSectorIsRewritten) {
  PutBase("000001.sst", Pattern(2048));
  const RuleId rule = Add({.name = "lse",
                           .when = {.nth = 1},
                           .kind = FaultKind::kLatentSectorError,
                           .sector_size_bytes = 512});
  auto file = Open("000001.sst", OpenMode::kReadWrite);
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*file, 600, 100))));  // [512, 1024) goes bad
  fs_->RemoveRule(rule);
  EXPECT_OK(ReadThrough(*file, 0, 512));
  EXPECT_OK(ReadThrough(*file, 1024, 1024));
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*file, 1000, 100))));
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*file, 0, 2048))));
  // Sticky across handles: the sector is bad, not the handle.
  auto other = Open("000001.sst", OpenMode::kRead);
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*other, 1023, 1))));
  other.reset();
  // A write that does not cover the whole sector does not remap it.
  EXPECT_OK(file->Write(512, std::string(511, 'z')));
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*file, 512, 1))));
  EXPECT_OK(file->Write(512, std::string(512, 'z')));
  EXPECT_EQ(*ReadThrough(*file, 512, 512), std::string(512, 'z'));
  EXPECT_EQ(fs_->fault_count(FaultKind::kLatentSectorError), 5u);
  for (const FaultRecord& record : fs_->log()) EXPECT_EQ(record.rule_name, "lse");
}

TEST_P(FaultFileSystemTest, LatentSectorErrorFollowsRenameAndDropsOnRemove) {
  PutBase("000001.sst", Pattern(1024));
  Add({.name = "lse", .when = {.nth = 1}, .kind = FaultKind::kLatentSectorError});
  auto file = Open("000001.sst", OpenMode::kRead);
  EXPECT_FALSE(ReadThrough(*file, 0, 10).ok());
  ASSERT_OK(fs_->Rename(Path("000001.sst"), Path("000002.sst")));
  // The open handle follows the file; so does a new handle under the new name.
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*file, 0, 10))));
  EXPECT_EQ(fs_->log().back().path, Path("000002.sst"));
  file.reset();
  auto renamed = Open("000002.sst", OpenMode::kRead);
  EXPECT_TRUE(IsPlainIOError(StatusOf(ReadThrough(*renamed, 100, 10))));
  EXPECT_OK(ReadThrough(*renamed, 512, 512));
  renamed.reset();
  // A new file under the old name is a different file.
  PutBase("000001.sst", Pattern(1024));
  auto fresh = Open("000001.sst", OpenMode::kRead);
  EXPECT_OK(ReadThrough(*fresh, 0, 1024));
  fresh.reset();
  // Removing the file drops its bad sectors; a new file there reads fine.
  ASSERT_OK(fs_->RemoveFile(Path("000002.sst")));
  PutBase("000002.sst", Pattern(1024));
  auto recreated = Open("000002.sst", OpenMode::kRead);
  EXPECT_OK(ReadThrough(*recreated, 0, 1024));
}

TEST_P(FaultFileSystemTest, LatentSectorErrorRemappedByAppendAndDroppedByTruncate) {
  PutBase("000001.log", Pattern(100));
  Add({.name = "lse",
       .when = {.nth = 1},
       .kind = FaultKind::kLatentSectorError,
       .sector_size_bytes = 64});
  auto wal = Open("000001.log", OpenMode::kReadWrite);
  EXPECT_FALSE(ReadThrough(*wal, 70, 100).ok());  // [64, 128) and [128, 192)
  ASSERT_OK(wal->Append(std::string(92, 'x')));   // covers [100, 192): remaps [128, 192) only
  EXPECT_OK(ReadThrough(*wal, 128, 64));
  EXPECT_FALSE(ReadThrough(*wal, 64, 1).ok());
  ASSERT_OK(wal->Truncate(64));  // frees [64, 128)
  ASSERT_OK(wal->Append(std::string(10, 'y')));
  EXPECT_EQ(*ReadThrough(*wal, 64, 10), std::string(10, 'y'));
}

TEST_P(FaultFileSystemTest, MisdirectedWriteLandsElsewhereAndLeavesTheIntendedRange) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FaultFileSystem fs(*base_.fs, {.seed = seed});
    ASSERT_OK(fs.AddRule({.name = "misdirect", .kind = FaultKind::kMisdirectedWrite}));
    const std::string name = "000" + std::to_string(100 + seed) + ".sst";
    PutBase(name, std::string(4096, 'a'));
    {
      auto file = fs.OpenFile(Path(name), OpenMode::kReadWrite);
      ASSERT_OK(file);
      ASSERT_OK((*file)->Write(1000, std::string(100, 'b')));
    }
    const std::string contents = GetBase(name);
    ASSERT_GE(contents.size(), 4096u);
    EXPECT_EQ(contents.substr(1000, 100), std::string(100, 'a')) << seed;
    const size_t landed = contents.find('b');
    ASSERT_NE(landed, std::string::npos) << seed;
    EXPECT_EQ(landed % 512, 0u) << seed;
    EXPECT_EQ(contents.substr(landed, 100), std::string(100, 'b')) << seed;
    // Every other byte is old data, or the zeros of an extension past the end.
    for (size_t i = 0; i < contents.size(); ++i) {
      if (i >= landed && i < landed + 100) continue;
      ASSERT_EQ(contents[i], i < 4096 ? 'a' : '\0') << seed << " at " << i;
    }
    ASSERT_EQ(fs.log().size(), 1u);
    EXPECT_EQ(fs.log()[0].detail,
              "100 bytes meant for offset 1000 landed at offset " + std::to_string(landed));
  }
}

TEST_P(FaultFileSystemTest, MisdirectedAppendDoesNotLandAtTheEnd) {
  Add({.name = "misdirect",
       .when = {.ops = {FileOp::kAppend}, .nth = 2},
       .kind = FaultKind::kMisdirectedWrite,
       .sector_size_bytes = 256});
  auto wal = Open("000001.log");
  ASSERT_OK(wal->Append(std::string(1000, 'a')));
  ASSERT_OK(wal->Append(std::string(50, 'b')));
  const std::string contents = GetBase("000001.log");
  const size_t landed = contents.find('b');
  ASSERT_NE(landed, std::string::npos);
  EXPECT_NE(landed, 1000u);
  EXPECT_EQ(landed % 256, 0u);
  EXPECT_EQ(contents.substr(landed, 50), std::string(50, 'b'));
  if (contents.size() > 1000) {
    EXPECT_NE(contents.substr(1000, 50), std::string(50, 'b'));
  }
}

TEST_P(FaultFileSystemTest, LatencyAdvancesTheClockByExactlyTheConfiguredAmount) {
  Add({.name = "slow-wal-sync",
       .when = {.ops = {FileOp::kSync}, .file_kinds = {FileKind::kWal}},
       .kind = FaultKind::kLatency,
       .latency_ns = 5'000'000});
  auto wal = Open("000001.log");
  auto table = Open("000002.sst");
  const uint64_t start_ns = clock_.MonotonicNs();
  ASSERT_OK(wal->Append("x"));
  ASSERT_OK(table->Sync());
  EXPECT_EQ(clock_.MonotonicNs(), start_ns);
  ASSERT_OK(wal->Sync());  // slow, but it succeeds and syncs
  EXPECT_EQ(clock_.MonotonicNs(), start_ns + 5'000'000);
  ASSERT_OK(wal->Sync());
  EXPECT_EQ(clock_.MonotonicNs(), start_ns + 10'000'000);
  EXPECT_EQ(GetBase("000001.log"), "x");
  EXPECT_EQ(fs_->fault_count(FaultKind::kLatency), 2u);
  EXPECT_EQ(fs_->log()[0].detail, "slept 5000000 ns");

  FaultFileSystem no_clock(*base_.fs, {.seed = 1});
  EXPECT_TRUE(absl::IsInvalidArgument(
      StatusOf(no_clock.AddRule({.name = "slow", .kind = FaultKind::kLatency, .latency_ns = 1}))));
}

TEST_P(FaultFileSystemTest, SyncLosesDataDropsUnsyncedWritesWhereTheBaseCan) {
  auto wal = Open("000001.log");
  ASSERT_OK(wal->Append("durable"));
  ASSERT_OK(wal->Sync());
  ASSERT_OK(wal->Append("dirty"));
  Add({.name = "fsync-fail", .when = {.nth = 1}, .kind = FaultKind::kSyncLosesData});
  EXPECT_TRUE(IsPlainIOError(wal->SyncData()));
  // MemFileSystem forgets the dirty bytes, as Linux does; POSIX cannot, but
  // the sync still failed.
  const bool drops = GetParam() == BaseKind::kMem;
  EXPECT_EQ(GetBase("000001.log"), drops ? "durable" : "durabledirty");
  EXPECT_EQ(*wal->Size(), drops ? 7u : 12u);
  ASSERT_OK(wal->Append("again"));
  ASSERT_OK(wal->Sync());  // nth = 1: only the first sync failed
  EXPECT_EQ(GetBase("000001.log"), drops ? "durableagain" : "durabledirtyagain");
  ASSERT_EQ(fs_->fault_count(FaultKind::kSyncLosesData), 1u);
  EXPECT_EQ(fs_->log()[0].op, FileOp::kSyncData);
  EXPECT_EQ(fs_->log()[0].detail,
            drops ? "sync failed; unsynced writes dropped"
                  : "sync failed; the base cannot drop unsynced writes, so they were kept");
}

TEST_P(FaultFileSystemTest, LogCountersAndObserverRecordEachFault) {
  std::vector<FaultRecord> observed;
  fs_->SetObserver([&](const FaultRecord& record) {
    observed.push_back(record);
    EXPECT_EQ(fs_->log().back(), record);  // logged before the observer runs, lock not held
  });
  Add({.name = "eio-exists", .when = {.ops = {FileOp::kExists}}, .kind = FaultKind::kEio});
  Add({.name = "full", .when = {.ops = {FileOp::kCreateDir}}, .kind = FaultKind::kNoSpace});
  Add({.name = "slow",
       .when = {.ops = {FileOp::kListDir}},
       .kind = FaultKind::kLatency,
       .latency_ns = 7});
  EXPECT_FALSE(fs_->Exists(Path("a")).ok());
  EXPECT_FALSE(fs_->CreateDir(Path("d")).ok());
  EXPECT_OK(fs_->ListDir(base_.root));
  EXPECT_FALSE(fs_->Exists(Path("b")).ok());
  const std::vector<FaultRecord> log = fs_->log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(observed, log);
  for (size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].sequence, i);
  EXPECT_EQ(log[1].ToString(), "#1 create_dir " + Path("d") + " no_space [full]");
  EXPECT_EQ(log[2].ToString(), "#2 list_dir " + base_.root + " latency [slow]: slept 7 ns");
  EXPECT_EQ(fs_->fault_count(), 4u);
  EXPECT_EQ(fs_->fault_count(FaultKind::kEio), 2u);
  EXPECT_EQ(fs_->fault_count(FaultKind::kNoSpace), 1u);
  EXPECT_EQ(fs_->fault_count(FaultKind::kLatency), 1u);
  EXPECT_EQ(fs_->fault_count(FaultKind::kShortRead), 0u);
  fs_->SetObserver(nullptr);
}

TEST_P(FaultFileSystemTest, LogKeepsTheLastRecordsAndCountsThemAll) {
  Add({.name = "eio", .when = {.ops = {FileOp::kExists}}, .kind = FaultKind::kEio});
  const uint64_t total = kMaxFaultLogRecords + 10;
  for (uint64_t i = 0; i < total; ++i) EXPECT_FALSE(fs_->Exists(Path("x")).ok());
  const std::vector<FaultRecord> log = fs_->log();
  ASSERT_EQ(log.size(), kMaxFaultLogRecords);
  EXPECT_EQ(log.front().sequence, 10u);
  EXPECT_EQ(log.back().sequence, total - 1);
  EXPECT_EQ(fs_->fault_count(), total);
}

TEST_P(FaultFileSystemTest, DisabledRulesNeitherFireNorCount) {
  const RuleId second_append = Add(
      {.name = "second", .when = {.ops = {FileOp::kAppend}, .nth = 2}, .kind = FaultKind::kEio});
  const RuleId sync_window =
      Add({.name = "window", .when = {.ops = {FileOp::kSync}}, .kind = FaultKind::kEio});
  fs_->SetRuleEnabled(second_append, false);
  fs_->SetRuleEnabled(sync_window, false);
  auto wal = Open("000001.log");
  EXPECT_OK(wal->Append("1"));
  EXPECT_OK(wal->Append("2"));  // not counted while disabled
  EXPECT_OK(wal->Sync());
  fs_->SetRuleEnabled(second_append, true);
  fs_->SetRuleEnabled(sync_window, true);
  EXPECT_OK(wal->Append("3"));          // counted: 1st
  EXPECT_FALSE(wal->Append("4").ok());  // 2nd: fires
  EXPECT_FALSE(wal->Sync().ok());       // inside the window
  EXPECT_FALSE(wal->Sync().ok());
  fs_->SetRuleEnabled(sync_window, false);
  EXPECT_OK(wal->Sync());
  EXPECT_OK(wal->Append("5"));
  EXPECT_EQ(GetBase("000001.log"), "1235");
  EXPECT_EQ(fs_->fault_count(), 3u);
}

TEST_P(FaultFileSystemTest, FirstFiringRuleWinsAndLaterRulesStillCount) {
  Add({.name = "a", .when = {.ops = {FileOp::kAppend}, .nth = 2}, .kind = FaultKind::kEio});
  Add({.name = "b", .when = {.ops = {FileOp::kAppend}, .nth = 2}, .kind = FaultKind::kNoSpace});
  Add({.name = "c", .when = {.ops = {FileOp::kAppend}, .nth = 3}, .kind = FaultKind::kNoSpace});
  auto wal = Open("000001.log");
  EXPECT_OK(wal->Append("1"));
  EXPECT_TRUE(IsPlainIOError(wal->Append("2")));  // a and b both due: a wins, b's 2nd is used up
  EXPECT_TRUE(IsNoSpace(wal->Append("3")));       // c's 3rd, although a took the 2nd
  EXPECT_OK(wal->Append("4"));
  const std::vector<FaultRecord> log = fs_->log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].rule_name, "a");
  EXPECT_EQ(log[1].rule_name, "c");
}

TEST_P(FaultFileSystemTest, RenameIsSelectedByItsTargetAndHandlesFollowRenames) {
  PutBase("000001.tmp", "MANIFEST-000001\n");
  PutBase("000002.tmp", "table");
  Add({.name = "install-current",
       .when = {.ops = {FileOp::kRename}, .file_kinds = {FileKind::kCurrent}, .nth = 1},
       .kind = FaultKind::kEio});
  EXPECT_OK(fs_->Rename(Path("000002.tmp"), Path("000002.sst")));
  EXPECT_TRUE(IsPlainIOError(fs_->Rename(Path("000001.tmp"), Path("CURRENT"))));
  EXPECT_TRUE(*base_.fs->Exists(Path("000001.tmp")));
  EXPECT_FALSE(*base_.fs->Exists(Path("CURRENT")));
  EXPECT_EQ(fs_->log().back().path, Path("000001.tmp") + " -> " + Path("CURRENT"));

  // A handle opened under the temporary name is a CURRENT file once renamed.
  auto file = Open("000001.tmp", OpenMode::kReadWrite);
  Add({.name = "current-sync",
       .when = {.ops = {FileOp::kSync}, .file_kinds = {FileKind::kCurrent}},
       .kind = FaultKind::kEio});
  EXPECT_OK(file->Sync());
  ASSERT_OK(fs_->Rename(Path("000001.tmp"), Path("CURRENT")));
  EXPECT_TRUE(IsPlainIOError(file->Sync()));
  EXPECT_EQ(fs_->log().back().path, Path("CURRENT"));
}

TEST_P(FaultFileSystemTest, AddRuleValidates) {
  EXPECT_TRUE(absl::IsInvalidArgument(StatusOf(fs_->AddRule(
      {.name = "bad", .when = {.ops = {FileOp::kAppend}}, .kind = FaultKind::kShortRead}))));
  EXPECT_TRUE(absl::IsInvalidArgument(StatusOf(
      fs_->AddRule({.name = "bad", .when = {.probability = 2}, .kind = FaultKind::kEio}))));
  for (size_t i = 0; i < kMaxFaultRules; ++i) {
    ASSERT_OK(fs_->AddRule({.name = "r", .when = {.probability = 0}, .kind = FaultKind::kEio}));
  }
  EXPECT_TRUE(absl::IsFailedPrecondition(StatusOf(fs_->AddRule({.name = "one-too-many"}))));
  fs_->ClearRules();
  EXPECT_OK(fs_->AddRule({.name = "fits-again"}));
}

// Runs a small workload under probabilistic rules of every read/write kind
// and returns a transcript of results and faults, with the root made generic.
std::vector<std::string> Transcript(BaseKind kind, uint64_t seed) {
  Base base = NewBase(kind);
  FaultFileSystem fs(*base.fs, {.seed = seed});
  auto add = [&](FaultRule rule) { KILN_ASSERT(fs.AddRule(std::move(rule)).ok()); };
  add({.name = "eio-sync", .when = {.ops = {FileOp::kSync}, .probability = 0.2}});
  add({.name = "short-append", .when = {.probability = 0.2}, .kind = FaultKind::kShortWrite});
  add({.name = "misdirect", .when = {.probability = 0.1}, .kind = FaultKind::kMisdirectedWrite});
  add({.name = "short-read", .when = {.probability = 0.2}, .kind = FaultKind::kShortRead});
  add({.name = "flip", .when = {.probability = 0.2}, .kind = FaultKind::kBitFlipOnRead});
  add({.name = "lse", .when = {.probability = 0.05}, .kind = FaultKind::kLatentSectorError});
  std::vector<std::string> transcript;
  auto strip = [&](std::string text) {
    for (size_t at; (at = text.find(base.root)) != std::string::npos;) {
      text.replace(at, base.root.size(), "<root>");
    }
    return text;
  };
  {
    auto file = fs.OpenFile(base.root + "/000001.log", OpenMode::kCreate);
    KILN_ASSERT(file.ok());
    for (int i = 0; i < 60; ++i) {
      transcript.push_back(strip((*file)->Append(Pattern(100 + i)).ToString()));
      transcript.push_back(strip((*file)->Sync().ToString()));
      char buffer[300];
      auto read = (*file)->Read(i * 50, buffer);
      transcript.push_back(read.ok() ? std::string(buffer, *read)
                                     : strip(read.status().ToString()));
    }
  }
  for (const FaultRecord& record : fs.log()) transcript.push_back(strip(record.ToString()));
  return transcript;
}

TEST_P(FaultFileSystemTest, SameSeedGivesTheSameFaultsAndLog) {
  const std::vector<std::string> first = Transcript(GetParam(), 7);
  EXPECT_EQ(Transcript(GetParam(), 7), first);
  EXPECT_NE(Transcript(GetParam(), 8), first);
  EXPECT_GT(first.size(), 180u + 20u);  // some faults fired
}

TEST_P(FaultFileSystemTest, ConcurrentOpsAreCountedExactlyOnce) {
  Add({.name = "coin", .when = {.ops = {FileOp::kExists}, .probability = 0.5}});
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!fs_->Exists(Path("x")).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(fs_->fault_count(), failures.load());
  EXPECT_EQ(fs_->log().size(), failures.load());
  EXPECT_GT(failures.load(), 0u);
}

}  // namespace
}  // namespace kiln::faultfs
