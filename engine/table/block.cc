#include "table/block.h"

#include <utility>

#include "db/dbformat.h"
#include "kiln/status.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

constexpr size_t kRestartBytes = sizeof(uint32_t);

absl::Status BlockCorruption(std::string_view origin, std::string_view what) {
  return Corruption(std::string(origin) + ": " + std::string(what));
}

struct EntryHeader {
  uint32_t shared = 0;
  uint32_t non_shared = 0;
  uint32_t value_bytes = 0;
};

// Decodes an entry's header from the front of input and checks that its key
// delta and value fit in what remains; false if not.
bool DecodeEntryHeader(std::string_view& input, EntryHeader& header) {
  if (input.size() >= 3 && ((static_cast<uint8_t>(input[0]) | static_cast<uint8_t>(input[1]) |
                             static_cast<uint8_t>(input[2])) &
                            0x80) == 0) {
    // The common case: all three lengths fit one byte each.
    header.shared = static_cast<uint8_t>(input[0]);
    header.non_shared = static_cast<uint8_t>(input[1]);
    header.value_bytes = static_cast<uint8_t>(input[2]);
    input.remove_prefix(3);
  } else if (!GetVarint32(input, header.shared) || !GetVarint32(input, header.non_shared) ||
      !GetVarint32(input, header.value_bytes)) {
    return false;
  }
  return input.size() >= header.non_shared &&
         input.size() - header.non_shared >= header.value_bytes;
}

}  // namespace

absl::StatusOr<uint32_t> Block::CheckRestarts(std::string_view contents,
                                              std::string_view origin) {
  const size_t size = contents.size();
  if (size < kRestartBytes || size > kMaxBlockBytes) {
    return BlockCorruption(origin, "bad block size " + std::to_string(size));
  }
  const uint32_t num_restarts = DecodeFixed32(contents.data() + size - kRestartBytes);
  const size_t max_restarts = (size - kRestartBytes) / kRestartBytes;
  if (num_restarts == 0 || num_restarts > max_restarts) {
    return BlockCorruption(origin, "bad restart count " + std::to_string(num_restarts));
  }
  const size_t data_end = size - kRestartBytes - size_t{num_restarts} * kRestartBytes;
  const char* restarts = contents.data() + data_end;
  uint32_t previous = 0;
  // Bounded by num_restarts <= kMaxBlockBytes / 4.
  for (uint32_t i = 0; i < num_restarts; ++i) {
    const uint32_t offset = DecodeFixed32(restarts + size_t{i} * kRestartBytes);
    const bool in_order = i == 0 ? offset == 0 : offset > previous;
    const bool in_range = offset < data_end || (data_end == 0 && num_restarts == 1);
    if (!in_order || !in_range) {
      return BlockCorruption(origin, "bad restart offset " + std::to_string(offset) +
                                         " at restart " + std::to_string(i));
    }
    previous = offset;
  }
  return static_cast<uint32_t>(data_end);
}

absl::StatusOr<std::shared_ptr<const Block>> Block::Parse(std::string contents,
                                                          std::string origin) {
  KILN_ASSIGN_OR_RETURN(const uint32_t data_end, CheckRestarts(contents, origin));
  const uint32_t num_restarts = DecodeFixed32(contents.data() + contents.size() - kRestartBytes);
  return std::shared_ptr<const Block>(
      new Block(std::move(contents), {}, nullptr, std::move(origin), num_restarts, data_end));
}

absl::StatusOr<std::shared_ptr<const Block>> Block::ParseView(std::string_view contents,
                                                              std::shared_ptr<const void> pin,
                                                              std::string origin) {
  KILN_ASSERT(pin != nullptr);
  KILN_ASSIGN_OR_RETURN(const uint32_t data_end, CheckRestarts(contents, origin));
  const uint32_t num_restarts = DecodeFixed32(contents.data() + contents.size() - kRestartBytes);
  return std::shared_ptr<const Block>(
      new Block({}, contents, std::move(pin), std::move(origin), num_restarts, data_end));
}

Block::Block(std::string owned, std::string_view view, std::shared_ptr<const void> pin,
             std::string origin, uint32_t num_restarts, uint32_t data_end)
    : owned_(std::move(owned)),
      pin_(std::move(pin)),
      contents_(pin_ != nullptr ? view : std::string_view(owned_)),
      origin_(std::move(origin)),
      num_restarts_(num_restarts),
      data_end_(data_end) {}

uint32_t Block::RestartOffset(uint32_t index) const {
  KILN_DASSERT(index < num_restarts_);
  return DecodeFixed32(contents_.data() + data_end_ + size_t{index} * kRestartBytes);
}

BlockIterator::BlockIterator(std::shared_ptr<const Block> block, BlockKeyOrder order)
    : block_(std::move(block)), order_(order) {
  KILN_ASSERT(block_ != nullptr);
  Invalidate();
}

int BlockIterator::Compare(std::string_view a, std::string_view b) const {
  return order_ == BlockKeyOrder::kInternal ? CompareInternalKeys(a, b) : a.compare(b);
}

void BlockIterator::Invalidate() {
  current_ = block_->data_end();
  next_ = block_->data_end();
  restart_index_ = block_->num_restarts();
  key_.clear();
  value_ = {};
}

