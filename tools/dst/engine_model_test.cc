// The engine workload's reference model: visibility by sequence, range
// tombstones, batch boundaries and completeness.
#include "tools/dst/engine_model.h"

#include "gtest/gtest.h"

namespace kiln::dst {
namespace {

ModelEntry Put(int bucket, std::string key, std::string value) {
  return ModelEntry{.kind = ModelEntry::Kind::kPut, .bucket = bucket, .key = key, .value = value};
}
ModelEntry Del(int bucket, std::string key) {
  return ModelEntry{.kind = ModelEntry::Kind::kDelete, .bucket = bucket, .key = key};
}
ModelEntry DelRange(int bucket, std::string begin, std::string end) {
  return ModelEntry{
      .kind = ModelEntry::Kind::kDeleteRange, .bucket = bucket, .key = begin, .value = end};
}

TEST(EngineModelTest, VisibilityFollowsSequences) {
  EngineModel model;
  model.Reset(ModelState{}, 0);
  EXPECT_EQ(model.AddBatch(1, {Put(0, "a", "1")}), "");
  EXPECT_EQ(model.AddBatch(3, {Put(0, "b", "2"), Del(0, "a")}), "");
  EXPECT_EQ(model.Get(0, "a", 1), "1");
  EXPECT_EQ(model.Get(0, "a", 3), std::nullopt);
  EXPECT_EQ(model.Get(0, "b", 1), std::nullopt);
  EXPECT_EQ(model.Get(0, "b", 2), "2");
  EXPECT_EQ(model.Get(1, "b", 3), std::nullopt);
}

TEST(EngineModelTest, RangeTombstoneHidesOnlyOlderVersions) {
  EngineModel model;
  model.Reset(ModelState{}, 0);
  ASSERT_EQ(model.AddBatch(2, {Put(1, "a1", "x"), Put(1, "b1", "y")}), "");
  // Within one batch a later put survives an earlier range deletion.
  ASSERT_EQ(model.AddBatch(4, {DelRange(1, "a", "b"), Put(1, "a2", "z")}), "");
  EXPECT_EQ(model.Get(1, "a1", 2), "x");
  EXPECT_EQ(model.Get(1, "a1", 4), std::nullopt);
  EXPECT_EQ(model.Get(1, "a2", 4), "z");
  EXPECT_EQ(model.Get(1, "b1", 4), "y");  // end is exclusive
  ModelState applied;
  ApplyEntries({Put(1, "a1", "x"), Put(1, "b1", "y"), DelRange(1, "a", "b"), Put(1, "a2", "z")},
               applied);
  EXPECT_EQ(model.StateAt(4), applied);
  EXPECT_EQ(DescribeStateDifference(model.StateAt(4), applied), "");
  EXPECT_NE(DescribeStateDifference(model.StateAt(2), applied), "");
}

TEST(EngineModelTest, CompletenessAndBoundariesTrackOutOfOrderBatches) {
  EngineModel model;
  ModelState base;
  base[0]["k"] = "base";
  model.Reset(base, 10);
  EXPECT_EQ(model.Get(0, "k", 10), "base");
  EXPECT_NE(model.AddBatch(10, {Put(0, "k", "v")}), "");  // at the base
  ASSERT_EQ(model.AddBatch(13, {Put(0, "k", "v13"), Put(0, "j", "v13")}), "");
  EXPECT_EQ(model.complete_through(), 10u);
  EXPECT_NE(model.AddBatch(12, {Put(0, "x", "y")}), "");  // overlaps 12..13
  ASSERT_EQ(model.AddBatch(11, {Put(0, "k", "v11")}), "");
  EXPECT_EQ(model.complete_through(), 13u);
  EXPECT_EQ(model.max_sequence(), 13u);
  EXPECT_EQ(model.Boundaries(0, 100), (std::vector<uint64_t>{10, 11, 13}));
  EXPECT_EQ(model.Boundaries(11, 12), (std::vector<uint64_t>{11}));
  EXPECT_EQ(model.Get(0, "k", 11), "v11");
  EXPECT_EQ(model.Get(0, "k", 12), "v13");  // entry 0 of the batch 12..13
  EXPECT_EQ(model.Get(0, "j", 12), std::nullopt);
}

}  // namespace
}  // namespace kiln::dst
