// Versions: applying edits keeps levels ordered; CheckInvariants catches every
// kind of broken Version; overlap queries agree with a brute-force scan.
// Pure in-memory logic, so plain tests.
#include "db/version.h"

#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/version_edit.h"
#include "gtest/gtest.h"
#include "kiln/random.h"

namespace kiln {
namespace {

FileMetaData Meta(uint64_t number, std::string_view smallest, std::string_view largest,
                  SequenceNumber smallest_seq = 1, SequenceNumber largest_seq = 10) {
  return FileMetaData{.number = number,
                      .size_bytes = 100 * number,
                      .smallest = MakeInternalKey(smallest, largest_seq, ValueType::kValue),
                      .largest = MakeInternalKey(largest, smallest_seq, ValueType::kValue),
                      .smallest_seq = smallest_seq,
                      .largest_seq = largest_seq,
                      .num_entries = 1};
}

std::shared_ptr<const FileMetaData> Shared(FileMetaData meta) {
  return std::make_shared<const FileMetaData>(std::move(meta));
}

// A Version with bucket 0 "default" (and bucket 1 "one"), built by hand,
// unchecked.
struct Builder {
  BucketVersion buckets[2] = {BucketVersion{.id = 0, .name = "default"},
                              BucketVersion{.id = 1, .name = "one"}};
  uint64_t next_file_number = 1000;

