#include "db/dbformat.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(DbFormatTest, RoundTrip) {
  const std::string key = MakeInternalKey("apple", 42, ValueType::kValue);
  ParsedInternalKey parsed;
  ASSERT_TRUE(ParseInternalKey(key, parsed));
  EXPECT_EQ(parsed.user_key, "apple");
  EXPECT_EQ(parsed.sequence, 42u);
  EXPECT_EQ(parsed.type, ValueType::kValue);
  EXPECT_EQ(ExtractUserKey(key), "apple");
  EXPECT_EQ(ExtractSequence(key), 42u);
  EXPECT_EQ(ExtractValueType(key), ValueType::kValue);
}

TEST(DbFormatTest, RejectsMalformed) {
  ParsedInternalKey parsed;
  EXPECT_FALSE(ParseInternalKey("short", parsed));
  std::string bad = MakeInternalKey("k", 1, ValueType::kValue);
  bad.back() = 0;  // sequence bytes are fine, but set an unknown type:
  bad[bad.size() - 8] = 9;
  EXPECT_FALSE(ParseInternalKey(bad, parsed));
}

TEST(DbFormatTest, OrdersByUserKeyThenNewestFirst) {
  std::vector<std::string> keys = {
      MakeInternalKey("b", 1, ValueType::kValue),  MakeInternalKey("a", 1, ValueType::kValue),
      MakeInternalKey("a", 9, ValueType::kDeletion), MakeInternalKey("a", 5, ValueType::kValue),
      MakeInternalKey("", 3, ValueType::kValue),   MakeInternalKey("ab", 0, ValueType::kValue),
  };
  std::sort(keys.begin(), keys.end(), InternalKeyLess());
  std::vector<std::string> described;
  for (const auto& k : keys) described.push_back(DebugInternalKey(k));
  EXPECT_EQ(described, (std::vector<std::string>{"'' @3 : 1", "'a' @9 : 0", "'a' @5 : 1",
                                                 "'a' @1 : 1", "'ab' @0 : 1", "'b' @1 : 1"}));
  // A seek key at a snapshot lands on the newest visible version.
  const std::string seek = MakeInternalKey("a", 6, kValueTypeForSeek);
  auto it = std::lower_bound(keys.begin(), keys.end(), seek, InternalKeyLess());
  EXPECT_EQ(DebugInternalKey(*it), "'a' @5 : 1");
}

}  // namespace
}  // namespace kiln
