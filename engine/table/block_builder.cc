#include "table/block_builder.h"

#include <algorithm>

#include "db/dbformat.h"
#include "util/assert.h"
#include "util/coding.h"

namespace kiln {
namespace {

int CompareKeys(BlockKeyOrder order, std::string_view a, std::string_view b) {
  return order == BlockKeyOrder::kInternal ? CompareInternalKeys(a, b) : a.compare(b);
}

}  // namespace

BlockBuilder::BlockBuilder(const BlockBuilderOptions& options) : options_(options) {
  KILN_ASSERT(options.restart_interval >= 1);
  KILN_ASSERT(options.restart_interval <= kMaxBlockRestartInterval);
  Reset();
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.assign(1, 0);
  last_key_.clear();
  num_entries_ = 0;
  entries_since_restart_ = 0;
  finished_ = false;
}

size_t BlockBuilder::EstimatedSizeBytes() const {
  return buffer_.size() + (restarts_.size() + 1) * sizeof(uint32_t);
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  KILN_ASSERT(!finished_);
  if (options_.order == BlockKeyOrder::kInternal) {
    KILN_ASSERT(key.size() >= kInternalKeyTrailerBytes);
  }
  KILN_ASSERT_MSG(num_entries_ == 0 || CompareKeys(options_.order, last_key_, key) < 0,
                  "block keys must be added in strictly increasing order");
  size_t shared = 0;
  if (entries_since_restart_ == options_.restart_interval) {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  } else {
    const size_t limit = std::min(last_key_.size(), key.size());
    while (shared < limit && last_key_[shared] == key[shared]) ++shared;
  }
  const size_t non_shared = key.size() - shared;
  PutVarint32(buffer_, static_cast<uint32_t>(shared));
  PutVarint32(buffer_, static_cast<uint32_t>(non_shared));
  PutVarint32(buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(key.substr(shared));
  buffer_.append(value);
  KILN_ASSERT_MSG(EstimatedSizeBytes() <= kMaxBlockBytes, "block exceeds kMaxBlockBytes");
  last_key_.resize(shared);
  last_key_.append(key.substr(shared));
  ++entries_since_restart_;
  ++num_entries_;
}

std::string_view BlockBuilder::Finish() {
  KILN_ASSERT(!finished_);
  for (uint32_t restart : restarts_) PutFixed32(buffer_, restart);
  PutFixed32(buffer_, static_cast<uint32_t>(restarts_.size()));
  finished_ = true;
  return buffer_;
}

}  // namespace kiln
