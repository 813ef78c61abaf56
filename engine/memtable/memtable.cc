#include "memtable/memtable.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "util/assert.h"
#include "util/planted_bugs.h"
#include "util/coding.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

// Seek targets up to this size are encoded on the stack.
constexpr size_t kInlineSeekEntryBytes = 128;

char* EncodeVarint32(char* out, uint32_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

// Decodes a varint32 and advances cursor past it. Entries are the
// memtable's own bytes, so this trusts them (asserting in debug builds).
uint32_t DecodeVarint32(const char*& cursor) {
  uint32_t value = 0;
  for (size_t i = 0; i < kMaxVarint32Bytes; ++i) {
    const uint32_t byte = static_cast<uint8_t>(cursor[i]);
    value |= (byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      cursor += i + 1;
      return value;
    }
  }
  KILN_UNREACHABLE("memtable: malformed entry length");
}

// Decodes a varint32 length and the bytes after it, and advances cursor past
// them.
std::string_view DecodeLengthPrefixed(const char*& cursor) {
  const uint32_t length = DecodeVarint32(cursor);
  const std::string_view bytes(cursor, length);
  cursor += length;
  return bytes;
}

std::string_view EntryInternalKey(const char* entry) { return DecodeLengthPrefixed(entry); }

uint64_t DecodeBigEndian64(const unsigned char* bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(value); ++i) value = value << 8 | bytes[i];
  return value;
}

// The value (or a range tombstone's end) of an entry, inline or separate.
std::string_view EntryValue(const char* entry) {
  DecodeLengthPrefixed(entry);  // the internal key
  const uint32_t tagged_size = DecodeVarint32(entry);
  const size_t size = tagged_size >> 1;
  if ((tagged_size & 1) == 0) return std::string_view(entry, size);
  const char* separate = nullptr;
  std::memcpy(&separate, entry, sizeof(separate));
  return std::string_view(separate, size);
}

// The encoded form of an internal key alone, for seeking a skiplist of
// entries (the comparator reads only the key).
void EncodeSeekEntry(std::string& out, std::string_view internal_key) {
  out.clear();
  PutVarint32(out, static_cast<uint32_t>(internal_key.size()));
  out.append(internal_key);
}

using memtable_internal::EntryList;

// Walks one EntryList; never fails.
class EntryListIterator final : public InternalIterator {
 public:
  explicit EntryListIterator(const EntryList& list) : iterator_(list) {}

  bool Valid() const override { return iterator_.Valid(); }
  void SeekToFirst() override { iterator_.SeekToFirst(); }
  void SeekToLast() override { iterator_.SeekToLast(); }
  void Seek(std::string_view target) override {
    KILN_DASSERT(target.size() >= kInternalKeyTrailerBytes);
    EncodeSeekEntry(seek_entry_, target);
    iterator_.Seek(seek_entry_.data());
  }
  void SeekForPrev(std::string_view target) override {
    KILN_DASSERT(target.size() >= kInternalKeyTrailerBytes);
    EncodeSeekEntry(seek_entry_, target);
    iterator_.SeekForPrev(seek_entry_.data());
  }
  void Next() override {
    iterator_.Next();
    if (!iterator_.Valid()) return;
    // A scan reads values in their own arena, cold: start loading the next
    // entry's while the caller reads this one.
    if (const char* next = iterator_.NextKey(); next != nullptr) {
      const std::string_view value = EntryValue(next);
      __builtin_prefetch(value.data());
      if (value.size() > 1) __builtin_prefetch(value.data() + value.size() - 1);
    }
  }
  void Prev() override { iterator_.Prev(); }
  std::string_view key() const override { return EntryInternalKey(iterator_.key()); }
  std::string_view value() const override { return EntryValue(iterator_.key()); }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  EntryList::Iterator iterator_;
  std::string seek_entry_;  // the encoded seek target, reused across seeks
};

}  // namespace

namespace memtable_internal {

int EntryCompare::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(EntryInternalKey(a), EntryInternalKey(b));
}

SkipListKeyPrefix EntryCompare::OrderPrefix(const char* entry) const {
  const std::string_view user_key = ExtractUserKey(EntryInternalKey(entry));
  unsigned char bytes[2 * sizeof(uint64_t)] = {};
  std::memcpy(bytes, user_key.data(), std::min(user_key.size(), sizeof(bytes)));
  return {.high = DecodeBigEndian64(bytes), .low = DecodeBigEndian64(bytes + sizeof(uint64_t))};
}

}  // namespace memtable_internal

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<EntryListIterator>(points_);
}

