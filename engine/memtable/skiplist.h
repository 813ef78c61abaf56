// An ordered set of byte entries over an Arena, for the memtable. One
// writer at a time inserts; any number of readers on other OS threads search
// and iterate concurrently without taking a lock.
//
// Entries live inside their nodes: AllocateEntry returns the space for one
// right after a node's header (its links sit just before the header), the
// caller writes the entry there and passes the pointer to Insert, so a
// node needs no separate key pointer.
//
// Comparator is a copyable functor: int operator()(const char* a,
// const char* b) const, negative / zero / positive like memcmp, and
// SkipListKeyPrefix OrderPrefix(const char* key) const, a 16-byte summary of
// a key that is monotone in the order: OrderPrefix(a) < OrderPrefix(b)
// implies a < b (equal summaries say nothing). Each node keeps its key's
// summary in its header, so for keys that differ in their first 16 bytes a
// search step compares two pairs of integers. Sixteen bytes, not eight:
// keys often share their first eight (fixed-width numbers, table or tenant
// prefixes), and then every step paid for a full comparison; with sixteen,
// random inserts into a 16 MiB memtable of zero-padded decimal keys took
// about 15% less time (tools/kvbench:memtable_bench: 550-600 to 490-500 ns).
// What an entry holds is the caller's business; the list only orders and
// links them.
//
// Invariants:
//   1. Nothing is ever removed or changed once inserted: a node and the
//      entry inside it live until the list (and its arena) is destroyed. This is what lets readers
//      go without locks: whatever node a reader holds stays valid.
//   2. At every level the linked nodes are in strictly increasing comparator
//      order; no two entries compare equal.
//   3. The nodes linked at level i + 1 are a subset of those linked at level
//      i: a node is linked bottom-up, level 0 first, so it is reachable at
//      level 0 from the moment it is reachable at all.
//   4. A node is fully built (key, height, its own next pointers) before the
//      release store that links it into level 0; readers follow next pointers
//      with acquire loads, so they never see a half-built node.
//   5. 1 <= a node's height <= kSkipListMaxHeight; max_height_ only grows and
//      is at least every linked node's height. A reader that sees a new
//      max_height_ before the node that raised it finds null links from the
//      head at those levels and simply descends.
//   6. A node's prefix is compare_.OrderPrefix(key), set before it is
//      linked and never changed (checked against the full comparison in
//      debug builds).
//   7. Readers may miss an insert that is in progress, never see keys out of
//      order, and always see every insert that completed before their
//      search began (happens-before via the writer's release stores).
//   8. tail_[i] is the last node linked at level i (head_ if none). The
//      writer alone reads and writes it, so an insert that orders after the
//      last node (ascending keys) links without searching.
//
// Thread-safety: Insert needs external synchronisation (one writer at a time;
// the DB serialises writers). Contains and Iterator are safe concurrently with
// one Insert and with each other. Nothing here yields or blocks.
#ifndef KILN_MEMTABLE_SKIPLIST_H_
#define KILN_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cstdint>
#include <new>

#include "kiln/random.h"
#include "memtable/arena.h"
#include "util/assert.h"
#include "util/sim_hooks.h"

namespace kiln {

// With branching 4, 12 levels keep searches logarithmic up to ~4^12 (16M)
// entries, far more than one memtable holds.
inline constexpr int kSkipListMaxHeight = 12;
// A node reaches level i + 1 with probability 1/kSkipListBranching.
inline constexpr uint64_t kSkipListBranching = 4;

// A key's order summary (see Comparator above): two words compared in
// order, high first.
struct SkipListKeyPrefix {
  uint64_t high = 0;
  uint64_t low = 0;
  friend auto operator<=>(const SkipListKeyPrefix&, const SkipListKeyPrefix&) = default;
};

template <typename Comparator>
class SkipList {
 private:
  struct Node;

