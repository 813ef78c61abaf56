// One writer and several lock-free readers on real OS threads (RealEnv's
// scheduler). The readers' observations depend on timing; the assertions
// do not: each reader must only ever see a sorted list that contains at least
// everything published before it looked.
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "kiln/env.h"
#include "kiln/random.h"
#include "memtable/skiplist.h"
#include "memtable/skiplist_test_util.h"

namespace kiln {
namespace {

using testing::DecodeTestKey;
using testing::NewListKey;
using testing::TestKeyCompare;
using TestList = SkipList<TestKeyCompare>;

constexpr int kReaders = 3;
constexpr size_t kKeys = 20000;
constexpr int kSeeksPerPass = 4;
// A reader starts a pass only once more keys were published (or the writer
// finished), so it makes at most one pass per key plus a final one.
constexpr size_t kMaxReaderPasses = kKeys + 2;

struct ReaderReport {
  size_t passes = 0;
  int unsorted = 0;           // a pass saw keys out of order
  int missing_published = 0;  // a pass saw fewer entries than were published
  int shrank = 0;             // a pass saw fewer entries than the previous one
  int seek_misses = 0;        // a published key could not be found
  size_t final_count = 0;     // entries seen by the pass after the writer ended
};

TEST(SkipListConcurrencyTest, ReadersSeeASortedGrowingList) {
  // The keys, distinct, in a seeded random insertion order.
  Random key_random(11);
  std::vector<uint64_t> values;
  std::set<uint64_t> distinct;
  while (values.size() < kKeys) {
    const uint64_t value = key_random.Next();
    if (distinct.insert(value).second) values.push_back(value);
  }

  Arena arena;
  TestList list(TestKeyCompare{}, arena, Random(12));
  // Readers may only look at values[0, published): those are in the list.
  std::atomic<size_t> published{0};
  std::atomic<bool> writer_done{false};

  auto read = [&](int reader, ReaderReport& report) {
    Random random(MixSeed(13, static_cast<uint64_t>(reader)));
    // Only the writer allocates from the arena, so seek targets live here.
    uint64_t target_storage = 0;
    const char* target = reinterpret_cast<const char*>(&target_storage);
    size_t previous_count = 0;
    size_t previous_published = 0;
    bool last_pass = false;
    while (!last_pass && report.passes < kMaxReaderPasses) {
      last_pass = writer_done.load(std::memory_order_acquire);
      const size_t published_before = published.load(std::memory_order_acquire);
      if (!last_pass && report.passes > 0 && published_before == previous_published) {
        // Nothing new yet; the writer always progresses, so this ends.
        RealEnv().scheduler->Yield();
        continue;
      }
      previous_published = published_before;
      ++report.passes;

      size_t count = 0;
      bool has_previous = false;
      uint64_t previous = 0;
      TestList::Iterator it(list);
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        const uint64_t value = DecodeTestKey(it.key());
        if (has_previous && value <= previous) ++report.unsorted;
        previous = value;
        has_previous = true;
        ++count;
      }
      if (count < published_before) ++report.missing_published;
      if (count < previous_count) ++report.shrank;
      previous_count = count;
      if (last_pass) report.final_count = count;

      for (int s = 0; s < kSeeksPerPass && published_before > 0; ++s) {
        target_storage = values[random.Uniform(published_before)];
        it.Seek(target);
        if (!it.Valid() || DecodeTestKey(it.key()) != target_storage) ++report.seek_misses;
      }
    }
  };

  std::vector<ReaderReport> reports(kReaders);
  std::vector<std::unique_ptr<Task>> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.push_back(
        RealEnv().scheduler->Spawn("skiplist reader", [&, r] { read(r, reports[r]); }));
  }
  for (size_t i = 0; i < kKeys; ++i) {
    list.Insert(NewListKey(list, values[i]));
    published.store(i + 1, std::memory_order_release);
  }
  writer_done.store(true, std::memory_order_release);
  for (auto& task : readers) task->Join();

  for (int r = 0; r < kReaders; ++r) {
    SCOPED_TRACE(r);
    const ReaderReport& report = reports[r];
    EXPECT_GE(report.passes, 1u);
    EXPECT_LE(report.passes, kMaxReaderPasses);
    EXPECT_EQ(report.unsorted, 0);
    EXPECT_EQ(report.missing_published, 0);
    EXPECT_EQ(report.shrank, 0);
    EXPECT_EQ(report.seek_misses, 0);
    EXPECT_EQ(report.final_count, kKeys);
  }
}

}  // namespace
}  // namespace kiln