void BlockIterator::MarkCorrupt(uint32_t offset, std::string_view what) {
  status_ = Corruption(block_->origin() + ": entry at block offset " + std::to_string(offset) +
                       ": " + std::string(what));
  Invalidate();
}

void BlockIterator::PrepareRestart(uint32_t index) {
  key_.clear();
  restart_index_ = index;
  next_ = block_->RestartOffset(index);
}

bool BlockIterator::ParseNextEntry() {
  if (!status_.ok()) return false;
  current_ = next_;
  const uint32_t data_end = block_->data_end();
  if (current_ >= data_end) {
    Invalidate();
    return false;
  }
  const std::string_view contents = block_->contents();
  std::string_view input = contents.substr(current_, data_end - current_);
  EntryHeader header;
  if (!DecodeEntryHeader(input, header)) {
    MarkCorrupt(current_, "malformed entry or entry overruns the block");
    return false;
  }
  if (header.shared > key_.size()) {
    MarkCorrupt(current_, "shared key prefix longer than the previous key");
    return false;
  }
  // Bounded by num_restarts: the restart region only moves forward.
  while (restart_index_ + 1 < block_->num_restarts() &&
         block_->RestartOffset(restart_index_ + 1) <= current_) {
    ++restart_index_;
  }
  // A restart entry holds a full key; decoding it from the previous key
  // would disagree with a seek that starts there.
  if (header.shared != 0 && block_->RestartOffset(restart_index_) == current_) {
    MarkCorrupt(current_, "restart entry shares a key prefix");
    return false;
  }
  key_.resize(header.shared);
  key_.append(input.data(), header.non_shared);
  if (order_ == BlockKeyOrder::kInternal && key_.size() < kInternalKeyTrailerBytes) {
    MarkCorrupt(current_, "internal key shorter than its trailer");
    return false;
  }
  value_ = input.substr(header.non_shared, header.value_bytes);
  next_ = static_cast<uint32_t>(value_.data() + value_.size() - contents.data());
  return true;
}

bool BlockIterator::KeyAtRestart(uint32_t index, std::string_view& key) {
  const uint32_t offset = block_->RestartOffset(index);
  const uint32_t data_end = block_->data_end();
  KILN_DASSERT(offset < data_end);
  std::string_view input = block_->contents().substr(offset, data_end - offset);
  EntryHeader header;
  if (!DecodeEntryHeader(input, header)) {
    MarkCorrupt(offset, "malformed entry or entry overruns the block");
    return false;
  }
  if (header.shared != 0) {
    MarkCorrupt(offset, "restart entry shares a key prefix");
    return false;
  }
  key = input.substr(0, header.non_shared);
  if (order_ == BlockKeyOrder::kInternal && key.size() < kInternalKeyTrailerBytes) {
    MarkCorrupt(offset, "internal key shorter than its trailer");
    return false;
  }
  return true;
}

void BlockIterator::SeekToFirst() {
  if (!status_.ok()) return;
  PrepareRestart(0);
  ParseNextEntry();
}

void BlockIterator::SeekToLast() {
  if (!status_.ok()) return;
  PrepareRestart(block_->num_restarts() - 1);
  // Bounded by the block: every entry takes at least 3 bytes.
  while (ParseNextEntry() && next_ < block_->data_end()) {
  }
}

void BlockIterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  if (order_ == BlockKeyOrder::kInternal) KILN_ASSERT(target.size() >= kInternalKeyTrailerBytes);
  if (block_->data_end() == 0) {
    Invalidate();
    return;
  }
  // Binary search for the last restart whose key is < target; the answer is
  // at or after its entry. Takes log2(num_restarts) steps.
  uint32_t left = 0;
  uint32_t right = block_->num_restarts() - 1;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!KeyAtRestart(mid, mid_key)) return;
    if (Compare(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  PrepareRestart(left);
  // Bounded by the block: every entry takes at least 3 bytes.
  while (ParseNextEntry()) {
    if (Compare(key_, target) >= 0) return;
  }
}

void BlockIterator::Next() {
  KILN_ASSERT(Valid());
  ParseNextEntry();
}

void BlockIterator::Prev() {
  KILN_ASSERT(Valid());
  const uint32_t original = current_;
  // Back up to the last restart before the current entry; bounded by
  // num_restarts.
  while (block_->RestartOffset(restart_index_) >= original) {
    if (restart_index_ == 0) {
      Invalidate();  // the current entry was the first
      return;
    }
    --restart_index_;
  }
  PrepareRestart(restart_index_);
  // Walk forward to the entry that ends where the original began; bounded by
  // the block, as each entry takes at least 3 bytes.
  do {
    if (!ParseNextEntry()) {
      if (status_.ok()) MarkCorrupt(original, "entries do not reach the previous entry");
      return;
    }
  } while (next_ < original);
  if (next_ != original) MarkCorrupt(original, "restart offsets do not align with entries");
}

std::string_view BlockIterator::key() const {
  KILN_ASSERT(Valid());
  return key_;
}

std::string_view BlockIterator::value() const {
  KILN_ASSERT(Valid());
  return value_;
}

}  // namespace kiln