 public:
  // REQUIRES: arena outlives the list. random seeds the node heights (and so
  // the list's shape, never its contents), keeping runs reproducible.
  SkipList(Comparator compare, Arena& arena, Random random);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Space for one entry of entry_bytes inside a new, unlinked node (valid as
  // long as the list). REQUIRES: the writer's external synchronisation.
  char* AllocateEntry(size_t entry_bytes);

  // Links the node of entry, which the caller has finished writing.
  // REQUIRES: external synchronisation against other Inserts; entry came from
  // this list's AllocateEntry and was not inserted yet; nothing that compares
  // equal to it is in the list.
  void Insert(const char* entry);

  // Whether an entry comparing equal to key is in the list. Lock-free.
  bool Contains(const char* key) const;

  // A position in the list. Lock-free; valid as long as the list.
  // Thread-safety: one Iterator is for one thread at a time.
  class Iterator {
   public:
    explicit Iterator(const SkipList& list) : list_(&list) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid().
    const char* key() const;
    // REQUIRES: Valid(). O(1).
    void Next();
    // The entry after this one, or null at the end. REQUIRES: Valid(). O(1).
    const char* NextKey() const;
    // REQUIRES: Valid(). O(log n): searches from the head, since nodes have
    // no back links.
    void Prev();
    // The first entry >= target.
    void Seek(const char* target);
    // The last entry <= target.
    void SeekForPrev(const char* target);
    void SeekToFirst();
    void SeekToLast();

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  int RandomHeight();
  // A node with room for entry_bytes after its header; links null.
  Node* NewNode(int height, size_t entry_bytes);
  // Whether node's key orders before key, whose OrderPrefix is key_prefix.
  // The prefixes decide when they differ (Invariant 6).
  bool KeyIsBefore(const Node* node, const char* key, const SkipListKeyPrefix& key_prefix) const;
  int max_height() const { return max_height_.load(std::memory_order_relaxed); }
  // The first node >= key, or null. If prev is given, fills prev[level] with
  // the last node < key at every level below max_height().
  Node* FindGreaterOrEqual(const char* key, Node** prev) const;
  enum class Bound { kLessThan, kLessOrEqual };
  // The last node < key (kLessThan) or <= key (kLessOrEqual); head_ if none.
  Node* FindLast(const char* key, Bound bound) const;
  // The last node of the list; head_ if the list is empty.
  Node* FindLastNode() const;

  Comparator compare_;
  Arena& arena_;
  Random random_;  // writer only
  Node* const head_;
  std::atomic<int> max_height_{1};
  Node* tail_[kSkipListMaxHeight];  // writer only (Invariant 8)
};

// A node, its links and its entry share one arena allocation:
//   [link height-1] ... [link 1] [link 0] [Node header] [entry bytes]
// so level 0's link, the header and the entry's front are adjacent.
template <typename Comparator>
struct SkipList<Comparator>::Node {
  explicit Node(int height_in) : height(height_in) {}

  // The link at level: links are laid out downward from the header.
  std::atomic<Node*>* link(int level) {
    return std::launder(reinterpret_cast<std::atomic<Node*>*>(this) - 1 - level);
  }
  const char* key() const { return reinterpret_cast<const char*>(this + 1); }
  static Node* Of(const char* entry) {
    return std::launder(reinterpret_cast<Node*>(const_cast<char*>(entry)) - 1);
  }
  Node* Next(int level) {
    KILN_DASSERT(level >= 0 && level < height);
    return link(level)->load(std::memory_order_acquire);
  }
  // Publishes next to readers: everything written before is visible to a
  // reader that loads this link.
  void SetNext(int level, Node* next) {
    KILN_DASSERT(level >= 0 && level < height);
    link(level)->store(next, std::memory_order_release);
  }
  // For links of a node no reader can reach yet (Invariant 4).
  Node* NextRelaxed(int level) { return link(level)->load(std::memory_order_relaxed); }
  void SetNextRelaxed(int level, Node* next) { link(level)->store(next, std::memory_order_relaxed); }

  // compare_.OrderPrefix(key()), set by Insert before the node is linked;
  // zero for the head, which has no entry.
  SkipListKeyPrefix prefix;
  const int height;
};

template <typename Comparator>
SkipList<Comparator>::SkipList(Comparator compare, Arena& arena, Random random)
    : compare_(compare),
      arena_(arena),
      random_(random),
      head_(NewNode(kSkipListMaxHeight, 0)) {
  for (Node*& last : tail_) last = head_;
  static_assert(sizeof(std::atomic<Node*>) % alignof(Node) == 0,
                "the header must be aligned right after the links");
  static_assert(alignof(Node) <= kArenaMaxAlignment);
  static_assert(std::atomic<Node*>::is_always_lock_free);
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::NewNode(int height,
                                                                   size_t entry_bytes) {
  KILN_ASSERT(height >= 1);
  KILN_ASSERT(height <= kSkipListMaxHeight);
  const size_t links_bytes = sizeof(std::atomic<Node*>) * static_cast<size_t>(height);
  char* memory = arena_.AllocateAligned(links_bytes + sizeof(Node) + entry_bytes,
                                        alignof(std::atomic<Node*>));
  // Links in memory order: level height-1 first, level 0 last.
  for (int level = height - 1; level >= 0; --level) {
    new (memory + sizeof(std::atomic<Node*>) * static_cast<size_t>(height - 1 - level))
        std::atomic<Node*>(nullptr);
  }
  return new (memory + links_bytes) Node(height);
}

template <typename Comparator>
char* SkipList<Comparator>::AllocateEntry(size_t entry_bytes) {
  Node* node = NewNode(RandomHeight(), entry_bytes);
  return const_cast<char*>(node->key());
}

template <typename Comparator>
int SkipList<Comparator>::RandomHeight() {
  int height = 1;
  while (height < kSkipListMaxHeight && random_.OneIn(kSkipListBranching)) ++height;
  // Rare tall nodes exercise the upper levels of small lists.
  if (KILN_BUGGIFY_WITH_PROB(0.01)) height = kSkipListMaxHeight;
  KILN_PROBE(height == kSkipListMaxHeight, "skiplist: a node of the maximum height");
  return height;
}

// Always inlined: called out of line (as g++ chose), the prefix pair went
// through memory on every search step; inlined, random inserts took 5-7%
// less time (memtable_bench, six alternating runs: 607-668 ns against
// 665-710 ns).
template <typename Comparator>
[[gnu::always_inline]] inline bool SkipList<Comparator>::KeyIsBefore(
    const Node* node, const char* key, const SkipListKeyPrefix& key_prefix) const {
  if (node->prefix != key_prefix) {
    KILN_DASSERT((node->prefix < key_prefix) == (compare_(node->key(), key) < 0));
    return node->prefix < key_prefix;
  }
  return compare_(node->key(), key) < 0;
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindGreaterOrEqual(const char* key,
                                                                              Node** prev) const {
  const SkipListKeyPrefix key_prefix = compare_.OrderPrefix(key);
  Node* node = head_;
  int level = max_height() - 1;
  // The node a level above found not before key: met again on the way down,
  // it needs no second comparison.
  const Node* not_before = nullptr;
  // Each step either moves right past a node < key or descends a level, so
  // the walk ends after at most (entries + kSkipListMaxHeight) steps.
  while (true) {
    Node* next = node->Next(level);
    if (next != nullptr && next != not_before && KeyIsBefore(next, key, key_prefix)) {
      node = next;
      continue;
    }
    if (prev != nullptr) prev[level] = node;
    if (level == 0) return next;
    not_before = next;
    --level;
  }
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindLast(const char* key,
                                                                    Bound bound) const {
  const SkipListKeyPrefix key_prefix = compare_.OrderPrefix(key);
  Node* node = head_;
  int level = max_height() - 1;
  // Bounded as in FindGreaterOrEqual.
  while (true) {
    Node* next = node->Next(level);
    if (next != nullptr) {
      if (KeyIsBefore(next, key, key_prefix)) {
        node = next;
        continue;
      }
      if (bound == Bound::kLessOrEqual && next->prefix == key_prefix &&
          compare_(next->key(), key) == 0) {
        node = next;
        continue;
      }
    }
    if (level == 0) return node;
    --level;
  }
}

template <typename Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindLastNode() const {
  Node* node = head_;
  int level = max_height() - 1;
  // Bounded as in FindGreaterOrEqual.
  while (true) {
    Node* next = node->Next(level);
    if (next != nullptr) {
      node = next;
      continue;
    }
    if (level == 0) return node;
    --level;
  }
}

template <typename Comparator>
void SkipList<Comparator>::Insert(const char* entry) {
  KILN_ASSERT(entry != nullptr);
  Node* const node = Node::Of(entry);
  const int height = node->height;
  KILN_ASSERT(height >= 1 && height <= kSkipListMaxHeight);
  KILN_DASSERT(node->NextRelaxed(0) == nullptr);
  node->prefix = compare_.OrderPrefix(entry);  // before linking (Invariant 6)
  Node* prev[kSkipListMaxHeight];
  const bool appends = tail_[0] == head_ || KeyIsBefore(tail_[0], entry, node->prefix);
  KILN_PROBE(appends && tail_[0] != head_, "skiplist: an insert after the last node");
  if (appends) {
    // Every level's last node precedes entry (Invariant 8): no search.
    KILN_DASSERT(FindGreaterOrEqual(entry, nullptr) == nullptr);
    for (int level = 0; level < max_height(); ++level) prev[level] = tail_[level];
  } else {
    Node* successor = FindGreaterOrEqual(entry, prev);
    KILN_ASSERT_MSG(successor != nullptr, "skiplist: the tail is stale");
    KILN_ASSERT_MSG(successor->prefix != node->prefix || compare_(successor->key(), entry) != 0,
                    "skiplist: duplicate entry");
  }

  const int old_max_height = max_height();
  if (height > old_max_height) {
    for (int level = old_max_height; level < height; ++level) prev[level] = head_;
    // Relaxed is enough (Invariant 5): a reader that sees the new height
    // early finds null head links there and descends.
    max_height_.store(height, std::memory_order_relaxed);
  }

  // Bottom-up (Invariant 3). The node's own links need no ordering: the
  // release store into prev[level] publishes them (Invariant 4).
  for (int level = 0; level < height; ++level) {
    Node* const next = prev[level]->NextRelaxed(level);
    node->SetNextRelaxed(level, next);
    prev[level]->SetNext(level, node);
    if (next == nullptr) tail_[level] = node;
  }
}

template <typename Comparator>
bool SkipList<Comparator>::Contains(const char* key) const {
  Node* node = FindGreaterOrEqual(key, nullptr);
  return node != nullptr && compare_(node->key(), key) == 0;
}

template <typename Comparator>
const char* SkipList<Comparator>::Iterator::key() const {
  KILN_DASSERT(Valid());
  return node_->key();
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::Next() {
  KILN_ASSERT(Valid());
  node_ = node_->Next(0);
  if (node_ == nullptr) return;
  // Scans (a flush, above all) read nodes that are cold: start loading the
  // node two ahead (link, header, entry's front), so that the one after this
  // is already in cache for NextKey.
  Node* const after = node_->Next(0);
  if (after == nullptr) return;
  Node* const two_ahead = after->Next(0);
  if (two_ahead != nullptr) {
    const char* const start = reinterpret_cast<const char*>(two_ahead->link(0));
    __builtin_prefetch(start);
    __builtin_prefetch(start + 64);
  }
}

template <typename Comparator>
const char* SkipList<Comparator>::Iterator::NextKey() const {
  KILN_DASSERT(Valid());
  Node* const after = node_->Next(0);
  return after == nullptr ? nullptr : after->key();
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::Prev() {
  KILN_ASSERT(Valid());
  Node* node = list_->FindLast(node_->key(), Bound::kLessThan);
  node_ = node == list_->head_ ? nullptr : node;
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::Seek(const char* target) {
  node_ = list_->FindGreaterOrEqual(target, nullptr);
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::SeekForPrev(const char* target) {
  Node* node = list_->FindLast(target, Bound::kLessOrEqual);
  node_ = node == list_->head_ ? nullptr : node;
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::SeekToFirst() {
  node_ = list_->head_->Next(0);
}

template <typename Comparator>
void SkipList<Comparator>::Iterator::SeekToLast() {
  Node* node = list_->FindLastNode();
  node_ = node == list_->head_ ? nullptr : node;
}

}  // namespace kiln

#endif  // KILN_MEMTABLE_SKIPLIST_H_
