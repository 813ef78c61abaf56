// The memtable: the newest writes, in memory, ordered by internal key, until
// a flush writes them to a table.
//
// Point entries (values, deletions, blob indexes) and range tombstones live
// in two skiplists over one arena. Each entry is encoded once, in its node:
//
//   varint32 internal_key_size | user_key | fixed64(sequence << 8 | type)
//   | varint32 (value_size << 1 | separate) | value, or if separate, the
//   value's address (8 bytes, native order)
//
// A point entry's value longer than kMemTableInlineValueBytes is separate:
// it lives in a second arena, so the nodes a search walks through stay small
// and dense (a search touches keys only; with 100-byte values inline, inserts
// into a 16 MB memtable took about twice as long, all of it cache misses).
// For a range tombstone user_key is its begin and value its end, always
// inline. This layout is in-memory only (never persisted), so it carries no
// version.
//
// Thread-safety: Add needs external synchronisation (one writer at a time; the
// DB serialises writers). Everything else is lock-free and safe on any thread
// concurrently with one Add (the skiplists' contract, skiplist.h). A Get
// may miss an entry whose Add has not returned (its filter bits are set just
// after the skiplist insert): readers must only ask for sequences the writer
// published after the Add, as the DB's readers do. Nothing here yields or
// blocks.
#ifndef KILN_MEMTABLE_MEMTABLE_H_
#define KILN_MEMTABLE_MEMTABLE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "db/internal_iterator.h"
#include "db/range_tombstones.h"
#include "kiln/random.h"
#include "memtable/arena.h"
#include "memtable/memtable_filter.h"
#include "memtable/skiplist.h"
#include "util/coding.h"

namespace kiln {

// Bounds on what one entry may hold; the DB rejects larger keys and values
// with InvalidArgument before they get here, the memtable asserts.
inline constexpr size_t kMemTableMaxUserKeyBytes = size_t{64} << 20;
inline constexpr size_t kMemTableMaxValueBytes = size_t{1} << 30;
static_assert(kMemTableMaxUserKeyBytes + kInternalKeyTrailerBytes <= UINT32_MAX);
static_assert(kMemTableMaxValueBytes <= UINT32_MAX >> 1);  // room for the separate bit
// Point values up to this size stay inside the entry (the address of a
// separate one takes 8 bytes anyway).
inline constexpr size_t kMemTableInlineValueBytes = 16;
// A memtable builds its point-key filter (if it has one) once it holds
// this much, or a quarter of what the filter is sized for if that is less.
inline constexpr size_t kMemTableFilterAfterBytes = size_t{1} << 20;

static_assert(kMemTableMaxUserKeyBytes + kInternalKeyTrailerBytes + kMemTableMaxValueBytes +
                  2 * kMaxVarint32Bytes <=
              kArenaMaxAllocationBytes);

namespace memtable_internal {

// Orders encoded entries (layout above) by their internal keys.
struct EntryCompare {
  int operator()(const char* a, const char* b) const;
  // The first 16 bytes of the entry's user key as two big-endian words,
  // zero-padded: the internal order sorts by user key first and bytewise,
  // so a smaller prefix means a smaller entry (the skiplist's contract).
  SkipListKeyPrefix OrderPrefix(const char* entry) const;
};

using EntryList = SkipList<EntryCompare>;

}  // namespace memtable_internal

class MemTable {
 public:
  // random seeds the skiplists' shapes (never their contents); hints
  // (nullable, not owned, outlives the memtable) sees the arenas' large
  // blocks (arena.h).
  // filter_bytes: the size of the point-key filter (MemTableFilter) the
  // memtable builds once it holds filter_after_bytes(); 0: none. A filter of
  // B bytes is sized for a memtable of 16 B bytes. pool (nullable) lends the
  // arenas large blocks and takes them back when the memtable dies.
  explicit MemTable(Random random, const MemoryHints* hints = nullptr, size_t filter_bytes = 0,
                    const std::shared_ptr<ArenaBlockPool>& pool = nullptr);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds one entry. For ValueType::kRangeDeletion, user_key is the range's
  // begin and value its (exclusive) end; it goes to the range tombstones.
  // REQUIRES: external synchronisation against other Adds;
  //   0 < sequence <= kMaxSequenceNumber for range deletions, sequence <=
  //   kMaxSequenceNumber otherwise;
  //   (user_key, sequence, type) not already added;
  //   user_key.size() <= kMemTableMaxUserKeyBytes, value.size() <=
  //   kMemTableMaxValueBytes (also for a range's end);
  //   for a range deletion, user_key < value (the DB rejects empty ranges).
  void Add(SequenceNumber sequence, ValueType type, std::string_view user_key,
           std::string_view value);

