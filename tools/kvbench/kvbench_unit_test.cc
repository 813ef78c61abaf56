// kvbench's parts on made-up numbers: the histogram's error bound, the
// child-to-parent wire format, medians, peer ratios, and JSON that parses.
#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "tools/kvbench/histogram.h"
#include "tools/kvbench/json_value.h"
#include "tools/kvbench/keys.h"
#include "tools/kvbench/measurement.h"
#include "tools/kvbench/report.h"

namespace kiln::kvbench {
namespace {

TEST(HistogramTest, BucketsTileTheRangeInOrder) {
  for (size_t bucket = 0; bucket + 1 < Histogram::kBuckets; ++bucket) {
    EXPECT_EQ(Histogram::BucketHigh(bucket), Histogram::BucketLow(bucket + 1)) << bucket;
    EXPECT_EQ(Histogram::BucketOf(Histogram::BucketLow(bucket)), bucket);
    EXPECT_EQ(Histogram::BucketOf(Histogram::BucketHigh(bucket) - 1), bucket);
  }
}

TEST(HistogramTest, PercentilesAreWithinTheBucketError) {
  Histogram histogram;
  for (uint64_t value = 1; value <= 100'000; ++value) histogram.Record(value);
  EXPECT_EQ(histogram.count(), 100'000u);
  EXPECT_EQ(histogram.min_ns(), 1u);
  EXPECT_EQ(histogram.max_ns(), 100'000u);
  EXPECT_NEAR(histogram.Percentile(0.5), 50'000, 50'000 / 16.0);
  EXPECT_NEAR(histogram.Percentile(0.99), 99'000, 99'000 / 16.0);
  EXPECT_EQ(histogram.Percentile(1.0), 100'000);
  EXPECT_NEAR(histogram.mean_ns(), 50'000.5, 1e-6);
}

TEST(HistogramTest, ShareOfSumCountsTheSlowOperationsTime) {
  Histogram histogram;
  EXPECT_EQ(histogram.ShareOfSumAtLeast(100'000), 0);
  // 990 operations of 1 us and 10 of 1 ms: the ten take 10,000 of the
  // 10,990 us.
  for (int i = 0; i < 990; ++i) histogram.Record(1'000);
  for (int i = 0; i < 10; ++i) histogram.Record(1'000'000);
  EXPECT_NEAR(histogram.ShareOfSumAtLeast(100'000), 10'000.0 / 10'990.0, 0.02);
  EXPECT_NEAR(histogram.ShareOfSumAtLeast(1), 1.0, 1e-9);
  EXPECT_EQ(histogram.ShareOfSumAtLeast(2'000'000), 0);
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram fast;
  Histogram slow;
  for (int i = 0; i < 90; ++i) fast.Record(1'000);
  for (int i = 0; i < 10; ++i) slow.Record(1'000'000);
  fast.Merge(slow);
  EXPECT_EQ(fast.count(), 100u);
  EXPECT_NEAR(fast.Percentile(0.5), 1'000, 1'000 / 16.0);
  EXPECT_NEAR(fast.Percentile(0.95), 1'000'000, 1'000'000 / 16.0);
  EXPECT_EQ(fast.max_ns(), 1'000'000u);
}

TEST(KeysTest, KeysAreSixteenDigitsInNumericOrder) {
  KeyFormatter keys;
  EXPECT_EQ(keys.Key(0), "0000000000000000");
  EXPECT_EQ(keys.Key(1234567), "0000000001234567");
  EXPECT_LT(std::string(keys.Key(99)), std::string(keys.Key(100)));
}

TEST(KeysTest, PermutationHoldsEveryNumberOnceAndIsSeeded) {
  const std::vector<uint32_t> order = Permutation(1000, 7);
  std::vector<bool> seen(1000, false);
  for (uint32_t n : order) {
    ASSERT_LT(n, 1000u);
    EXPECT_FALSE(seen[n]);
    seen[n] = true;
  }
  EXPECT_EQ(order, Permutation(1000, 7));
  EXPECT_NE(order, Permutation(1000, 8));
}

TEST(MeasurementTest, EncodeDecodeRoundTrips) {
  Measurement m;
  m.engine = "kiln";
  m.workload = "fillrandom";
  m.metrics["ops_per_sec"] = 123456.789;
  m.metrics["kiln.write_amplification"] = 2.5;
  m.error = "open: no such\nfile";
  const std::optional<Measurement> decoded = DecodeMeasurement(EncodeMeasurement(m));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->engine, "kiln");
  EXPECT_EQ(decoded->workload, "fillrandom");
  EXPECT_EQ(decoded->metrics, m.metrics);
  EXPECT_EQ(decoded->error, "open: no such file");
  EXPECT_FALSE(DecodeMeasurement("garbage").has_value());
  EXPECT_FALSE(DecodeMeasurement("engine=kiln workload=x m.ops=abc").has_value());
}

Measurement ReadRun(const std::string& engine, double ops_per_sec) {
  Measurement m;
  m.engine = engine;
  m.workload = "readrandom";
  m.metrics["ops_per_sec"] = ops_per_sec;
  return m;
}

TEST(MeasurementTest, MedianIsPerMetric) {
  const Measurement median = MedianOf({ReadRun("kiln", 5), ReadRun("kiln", 1), ReadRun("kiln", 3)});
  EXPECT_EQ(median.Get("ops_per_sec"), 3);
  EXPECT_FALSE(median.Get("missing").has_value());
}

ReportInput ThreeEngines() {
  ReportInput input;
  input.workloads = {"readrandom"};
  input.engines = {"kiln", "leveldb", "rocksdb"};
  input.runs[{"readrandom", "kiln"}] = {ReadRun("kiln", 300), ReadRun("kiln", 330)};
  input.runs[{"readrandom", "leveldb"}] = {ReadRun("leveldb", 100), ReadRun("leveldb", 100)};
  input.runs[{"readrandom", "rocksdb"}] = {ReadRun("rocksdb", 200), ReadRun("rocksdb", 220)};
  return input;
}

TEST(ReportTest, RatioIsAgainstTheBestOtherEngine) {
  const ReportInput input = ThreeEngines();
  EXPECT_DOUBLE_EQ(*RatioToBestPeer(input, "readrandom", "kiln"), 330.0 / 220.0);
  EXPECT_DOUBLE_EQ(*RatioToBestPeer(input, "readrandom", "rocksdb"), 220.0 / 330.0);
  EXPECT_FALSE(RatioToBestPeer(input, "fillseq", "kiln").has_value());
}

TEST(ReportTest, JsonParsesAndHoldsEveryResult) {
  ReportInput input = ThreeEngines();
  input.notes = {"a \"quoted\" note\twith a tab"};
  input.simulation_json = "[{\"workload\": \"fibers\", \"error\": \"\", \"metrics\": {}}]";
  std::string error;
  const std::optional<JsonValue> json = ParseJson(ToJson(input), &error);
  ASSERT_TRUE(json.has_value()) << error;
  const JsonValue* results = json->Find("results");
  ASSERT_NE(results, nullptr);
  ASSERT_EQ(results->array.size(), 3u);
  EXPECT_EQ(results->array[0].Find("engine")->string, "kiln");
  EXPECT_NEAR(results->array[0].Find("ratio_to_best_peer")->number, 1.5, 1e-6);
  EXPECT_EQ(results->array[0].Find("runs")->array.size(), 2u);
  EXPECT_EQ(json->Find("notes")->array[0].string, "a \"quoted\" note\twith a tab");
  EXPECT_EQ(json->Find("simulation")->array.size(), 1u);
}

TEST(JsonValueTest, RejectsWhatIsNotJson) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "1 2", "\"open", "{\"a\":1,\"a\":2}"}) {
    EXPECT_FALSE(ParseJson(bad, nullptr).has_value()) << bad;
  }
  EXPECT_TRUE(ParseJson(" {\"a\": [1, -2.5e3, true, false, null, \"x\"]} ", nullptr).has_value());
}

}  // namespace
}  // namespace kiln::kvbench