MemTable::MemTable(Random random, const MemoryHints* hints, size_t filter_bytes,
                   const std::shared_ptr<ArenaBlockPool>& pool)
    : arena_(hints, pool),
      values_(hints, pool),
      points_(memtable_internal::EntryCompare{}, arena_, Random(random.Next())),
      range_tombstones_(memtable_internal::EntryCompare{}, arena_, Random(random.Next())),
      filter_bytes_(filter_bytes) {
  KILN_ASSERT(filter_bytes == 0 || filter_bytes >= MemTableFilter::kBlockBytes);
}

void MemTable::BuildFilter() {
  KILN_ASSERT(filter_owner_ == nullptr);
  filter_owner_ = std::make_unique<MemTableFilter>(filter_bytes_);
  memtable_internal::EntryList::Iterator it(points_);
  // Bounded by the entries added so far (only this writer adds).
  // Versions of one key are adjacent: hash each key once.
  std::optional<std::string_view> previous;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const std::string_view user_key = ExtractUserKey(EntryInternalKey(it.key()));
    if (previous == user_key) continue;
    filter_owner_->Add(MemTableFilter::Hash(user_key));
    previous = user_key;
  }
  filter_.store(filter_owner_.get(), std::memory_order_release);
}

void MemTable::Add(SequenceNumber sequence, ValueType type, std::string_view user_key,
                   std::string_view value) {
  KILN_ASSERT(sequence <= kMaxSequenceNumber);
  KILN_ASSERT(static_cast<uint8_t>(type) <= kMaxValueType);
  KILN_ASSERT(user_key.size() <= kMemTableMaxUserKeyBytes);
  KILN_ASSERT(value.size() <= kMemTableMaxValueBytes);
  const bool is_range = type == ValueType::kRangeDeletion;
  if (is_range) {
    KILN_ASSERT_MSG(user_key < value, "memtable: empty range deletion");
    KILN_ASSERT(sequence > 0);  // 0 means "no tombstone" to readers
  }

  // The filter's block is a cache miss: asked for now, it arrives while
  // the entry is built and placed, and is set after (before the entry's
  // sequence is published, so a reader that may see the entry sees its bits).
  MemTableFilter* filter = nullptr;
  uint64_t filter_hash = 0;
  if (!is_range && filter_bytes_ > 0) {
    if (filter_owner_ == nullptr &&
        arena_.MemoryUsage() + values_.MemoryUsage() >= filter_after_bytes()) {
      BuildFilter();
    }
    filter = filter_owner_.get();
    if (filter != nullptr) {
      filter_hash = MemTableFilter::Hash(user_key);
      filter->Prefetch(filter_hash);
    }
  }

  const size_t internal_key_bytes = user_key.size() + kInternalKeyTrailerBytes;
  const bool separate = !is_range && value.size() > kMemTableInlineValueBytes;
  const uint32_t tagged_size = static_cast<uint32_t>(value.size() << 1 | (separate ? 1 : 0));
  const size_t value_field_bytes = separate ? sizeof(const char*) : value.size();
  const size_t entry_bytes = VarintLength(internal_key_bytes) + internal_key_bytes +
                             VarintLength(tagged_size) + value_field_bytes;
  const char* separate_value = nullptr;
  if (separate) {
    char* copy = values_.Allocate(value.size());
    std::memcpy(copy, value.data(), value.size());
    separate_value = copy;
  }
  memtable_internal::EntryList& list = is_range ? range_tombstones_ : points_;
  char* const entry = list.AllocateEntry(entry_bytes);
  char* cursor = EncodeVarint32(entry, static_cast<uint32_t>(internal_key_bytes));
  if (!user_key.empty()) std::memcpy(cursor, user_key.data(), user_key.size());
  cursor += user_key.size();
  EncodeFixed64(cursor, PackSequenceAndType(sequence, type));
  cursor += kInternalKeyTrailerBytes;
  cursor = EncodeVarint32(cursor, tagged_size);
  if (separate) {
    std::memcpy(cursor, &separate_value, sizeof(separate_value));
  } else if (!value.empty()) {
    std::memcpy(cursor, value.data(), value.size());
  }
  cursor += value_field_bytes;
  KILN_ASSERT(cursor == entry + entry_bytes);
  KILN_DASSERT(EntryValue(entry) == value);

  // Before the counts: a reader that sees a count (acquire) sees these too.
  if (sequence < smallest_sequence_.load(std::memory_order_relaxed)) {
    smallest_sequence_.store(sequence, std::memory_order_relaxed);
  }
  if (sequence > largest_sequence_.load(std::memory_order_relaxed)) {
    largest_sequence_.store(sequence, std::memory_order_relaxed);
  }
  list.Insert(entry);
  if (filter != nullptr) filter->Add(filter_hash);
  (is_range ? num_range_tombstones_ : num_entries_).fetch_add(1, std::memory_order_release);
}

