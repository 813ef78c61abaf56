#include "tools/kvbench/histogram.h"

#include <algorithm>
#include <bit>

#include "util/assert.h"

namespace kiln::kvbench {

size_t Histogram::BucketOf(uint64_t value_ns) {
  value_ns = std::min(value_ns, (uint64_t{1} << kMaxExponent) - 1);
  if (value_ns < kSubBuckets) return static_cast<size_t>(value_ns);
  // exponent >= kSubBucketBits: the top kSubBucketBits + 1 bits pick the bucket.
  const int exponent = std::bit_width(value_ns) - 1;
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = (value_ns >> shift) - kSubBuckets;
  return static_cast<size_t>((shift + 1) * kSubBuckets + sub);
}

uint64_t Histogram::BucketLow(size_t bucket) {
  KILN_ASSERT(bucket < kBuckets);
  if (bucket < kSubBuckets) return bucket;
  const uint64_t shift = bucket / kSubBuckets - 1;
  const uint64_t sub = bucket % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::BucketHigh(size_t bucket) {
  KILN_ASSERT(bucket < kBuckets);
  if (bucket < kSubBuckets) return bucket + 1;
  const uint64_t shift = bucket / kSubBuckets - 1;
  return BucketLow(bucket) + (uint64_t{1} << shift);
}

void Histogram::Record(uint64_t value_ns) {
  ++counts_[BucketOf(value_ns)];
  ++count_;
  sum_ns_ += value_ns;
  min_ns_ = std::min(min_ns_, value_ns);
  max_ns_ = std::max(max_ns_, value_ns);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

double Histogram::Percentile(double q) const {
  KILN_ASSERT(q >= 0 && q <= 1);
  if (count_ == 0) return 0;
  // The smallest rank r (1-based) with r >= q * count.
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * double(count_) + 0.5));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double mid = (double(BucketLow(i)) + double(BucketHigh(i))) / 2;
      return std::clamp(mid, double(min_ns()), double(max_ns_));
    }
  }
  return double(max_ns_);
}

double Histogram::ShareOfSumAtLeast(uint64_t threshold_ns) const {
  if (count_ == 0) return 0;
  double total = 0;
  double slow = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    const double mid = std::clamp((double(BucketLow(i)) + double(BucketHigh(i))) / 2,
                                  double(min_ns()), double(max_ns_));
    const double bucket_sum = mid * double(counts_[i]);
    total += bucket_sum;
    if (BucketHigh(i) > threshold_ns) slow += bucket_sum;
  }
  return total > 0 ? slow / total : 0;
}

}  // namespace kiln::kvbench