  Builder& Add(uint32_t bucket, int level, FileMetaData meta) {
    buckets[bucket].levels[level].push_back(Shared(std::move(meta)));
    return *this;
  }
  Version Build() const {
    // Stored under ids 0 and 1 whatever the buckets say.
    Version::BucketMap map;
    for (uint32_t id = 0; id < 2; ++id) {
      map[id] = std::make_shared<const BucketVersion>(buckets[id]);
    }
    return Version(std::move(map), next_file_number);
  }
};

std::shared_ptr<const Version> Base() {
  VersionEdit edit;
  edit.AddBucket(0, "default", BucketOptions{});
  edit.next_file_number = 100;
  absl::StatusOr<std::shared_ptr<const Version>> version = Version::Apply(Version(), edit);
  EXPECT_TRUE(version.ok()) << version.status();
  return *version;
}

std::vector<uint64_t> Numbers(const FileList& files) {
  std::vector<uint64_t> numbers;
  for (const auto& file : files) numbers.push_back(file->number);
  return numbers;
}

TEST(VersionTest, EmptyVersion) {
  const Version version;
  EXPECT_TRUE(version.buckets().empty());
  EXPECT_TRUE(version.CheckInvariants().ok());
  EXPECT_EQ(version.FindBucket(0), nullptr);
  EXPECT_TRUE(version.FileNumbers().empty());
}

TEST(VersionTest, MaxLevel0FilesIsTheDeepestBucketsL0) {
  EXPECT_EQ(Version().max_level0_files(), 0u);
  Builder builder;
  builder.Add(0, 0, Meta(1, "a", "b", 1, 1)).Add(0, 1, Meta(2, "a", "b", 1, 1));
  builder.Add(1, 0, Meta(3, "a", "b", 3, 3)).Add(1, 0, Meta(4, "a", "b", 4, 4));
  EXPECT_EQ(builder.Build().max_level0_files(), 2u);
  // Apply builds through the same constructor.
  VersionEdit edit;
  edit.AddFile(0, 0, Meta(51, "c", "d", 5, 5));
  edit.AddFile(0, 0, Meta(52, "e", "f", 6, 6));
  absl::StatusOr<std::shared_ptr<const Version>> applied = Version::Apply(*Base(), edit);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ((*applied)->max_level0_files(), 2u);
}

TEST(VersionTest, ApplyKeepsLevelsOrdered) {
  VersionEdit edit;
  edit.AddFile(0, 0, Meta(5, "a", "z", 1, 10));
  edit.AddFile(0, 0, Meta(7, "c", "d", 11, 20));
  edit.AddFile(0, 0, Meta(6, "b", "y", 11, 20));  // same largest_seq as 7: by number
  edit.AddFile(0, 1, Meta(9, "m", "p"));
  edit.AddFile(0, 1, Meta(8, "a", "c"));
  edit.AddFile(0, 1, Meta(10, "q", "q"));
  absl::StatusOr<std::shared_ptr<const Version>> version = Version::Apply(*Base(), edit);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(Numbers((*version)->files(0, 0)), (std::vector<uint64_t>{7, 6, 5}));
  EXPECT_EQ(Numbers((*version)->files(0, 1)), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_EQ((*version)->NumFiles(0, 1), 3u);
  EXPECT_EQ((*version)->LevelBytes(0, 1), 2700u);
  EXPECT_EQ((*version)->LevelSummary(0), "files[ 3 3 0 0 0 0 0 ] bytes[ 1800 2700 0 0 0 0 0 ]");
  EXPECT_EQ((*version)->FileNumbers(), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ((*version)->next_file_number(), 100u);

  // Move file 9 down a level and delete 5, in one edit.
  VersionEdit next;
  next.DeleteFile(0, 1, 9);
  next.AddFile(0, 2, Meta(9, "m", "p"));
  next.DeleteFile(0, 0, 5);
  next.next_file_number = 200;
  absl::StatusOr<std::shared_ptr<const Version>> moved = Version::Apply(**version, next);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(Numbers((*moved)->files(0, 0)), (std::vector<uint64_t>{7, 6}));
  EXPECT_EQ(Numbers((*moved)->files(0, 1)), (std::vector<uint64_t>{8, 10}));
  EXPECT_EQ(Numbers((*moved)->files(0, 2)), (std::vector<uint64_t>{9}));
  EXPECT_EQ((*moved)->next_file_number(), 200u);
  // The old Version is unchanged.
  EXPECT_EQ(Numbers((*version)->files(0, 1)), (std::vector<uint64_t>{8, 9, 10}));
}

TEST(VersionTest, ApplySharesUntouchedBuckets) {
  VersionEdit add;
  add.AddBucket(1, "one", BucketOptions{.bloom_bits_per_key = 3});
  add.AddFile(1, 1, Meta(11, "a", "b"));
  absl::StatusOr<std::shared_ptr<const Version>> two = Version::Apply(*Base(), add);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_NE((*two)->FindBucketByName("one"), nullptr);
  EXPECT_EQ((*two)->FindBucketByName("one")->id, 1u);
  EXPECT_EQ((*two)->FindBucket(1)->options.bloom_bits_per_key, 3);
  EXPECT_EQ((*two)->FindBucketByName("two"), nullptr);

  VersionEdit touch_default;
  touch_default.AddFile(0, 0, Meta(12, "a", "b"));
  absl::StatusOr<std::shared_ptr<const Version>> three = Version::Apply(**two, touch_default);
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ((*three)->FindBucket(1), (*two)->FindBucket(1));
  EXPECT_NE((*three)->FindBucket(0), (*two)->FindBucket(0));

  VersionEdit drop;
  drop.DropBucket(1);
  absl::StatusOr<std::shared_ptr<const Version>> dropped = Version::Apply(**three, drop);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ((*dropped)->FindBucket(1), nullptr);
  EXPECT_EQ((*dropped)->FileNumbers(), (std::vector<uint64_t>{12}));
}

TEST(VersionTest, ApplyRejectsEditsThatDoNotFit) {
  const std::shared_ptr<const Version> base = Base();
  auto expect_rejected = [&](const VersionEdit& edit, std::string_view why) {
    absl::StatusOr<std::shared_ptr<const Version>> result = Version::Apply(*base, edit);
    EXPECT_FALSE(result.ok()) << why;
    EXPECT_TRUE(absl::IsFailedPrecondition(result.status()) || absl::IsInternal(result.status()))
        << why << ": " << result.status();
  };
  VersionEdit edit;
  edit.DeleteFile(0, 1, 5);
  expect_rejected(edit, "delete a missing file");
  edit = {};
  edit.AddFile(3, 1, Meta(5, "a", "b"));
  expect_rejected(edit, "add to a missing bucket");
  edit = {};
  edit.AddBucket(0, "again", BucketOptions{});
  expect_rejected(edit, "add an existing bucket");
  edit = {};
  edit.AddBucket(4, "default", BucketOptions{});
  expect_rejected(edit, "reuse a live name");
  edit = {};
  edit.DropBucket(0);
  expect_rejected(edit, "drop the default bucket");
  edit = {};
  edit.DropBucket(9);
  expect_rejected(edit, "drop a missing bucket");
  edit = {};
  edit.AddFile(0, 1, Meta(5, "a", "k"));
  edit.AddFile(0, 1, Meta(6, "k", "z"));
  expect_rejected(edit, "overlapping user keys at L1");
  edit = {};
  edit.AddFile(0, 1, Meta(5, "a", "k"));
  edit.AddFile(0, 2, Meta(5, "m", "z"));
  expect_rejected(edit, "one number twice");
  edit = {};
  edit.AddFile(0, 1, Meta(100, "a", "k"));
  expect_rejected(edit, "number not below next_file_number");
  edit = {};
  edit.AddFile(0, 1, Meta(5, "a", "k"));
  edit.DeleteFile(0, 1, 5);
  expect_rejected(edit, "deletions apply before additions");
  // Dropping a bucket and reusing its name in one edit is fine.
  VersionEdit add_one;
  add_one.AddBucket(1, "one", BucketOptions{});
  absl::StatusOr<std::shared_ptr<const Version>> with_one = Version::Apply(*base, add_one);
  ASSERT_TRUE(with_one.ok());
  VersionEdit replace;
  replace.DropBucket(1);
  replace.AddBucket(2, "one", BucketOptions{});
  EXPECT_TRUE(Version::Apply(**with_one, replace).ok());
}

TEST(VersionTest, CheckInvariantsAcceptsAWellFormedVersion) {
  Builder builder;
  builder.Add(0, 0, Meta(9, "a", "z", 20, 30))
      .Add(0, 0, Meta(8, "b", "c", 5, 30))
      .Add(0, 0, Meta(3, "a", "b", 1, 4))
      .Add(0, 1, Meta(4, "a", "c"))
      .Add(0, 1, Meta(5, "d", "d"))
      .Add(1, 6, Meta(6, "a", "z"));
  const absl::Status status = builder.Build().CheckInvariants();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(VersionTest, CheckInvariantsCatchesEveryBrokenVersion) {
  struct Case {
    std::string why;
    Builder builder;
  };
  std::vector<Case> cases;
  auto add = [&cases](std::string why) -> Builder& {
    cases.push_back({std::move(why), Builder{}});
    return cases.back().builder;
  };
  add("L1 files share a user key")
      .Add(0, 1, Meta(4, "a", "k", 1, 1))
      .Add(0, 1, Meta(5, "k", "z", 9, 9));  // internal keys disjoint, user keys not
  add("L1 unsorted").Add(0, 1, Meta(5, "m", "z")).Add(0, 1, Meta(4, "a", "c"));
  add("L3 overlap").Add(0, 3, Meta(4, "a", "m")).Add(0, 3, Meta(5, "c", "z"));
  add("L0 oldest first").Add(0, 0, Meta(3, "a", "b", 1, 4)).Add(0, 0, Meta(8, "b", "c", 5, 30));
  add("L0 same seq, lower number first")
      .Add(0, 0, Meta(3, "a", "b", 1, 30))
      .Add(0, 0, Meta(8, "b", "c", 5, 30));
  add("number twice across buckets").Add(0, 1, Meta(4, "a", "b")).Add(1, 2, Meta(4, "a", "b"));
  add("number twice across levels").Add(0, 1, Meta(4, "a", "b")).Add(0, 2, Meta(4, "a", "b"));
  add("number at next_file_number").Add(0, 1, Meta(1000, "a", "b"));
  add("number 0").Add(0, 1, Meta(0, "a", "b"));
  add("smallest above largest").Add(0, 1, Meta(4, "z", "a"));
  add("sequences reversed").Add(0, 1, Meta(4, "a", "b", 9, 3));
  FileMetaData malformed = Meta(4, "a", "b");
  malformed.largest = "short";
  add("malformed key").Add(0, 2, malformed);
  add("duplicate bucket name").buckets[1].name = "default";
  add("empty bucket name").buckets[1].name = "";
  add("bucket under another id").buckets[1].id = 7;

  for (const Case& c : cases) {
    const absl::Status status = c.builder.Build().CheckInvariants();
    EXPECT_TRUE(absl::IsInternal(status)) << c.why << ": " << status;
  }
}

TEST(VersionTest, OverlappingFilesMatchesABruteForceScan) {
  Random random(99);
  for (int round = 0; round < 50; ++round) {
    // Disjoint files at L2 over two-letter keys; random files at L0.
    Builder builder;
    uint64_t number = 1;
    for (char c = 'a'; c <= 'y'; c = static_cast<char>(c + 1 + random.Uniform(3))) {
      if (random.OneIn(3)) continue;
      const std::string lo(1, c);
      const std::string hi = random.OneIn(2) ? lo : lo + "z";
      builder.Add(0, 2, Meta(number++, lo, hi));
    }
    for (int i = 0; i < 6; ++i) {
      std::string lo(1, static_cast<char>('a' + random.Uniform(26)));
      std::string hi(1, static_cast<char>('a' + random.Uniform(26)));
      if (hi < lo) std::swap(lo, hi);
      builder.Add(0, 0, Meta(number++, lo, hi, 1, 100 - static_cast<uint64_t>(i)));
    }
    const Version version = builder.Build();
    ASSERT_TRUE(version.CheckInvariants().ok()) << version.CheckInvariants();
    for (int query = 0; query < 50; ++query) {
      std::optional<std::string> lo, hi;
      if (!random.OneIn(5)) lo = std::string(1, static_cast<char>('a' + random.Uniform(26)));
      if (!random.OneIn(5)) hi = std::string(1, static_cast<char>('a' + random.Uniform(26)));
      if (random.OneIn(3) && lo) *lo += "m";
      for (int level : {0, 2}) {
        std::vector<uint64_t> expected;
        for (const auto& file : version.files(0, level)) {
          const bool before = lo && file->largest_user_key() < *lo;
          const bool after = hi && file->smallest_user_key() > *hi;
          if (!before && !after) expected.push_back(file->number);
        }
        const std::optional<std::string_view> lo_view =
            lo ? std::optional<std::string_view>(*lo) : std::nullopt;
        const std::optional<std::string_view> hi_view =
            hi ? std::optional<std::string_view>(*hi) : std::nullopt;
        EXPECT_EQ(Numbers(version.OverlappingFiles(0, level, lo_view, hi_view)), expected)
            << "level " << level << " [" << lo.value_or("-inf") << ", " << hi.value_or("+inf")
            << "]\n"
            << version.DebugString();
      }
    }
  }
}

TEST(VersionTest, DebugStringIsCanonical) {
  VersionEdit a;
  a.AddFile(0, 1, Meta(5, "a", "b"));
  a.AddFile(0, 1, Meta(6, "c", "d"));
  VersionEdit b;
  b.AddFile(0, 1, Meta(6, "c", "d"));
  b.AddFile(0, 1, Meta(5, "a", "b"));
  const std::shared_ptr<const Version> base = Base();
  const auto x = Version::Apply(*base, a);
  const auto y = Version::Apply(*base, b);
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ((*x)->DebugString(), (*y)->DebugString());
  EXPECT_NE((*x)->DebugString(), base->DebugString());
  EXPECT_NE((*x)->DebugString().find("L1 #5"), std::string::npos) << (*x)->DebugString();
}

}  // namespace
}  // namespace kiln