  struct GetResult {
    enum class Kind : uint8_t {
      kNotPresent,  // nothing here decides: look in older memtables and tables
      kFound,       // a visible value (type kValue or kBlobIndex)
      kDeleted,     // a visible point deletion, or a visible range tombstone
                    // newer than the newest visible version
    };
    Kind kind = Kind::kNotPresent;
    // kFound: kValue or kBlobIndex; kDeleted: kDeletion or kRangeDeletion.
    ValueType type = ValueType::kValue;
    // kFound, kDeleted: the sequence of the version or tombstone that decided.
    SequenceNumber sequence = 0;
    // kFound: points into the memtable; valid as long as it.
    std::string_view value;
  };
  // What a reader at snapshot sees of user_key here. Only this memtable's
  // entries count: a kNotPresent answer says nothing about older data, while
  // a range tombstone here also hides every older version elsewhere (all of
  // them have smaller sequences). O(log n + range tombstones starting at or
  // before user_key).
  GetResult Get(std::string_view user_key, SequenceNumber snapshot) const;

  // The point entries (not the range tombstones) as (internal key, value) in
  // internal-key order. The iterator must not outlive the memtable; it sees
  // entries added after it was made only if it reaches them (skiplist.h,
  // Invariant 6). Its status() is always OK.
  std::unique_ptr<InternalIterator> NewIterator() const;

  // Every range tombstone, sorted by (begin ascending, sequence descending);
  // fragment them (range_tombstones.h) to query them.
  std::vector<RangeTombstone> RangeTombstones() const;

  size_t ApproximateMemoryUsage() const {
    const MemTableFilter* filter = filter_.load(std::memory_order_acquire);
    return arena_.MemoryUsage() + values_.MemoryUsage() +
           (filter == nullptr ? 0 : filter->size_bytes());
  }
  size_t filter_after_bytes() const {
    return std::min(kMemTableFilterAfterBytes, filter_bytes_ * 4);
  }
  // Whether Get consults a filter before searching (tests, stats).
  bool has_filter() const { return filter_.load(std::memory_order_acquire) != nullptr; }
  bool empty() const { return num_entries() == 0 && num_range_tombstones() == 0; }
  uint64_t num_entries() const { return num_entries_.load(std::memory_order_acquire); }
  uint64_t num_range_tombstones() const {
    return num_range_tombstones_.load(std::memory_order_acquire);
  }
  // Over both kinds of entry. REQUIRES: !empty().
  SequenceNumber smallest_sequence() const;
  SequenceNumber largest_sequence() const;

 private:
  // The largest sequence <= snapshot of a range tombstone covering user_key,
  // or 0.
  SequenceNumber MaxCoveringTombstoneSeq(std::string_view user_key, SequenceNumber snapshot) const;

  // Builds the filter from the entries so far and publishes it. REQUIRES:
  // the single writer; no filter yet.
  void BuildFilter();

  Arena arena_;   // the skiplists' nodes, with their entries
  Arena values_;  // separate point values
  memtable_internal::EntryList points_;
  memtable_internal::EntryList range_tombstones_;
  // Written by the single writer, read by anyone: the sequences before each
  // insert, the counts (release) after it, so a reader that sees a count
  // (acquire) also sees the entries and sequences it counts.
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_range_tombstones_{0};
  std::atomic<SequenceNumber> smallest_sequence_{UINT64_MAX};
  std::atomic<SequenceNumber> largest_sequence_{0};
  // Null until the memtable holds filter_after_bytes() (small memtables
  // search fast enough; many buckets' small memtables should not each pay
  // for a filter). Then every point key is in it by the time its Add
  // returns.
  const size_t filter_bytes_;
  std::unique_ptr<MemTableFilter> filter_owner_;  // the writer's
  std::atomic<const MemTableFilter*> filter_{nullptr};
};

}  // namespace kiln

#endif  // KILN_MEMTABLE_MEMTABLE_H_
