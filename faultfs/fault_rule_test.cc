#include "faultfs/fault_rule.h"

#include <set>
#include <string>

#include "faultfs/glob.h"
#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

TEST(GlobMatchTest, LiteralsMatchOnlyThemselves) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_TRUE(GlobMatch("/db/CURRENT", "/db/CURRENT"));
  EXPECT_FALSE(GlobMatch("/db/CURRENT", "/db/CURRENT2"));
  EXPECT_FALSE(GlobMatch("/db/CURRENT", "/db/CURREN"));
  EXPECT_FALSE(GlobMatch("a", ""));
}

TEST(GlobMatchTest, QuestionMarkMatchesExactlyOneByte) {
  EXPECT_TRUE(GlobMatch("00000?.log", "000003.log"));
  EXPECT_FALSE(GlobMatch("00000?.log", "00003.log"));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("??", "ab"));
}

TEST(GlobMatchTest, StarMatchesAnyRunIncludingSlashes) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "/any/path"));
  EXPECT_TRUE(GlobMatch("*.log", "/db/000001.log"));
  EXPECT_FALSE(GlobMatch("*.log", "/db/000001.sst"));
  EXPECT_TRUE(GlobMatch("/db/*/x", "/db/a/b/x"));
  EXPECT_TRUE(GlobMatch("*MANIFEST-*", "/db/MANIFEST-000002"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYYbcd"));
  EXPECT_TRUE(GlobMatch("**a**", "bab"));
  // Backtracking past an earlier partial match.
  EXPECT_TRUE(GlobMatch("*aab", "aaab"));
  EXPECT_FALSE(GlobMatch("*aab", "aaba"));
}

TEST(GlobMatchTest, StarInPatternIsAlwaysAWildcard) {
  EXPECT_TRUE(GlobMatch("*", "*"));
  EXPECT_TRUE(GlobMatch("a*", "a*b"));
  EXPECT_FALSE(GlobMatch("a*c", "a*b"));
}

TEST(FaultRuleTest, NamesAreStableAndRoundTrip) {
  EXPECT_EQ(FileOpName(FileOp::kOpen), "open");
  EXPECT_EQ(FileOpName(FileOp::kSyncData), "sync_data");
  EXPECT_EQ(FileOpName(FileOp::kLock), "lock");
  EXPECT_EQ(FaultKindName(FaultKind::kEio), "eio");
  EXPECT_EQ(FaultKindName(FaultKind::kLatentSectorError), "latent_sector_error");
  EXPECT_EQ(FaultKindName(FaultKind::kSyncLosesData), "sync_loses_data");
  std::set<std::string> op_names;
  for (size_t i = 0; i < kFileOpCount; ++i) {
    const auto op = static_cast<FileOp>(i);
    op_names.emplace(FileOpName(op));
    EXPECT_EQ(FileOpFromName(FileOpName(op)), op);
  }
  EXPECT_EQ(op_names.size(), kFileOpCount);
  std::set<std::string> kind_names;
  for (size_t i = 0; i < kFaultKindCount; ++i) {
    const auto kind = static_cast<FaultKind>(i);
    kind_names.emplace(FaultKindName(kind));
    EXPECT_EQ(FaultKindFromName(FaultKindName(kind)), kind);
  }
  EXPECT_EQ(kind_names.size(), kFaultKindCount);
  EXPECT_EQ(FileOpFromName("fsync"), std::nullopt);
  EXPECT_EQ(FaultKindFromName("EIO"), std::nullopt);
}

TEST(FaultRuleTest, ValidationRejectsRulesThatCannotMeanAnything) {
  auto valid = [](const FaultRule& rule, bool have_clock = false) {
    return ValidateFaultRule(rule, have_clock).ok();
  };
  EXPECT_TRUE(valid({.name = "r", .kind = FaultKind::kEio}));
  EXPECT_TRUE(
      valid({.name = "r", .when = {.ops = {FileOp::kRead}}, .kind = FaultKind::kShortRead}));
  EXPECT_FALSE(
      valid({.name = "r", .when = {.ops = {FileOp::kAppend}}, .kind = FaultKind::kShortRead}));
  EXPECT_FALSE(
      valid({.name = "r", .when = {.ops = {FileOp::kRead}}, .kind = FaultKind::kShortWrite}));
  EXPECT_FALSE(valid({.name = "r", .when = {.ops = {FileOp::kRead}}, .kind = FaultKind::kNoSpace}));
  EXPECT_FALSE(
      valid({.name = "r", .when = {.ops = {FileOp::kWrite}}, .kind = FaultKind::kSyncLosesData}));
  EXPECT_FALSE(valid({.name = "r",
                      .when = {.ops = {FileOp::kSync, FileOp::kRead}},
                      .kind = FaultKind::kSyncLosesData}));
  EXPECT_FALSE(valid({.name = "r", .when = {.probability = 1.5}, .kind = FaultKind::kEio}));
  EXPECT_FALSE(valid({.name = "r", .when = {.probability = -0.1}, .kind = FaultKind::kEio}));
  EXPECT_FALSE(valid({.name = "r", .kind = FaultKind::kLatency, .latency_ns = 10}));
  EXPECT_TRUE(valid({.name = "r", .kind = FaultKind::kLatency, .latency_ns = 10}, true));
  EXPECT_FALSE(valid({.name = "r", .kind = FaultKind::kLatency, .latency_ns = 0}, true));
  EXPECT_FALSE(valid({.name = "r", .kind = FaultKind::kLatentSectorError, .sector_size_bytes = 0}));
  EXPECT_FALSE(valid({.name = "r",
                      .kind = FaultKind::kMisdirectedWrite,
                      .sector_size_bytes = kMaxFaultSectorSizeBytes + 1}));
  const absl::Status status = ValidateFaultRule(
      {.name = "wal-tear", .when = {.ops = {FileOp::kRead}}, .kind = FaultKind::kShortWrite},
      false);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(std::string(status.message()).find("wal-tear"), std::string::npos);
}

TEST(FaultRuleTest, EmptyOpsMeansEveryOpTheKindAppliesTo) {
  const FaultRule short_read{.name = "r", .kind = FaultKind::kShortRead};
  EXPECT_TRUE(RuleSelects(short_read, FileOp::kRead, "/db/1.sst", ""));
  EXPECT_FALSE(RuleSelects(short_read, FileOp::kAppend, "/db/1.sst", ""));
  const FaultRule eio{.name = "r", .kind = FaultKind::kEio};
  for (size_t i = 0; i < kFileOpCount; ++i) {
    EXPECT_TRUE(RuleSelects(eio, static_cast<FileOp>(i), "/x", ""));
  }
}

TEST(FaultRuleTest, FileKindAndGlobFiltersBothApply) {
  const FaultRule rule{.name = "r",
                       .when = {.file_kinds = {FileKind::kWal}, .path_glob = "/db/*"},
                       .kind = FaultKind::kEio};
  EXPECT_TRUE(RuleSelects(rule, FileOp::kAppend, "/db/000001.log", ""));
  EXPECT_FALSE(RuleSelects(rule, FileOp::kAppend, "/other/000001.log", ""));
  EXPECT_FALSE(RuleSelects(rule, FileOp::kAppend, "/db/000001.sst", ""));
}

TEST(FaultRuleTest, RenameIsSelectedBySourceOrTarget) {
  const FaultRule rule{.name = "r",
                       .when = {.ops = {FileOp::kRename}, .file_kinds = {FileKind::kCurrent}},
                       .kind = FaultKind::kEio};
  EXPECT_TRUE(RuleSelects(rule, FileOp::kRename, "/db/000007.tmp", "/db/CURRENT"));
  EXPECT_TRUE(RuleSelects(rule, FileOp::kRename, "/db/CURRENT", "/db/old"));
  EXPECT_FALSE(RuleSelects(rule, FileOp::kRename, "/db/000007.tmp", "/db/000007.sst"));
  // The target only counts for renames.
  EXPECT_FALSE(RuleSelects({.name = "r", .when = {.file_kinds = {FileKind::kCurrent}}},
                           FileOp::kOpen, "/db/x", "/db/CURRENT"));
}

TEST(FaultRuleTest, RecordToStringNamesEverything) {
  const FaultRecord record{.sequence = 12,
                           .op = FileOp::kAppend,
                           .path = "/db/000003.log",
                           .kind = FaultKind::kShortWrite,
                           .rule_name = "wal-tear",
                           .detail = "appended 37 of 100 bytes"};
  EXPECT_EQ(record.ToString(),
            "#12 append /db/000003.log short_write [wal-tear]: appended 37 of 100 bytes");
}

}  // namespace
}  // namespace kiln::faultfs
