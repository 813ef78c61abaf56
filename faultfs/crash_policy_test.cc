#include "faultfs/crash_policy.h"

#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

TEST(CrashPolicyTest, EnumNamesRoundTrip) {
  for (DataLoss loss : {DataLoss::kDropUnsynced, DataLoss::kKeepPrefix, DataLoss::kKeepSubset,
                        DataLoss::kTornWrite}) {
    EXPECT_EQ(*ParseDataLoss(DataLossName(loss)), loss);
  }
  for (DirLoss loss : {DirLoss::kDropUnsynced, DirLoss::kKeepPrefix, DirLoss::kKeepSubset}) {
    EXPECT_EQ(*ParseDirLoss(DirLossName(loss)), loss);
  }
  for (TornFill fill : {TornFill::kZeros, TornFill::kGarbage}) {
    EXPECT_EQ(*ParseTornFill(TornFillName(fill)), fill);
  }
  EXPECT_EQ(DataLossName(DataLoss::kTornWrite), "torn_write");
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDataLoss("torn").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDirLoss("torn_write").status()));
}

TEST(CrashPolicyTest, PresetsHaveDistinctNamesAndRoundTrip) {
  std::vector<std::string_view> names;
  for (const NamedCrashPolicy& preset : CrashPolicyPresets()) {
    names.push_back(preset.name);
    EXPECT_EQ(*ParseCrashPolicy(preset.name), preset.policy) << preset.name;
    EXPECT_EQ(*ParseCrashPolicy(CrashPolicyToText(preset.policy)), preset.policy) << preset.name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"strict", "prefix", "reorder", "torn", "torn_garbage"}));
  EXPECT_EQ(*FindCrashPolicyPreset("strict"), CrashPolicy{});
  EXPECT_FALSE(FindCrashPolicyPreset("lenient").has_value());
}

TEST(CrashPolicyTest, CanonicalText) {
  const CrashPolicy policy = {.data = DataLoss::kTornWrite,
                              .dirs = DirLoss::kKeepPrefix,
                              .sector_size_bytes = 4096,
                              .torn_fill = TornFill::kGarbage};
  EXPECT_EQ(CrashPolicyToText(policy),
            "data=torn_write dirs=keep_prefix sector_size=4096 fill=garbage");
  EXPECT_EQ(*ParseCrashPolicy(CrashPolicyToText(policy)), policy);
}

TEST(CrashPolicyTest, ParsesPartialFieldsInAnyOrder) {
  const CrashPolicy parsed = *ParseCrashPolicy("  fill=garbage   data=keep_subset ");
  EXPECT_EQ(parsed, (CrashPolicy{.data = DataLoss::kKeepSubset, .torn_fill = TornFill::kGarbage}));
  EXPECT_EQ(*ParseCrashPolicy(" torn "), *FindCrashPolicyPreset("torn"));
}

TEST(CrashPolicyTest, RejectsMalformedText) {
  for (std::string_view bad : {"", "   ", "nonsense", "data=", "data=keep_prefix data=keep_subset",
                               "colour=red", "sector_size=0", "sector_size=-4", "sector_size=65537",
                               "sector_size=12x", "data keep_prefix"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseCrashPolicy(bad).status())) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace kiln::faultfs
