#include "sim/trace.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace kiln::sim {
namespace {

TEST(TraceTest, HashHexIsSixteenLowercaseDigits) {
  EXPECT_EQ(HashHex(0), "0000000000000000");
  EXPECT_EQ(HashHex(0xABCDEF0123456789ULL), "abcdef0123456789");
  EXPECT_EQ(HashHex(UINT64_MAX), "ffffffffffffffff");
}

TEST(TraceTest, TheHashFoldsEveryFieldAndTheOrder) {
  auto hash_of = [](auto&& record) {
    Trace trace;
    record(trace);
    return trace.hash();
  };
  const uint64_t base = hash_of([](Trace& t) { t.Record(EventKind::kIo, 1, 2, 3, "write a"); });
  EXPECT_EQ(base, hash_of([](Trace& t) { t.Record(EventKind::kIo, 1, 2, 3, "write a"); }));
  EXPECT_NE(base, hash_of([](Trace& t) { t.Record(EventKind::kFault, 1, 2, 3, "write a"); }));
  EXPECT_NE(base, hash_of([](Trace& t) { t.Record(EventKind::kIo, 9, 2, 3, "write a"); }));
  EXPECT_NE(base, hash_of([](Trace& t) { t.Record(EventKind::kIo, 1, 9, 3, "write a"); }));
  EXPECT_NE(base, hash_of([](Trace& t) { t.Record(EventKind::kIo, 1, 2, 9, "write a"); }));
  EXPECT_NE(base, hash_of([](Trace& t) { t.Record(EventKind::kIo, 1, 2, 3, "write b"); }));
  const uint64_t ab = hash_of([](Trace& t) {
    t.Record(EventKind::kNote, 0, "a");
    t.Record(EventKind::kNote, 0, "b");
  });
  const uint64_t ba = hash_of([](Trace& t) {
    t.Record(EventKind::kNote, 0, "b");
    t.Record(EventKind::kNote, 0, "a");
  });
  EXPECT_NE(ab, ba);
  EXPECT_NE(hash_of([](Trace&) {}), hash_of([](Trace& t) { t.Record(EventKind::kNote, 0, ""); }));
}

TEST(TraceTest, KeptStepsCarryTheirRunningHash) {
  Trace plain;
  Trace kept(/*keep_steps=*/true);
  for (Trace* trace : {&plain, &kept}) {
    trace->Record(EventKind::kSpawn, 0, 1, 0, "writer");
    trace->Record(EventKind::kSchedule, 1, 0, 1);
  }
  EXPECT_EQ(plain.hash(), kept.hash());
  EXPECT_TRUE(plain.steps().empty());
  ASSERT_EQ(kept.steps().size(), 2u);
  EXPECT_EQ(kept.steps()[1].index, 1u);
  EXPECT_EQ(kept.steps()[1].hash_after, kept.hash());
  EXPECT_EQ(kept.events(), 2u);
  EXPECT_FALSE(kept.truncated());
}

TEST(TraceTest, FirstDivergenceFindsTheFirstDifferentStep) {
  Trace a(true);
  Trace b(true);
  for (Trace* trace : {&a, &b}) {
    trace->Record(EventKind::kSpawn, 0, 1, 0, "writer");
    trace->Record(EventKind::kSchedule, 1, 0, 1);
  }
  EXPECT_EQ(FirstDivergence(a, b), std::nullopt);
  a.Record(EventKind::kSleep, 1, 100, 0);
  b.Record(EventKind::kSleep, 1, 250, 0);
  a.Record(EventKind::kNote, 1, "same afterwards");
  b.Record(EventKind::kNote, 1, "same afterwards");
  const std::optional<Divergence> divergence = FirstDivergence(a, b);
  ASSERT_TRUE(divergence.has_value());
  EXPECT_EQ(divergence->index, 2u);
  EXPECT_EQ(divergence->left, "#2 fiber 1 sleep duration_ns=100");
  EXPECT_EQ(divergence->right, "#2 fiber 1 sleep duration_ns=250");
}

TEST(TraceTest, FirstDivergenceReportsAShorterTrace) {
  Trace a(true);
  Trace b(true);
  a.Record(EventKind::kIo, 2, "sync 000001.log");
  b.Record(EventKind::kIo, 2, "sync 000001.log");
  b.Record(EventKind::kFault, 2, "EIO on read 000002.sst");
  const std::optional<Divergence> divergence = FirstDivergence(a, b);
  ASSERT_TRUE(divergence.has_value());
  EXPECT_EQ(divergence->index, 1u);
  EXPECT_EQ(divergence->left, "<end of trace>");
  EXPECT_EQ(divergence->right, "#1 fiber 2 fault EIO on read 000002.sst");
}

TEST(TraceTest, DescribeStepNamesTheEvent) {
  Trace trace(true);
  trace.Record(EventKind::kSchedule, 3, 1, 4);
  trace.Record(EventKind::kLock, 3, 2, 0);
  trace.Record(EventKind::kWait, 3, 1, UINT64_MAX);
  trace.Record(EventKind::kBuggify, 3, 42, 1, "engine/db/flush.cc");
  EXPECT_EQ(DescribeStep(trace.steps()[0]), "#0 fiber 3 schedule choice=1 of 4");
  EXPECT_EQ(DescribeStep(trace.steps()[1]), "#1 fiber 3 lock mutex=2");
  EXPECT_EQ(DescribeStep(trace.steps()[2]), "#2 fiber 3 wait condvar=1");
  EXPECT_EQ(DescribeStep(trace.steps()[3]), "#3 fiber 3 buggify line=42 fired engine/db/flush.cc");
}

TEST(TraceTest, PrintTraceWritesEveryStepAndTheFinalHash) {
  Trace trace(true);
  trace.Record(EventKind::kSpawn, 0, 1, 0, "writer");
  trace.Record(EventKind::kFinish, 1, 0, 0);
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  PrintTrace(trace, out);
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(text, "#0 fiber 0 spawn fiber=1 writer  [" + HashHex(trace.steps()[0].hash_after) +
                      "]\n#1 fiber 1 finish  [" + HashHex(trace.hash()) + "]\ntrace hash " +
                      HashHex(trace.hash()) + " after 2 events\n");
}

}  // namespace
}  // namespace kiln::sim
