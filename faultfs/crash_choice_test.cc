#include "faultfs/crash_choice.h"

#include "gtest/gtest.h"

namespace kiln::faultfs {
namespace {

CrashChoice Example() {
  CrashChoice choice;
  choice.kept_dir_ops = {true, false, true, true};
  choice.inodes.push_back(InodeCrashChoice{.inode_id = 3, .kept_ops = {0, 1}});
  choice.inodes.push_back(InodeCrashChoice{
      .inode_id = 5,
      .kept_ops = {},
      .torn = TornWriteChoice{
          .op_index = 1,
          .sector_size_bytes = 4,
          .fill = TornFill::kGarbage,
          .garbage_seed = 18446744073709551615u,
          .sectors = {SectorOutcome::kNew, SectorOutcome::kOld, SectorOutcome::kFill}}});
  return choice;
}

TEST(CrashChoiceTest, TextFormIsStable) {
  // Scenario files embed this text: changing it breaks them.
  EXPECT_EQ(Example().ToText(),
            "dirs=1011; inode=3 keep=0,1; inode=5 keep=- torn=1 sector_size=4 fill=garbage "
            "seed=18446744073709551615 sectors=NOF");
  EXPECT_EQ(CrashChoice{}.ToText(), "dirs=-");
}

TEST(CrashChoiceTest, TextRoundTrips) {
  for (const CrashChoice& choice : {Example(), CrashChoice{}}) {
    absl::StatusOr<CrashChoice> parsed = CrashChoice::FromText(choice.ToText());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, choice);
  }
  // Spacing is free.
  absl::StatusOr<CrashChoice> spaced = CrashChoice::FromText(
      " dirs=1011 ;inode=3   keep=0,1;  inode=5 keep=- torn=1 sector_size=4 fill=garbage "
      "seed=18446744073709551615 sectors=NOF ");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(*spaced, Example());
}

TEST(CrashChoiceTest, RejectsMalformedText) {
  for (std::string_view bad : {
           "",
           "dirs=",
           "dirs=102",
           "inode=3 keep=-",
           "dirs=1; inode=3",
           "dirs=1; keep=- inode=3",
           "dirs=1; inode=3 keep=1,0",
           "dirs=1; inode=3 keep=1,1",
           "dirs=1; inode=3 keep=",
           "dirs=1; inode=3 keep=- keep=-",
           "dirs=1; inode=4 keep=-; inode=3 keep=-",
           "dirs=1; inode=3 keep=- torn=1",
           "dirs=1; inode=3 keep=- torn=1 sector_size=4 fill=zeros seed=0 sectors=NOX",
           "dirs=1; inode=3 keep=- torn=1 sector_size=0 fill=zeros seed=0 sectors=N",
           "dirs=1; inode=3 keep=- torn=1 sector_size=4 fill=pink seed=0 sectors=N",
           "dirs=1; inode=3 keep=- colour=red",
           "dirs=1; inode=-3 keep=-",
           "dirs=1; inode=99999999999999999999 keep=-",
       }) {
    EXPECT_TRUE(absl::IsInvalidArgument(CrashChoice::FromText(bad).status())) << "'" << bad << "'";
  }
}

TEST(CrashChoiceTest, CoveredSectorCount) {
  EXPECT_EQ(CoveredSectorCount(0, 0, 4), 0u);
  EXPECT_EQ(CoveredSectorCount(0, 4, 4), 1u);
  EXPECT_EQ(CoveredSectorCount(2, 8, 4), 3u);
  EXPECT_EQ(CoveredSectorCount(3, 1, 4), 1u);
  EXPECT_EQ(CoveredSectorCount(3, 2, 4), 2u);
  EXPECT_EQ(CoveredSectorCount(512, 4096, 512), 8u);
}

}  // namespace
}  // namespace kiln::faultfs
