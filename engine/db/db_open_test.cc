// What Db::Open removes of what a crash left behind.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/file_names.h"
#include "gtest/gtest.h"
#include "kiln/db.h"
#include "testing/test_env.h"

namespace kiln {
namespace {

class DbOpenTest : public testing::EnvTest {
 protected:
  Options BaseOptions() {
    Options options;
    options.env = &env();
    options.create_if_missing = true;
    return options;
  }
  std::string DbPath() { return Path("db"); }
  std::vector<std::string> Names(FileKind kind) {
    absl::StatusOr<std::vector<std::string>> names = env().file_system->ListDir(DbPath());
    EXPECT_TRUE(names.ok()) << names.status();
    std::vector<std::string> out;
    for (const std::string& name : *names) {
      if (ClassifyFileName(name) == kind) out.push_back(name);
    }
    return out;
  }
  void Plant(const std::string& name) {
    absl::StatusOr<std::unique_ptr<File>> file =
        env().file_system->OpenFile(DbPath() + "/" + name, OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append("left behind by a crash").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
};

TEST_P(DbOpenTest, OpenRemovesEveryManifestButTheLiveOneAndEveryTempFile) {
  RunInEnv([&] {
    {
      absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(BaseOptions(), DbPath());
      ASSERT_TRUE(db.ok()) << db.status();
      ASSERT_TRUE((*db)->Put("key", "value").ok());
      ASSERT_TRUE((*db)->Close().ok());
    }
    const std::vector<std::string> live = Names(FileKind::kManifest);
    ASSERT_EQ(live.size(), 1u);
    // A roll-over that crashed before CURRENT switched leaves a manifest
    // numbered above the live one; older ones and temporaries also linger.
    const std::vector<std::string> orphans = {"MANIFEST-999999", "MANIFEST-000000",
                                              "000777.tmp", "CURRENT.tmp"};
    for (const std::string& name : orphans) Plant(name);

    // A read-only open writes nothing, so it removes nothing.
    {
      Options read_only = BaseOptions();
      read_only.read_only = true;
      read_only.create_if_missing = false;
      absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(read_only, DbPath());
      ASSERT_TRUE(db.ok()) << db.status();
      ASSERT_TRUE((*db)->Close().ok());
      EXPECT_EQ(Names(FileKind::kManifest).size(), 3u);
      EXPECT_EQ(Names(FileKind::kTemp).size(), 2u);
    }

    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(BaseOptions(), DbPath());
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(Names(FileKind::kManifest).size(), 1u) << "an orphan manifest survived open";
    EXPECT_TRUE(Names(FileKind::kTemp).empty()) << "a temporary file survived open";
    absl::StatusOr<std::optional<std::string>> value = (*db)->Get("key");
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, std::optional<std::string>("value"));
    ASSERT_TRUE((*db)->Close().ok());

    // The survivor is the live manifest: the database opens again.
    db = Db::Open(BaseOptions(), DbPath());
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(*(*db)->Get("key"), std::optional<std::string>("value"));
    ASSERT_TRUE((*db)->Close().ok());
  });
}

KILN_INSTANTIATE_ENV_TEST(DbOpenTest);

}  // namespace
}  // namespace kiln