MemTable::GetResult MemTable::Get(std::string_view user_key, SequenceNumber snapshot) const {
  KILN_ASSERT(snapshot <= kMaxSequenceNumber);
  // The newest version of user_key at or below snapshot is the first entry at
  // or after (user_key, snapshot, kValueTypeForSeek).
  const size_t internal_key_bytes = user_key.size() + kInternalKeyTrailerBytes;
  const size_t target_bytes = VarintLength(internal_key_bytes) + internal_key_bytes;
  char inline_target[kInlineSeekEntryBytes];
  std::string heap_target;
  char* target = inline_target;
  if (target_bytes > kInlineSeekEntryBytes) {
    heap_target.resize(target_bytes);
    target = heap_target.data();
  }
  char* cursor = EncodeVarint32(target, static_cast<uint32_t>(internal_key_bytes));
  if (!user_key.empty()) std::memcpy(cursor, user_key.data(), user_key.size());
  EncodeFixed64(cursor + user_key.size(), PackSequenceAndType(snapshot, kValueTypeForSeek));

  GetResult result;
  bool found_point = false;
  const MemTableFilter* filter = filter_.load(std::memory_order_acquire);
  const bool may_hold = filter == nullptr || filter->MayContain(MemTableFilter::Hash(user_key));
  KILN_PROBE(!may_hold, "memtable: the filter spares a Get the skiplist search");
  memtable_internal::EntryList::Iterator it(points_);
  if (may_hold) it.Seek(target);
  if (may_hold && it.Valid()) {
    const char* const entry = it.key();
    const std::string_view internal_key = EntryInternalKey(entry);
    if (ExtractUserKey(internal_key) == user_key) {
      found_point = true;
      result.sequence = ExtractSequence(internal_key);
      result.type = ExtractValueType(internal_key);
      KILN_DASSERT(result.sequence <= snapshot);
      if (result.type == ValueType::kDeletion) {
        result.kind = GetResult::Kind::kDeleted;
      } else {
        result.kind = GetResult::Kind::kFound;
        result.value = EntryValue(entry);
      }
    }
  }

  const SequenceNumber tombstone = MaxCoveringTombstoneSeq(user_key, snapshot);
  // A tombstone at s deletes versions older than s, not a version at s.
  if (tombstone > 0 && (!found_point || tombstone > result.sequence)) {
    KILN_PROBE(found_point, "memtable: a range tombstone hides the newest visible version");
    result.kind = GetResult::Kind::kDeleted;
    result.type = ValueType::kRangeDeletion;
    result.sequence = tombstone;
    result.value = {};
  }
  return result;
}

SequenceNumber MemTable::MaxCoveringTombstoneSeq(std::string_view user_key,
                                                 SequenceNumber snapshot) const {
  if (num_range_tombstones() == 0) return 0;
  SequenceNumber newest = 0;
  memtable_internal::EntryList::Iterator it(range_tombstones_);
  // Sorted by begin: stop at the first tombstone beginning after user_key.
  // The list only grows, so this visits each tombstone at most once.
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const char* const entry = it.key();
    const std::string_view internal_key = EntryInternalKey(entry);
    if (ExtractUserKey(internal_key) > user_key) break;
    const SequenceNumber sequence = ExtractSequence(internal_key);
    bool visible = sequence <= snapshot;
    if constexpr (KILN_PLANTED_BUG(memtable_tombstone_off_by_one)) {
      // PLANTED BUG memtable_tombstone_off_by_one: a read at exactly the
      // tombstone's sequence does not see it.
      visible = sequence < snapshot;
    }
    if (visible && sequence > newest && user_key < EntryValue(entry)) {
      newest = sequence;
    }
  }
  return newest;
}

std::vector<RangeTombstone> MemTable::RangeTombstones() const {
  std::vector<RangeTombstone> tombstones;
  memtable_internal::EntryList::Iterator it(range_tombstones_);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const char* const entry = it.key();
    const std::string_view internal_key = EntryInternalKey(entry);
    const std::string_view end = EntryValue(entry);
    tombstones.push_back({std::string(ExtractUserKey(internal_key)), std::string(end),
                          ExtractSequence(internal_key)});
  }
  return tombstones;
}

SequenceNumber MemTable::smallest_sequence() const {
  KILN_ASSERT(!empty());
  return smallest_sequence_.load(std::memory_order_relaxed);
}

SequenceNumber MemTable::largest_sequence() const {
  KILN_ASSERT(!empty());
  return largest_sequence_.load(std::memory_order_relaxed);
}

}  // namespace kiln
