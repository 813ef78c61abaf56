// A latency histogram with bounded relative error: values (nanoseconds) fall
// into buckets of 1/kSubBuckets of a power of two, so any percentile is
// within ~3% of the true value, in a fixed 10 KiB whatever the count.
//
// Thread-safety: one thread records into one histogram; merge afterwards.
#ifndef KILN_TOOLS_KVBENCH_HISTOGRAM_H_
#define KILN_TOOLS_KVBENCH_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace kiln::kvbench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 4;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  // Values up to 2^kMaxExponent ns (~18 minutes); larger ones are clamped.
  static constexpr int kMaxExponent = 40;
  static constexpr size_t kBuckets = (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  void Record(uint64_t value_ns);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  uint64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
  double mean_ns() const { return count_ == 0 ? 0 : double(sum_ns_) / double(count_); }
  // The value below which a fraction q of the recorded values lie (the
  // midpoint of the bucket holding that rank, clamped to [min, max]).
  // REQUIRES: 0 <= q <= 1. 0 when empty.
  double Percentile(double q) const;
  // The share (0..1) of the summed values that values of at least
  // threshold_ns make up: how much of a phase's time its slow operations
  // took. Each bucket counts at its midpoint (clamped to [min, max]), so
  // the share is as exact as the buckets; a threshold inside a bucket
  // counts that whole bucket. 0 when empty.
  double ShareOfSumAtLeast(uint64_t threshold_ns) const;

  // Bucket bounds, for tests: value lands in [BucketLow(i), BucketHigh(i)).
  static size_t BucketOf(uint64_t value_ns);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketHigh(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_HISTOGRAM_H_
