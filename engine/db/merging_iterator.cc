#include "db/merging_iterator.h"

#include <cstdint>
#include <string>
#include <utility>

#include "util/assert.h"
#include "util/sim_hooks.h"

namespace kiln {
namespace {

enum class Direction : uint8_t { kForward, kBackward };

class MergingIteratorImpl final : public MergingIterator {
 public:
  explicit MergingIteratorImpl(std::vector<MergingChild> children)
      : children_(std::move(children)) {
    KILN_ASSERT(children_.size() <= kMaxMergingChildren);
    for (const MergingChild& child : children_) KILN_ASSERT(child.iterator != nullptr);
    heap_.reserve(children_.size());
    keys_.resize(children_.size());
  }

  bool Valid() const override { return !heap_.empty(); }

  void SeekToFirst() override {
    if (!status_.ok()) return;
    for (MergingChild& child : children_) child.iterator->SeekToFirst();
    RebuildHeap(Direction::kForward);
  }

  void SeekToLast() override {
    if (!status_.ok()) return;
    for (MergingChild& child : children_) child.iterator->SeekToLast();
    RebuildHeap(Direction::kBackward);
  }

  void Seek(std::string_view target) override {
    if (!status_.ok()) return;
    for (MergingChild& child : children_) child.iterator->Seek(target);
    RebuildHeap(Direction::kForward);
  }

  void SeekForPrev(std::string_view target) override {
    if (!status_.ok()) return;
    for (MergingChild& child : children_) child.iterator->SeekForPrev(target);
    RebuildHeap(Direction::kBackward);
  }

  void Next() override {
    KILN_ASSERT(Valid());
    if (direction_ == Direction::kBackward) {
      SwitchToForward();
      return;
    }
    InternalIterator& top = *children_[heap_.front()].iterator;
    top.Next();
    AfterTopMoved();
  }

  void Prev() override {
    KILN_ASSERT(Valid());
    if (direction_ == Direction::kForward) {
      SwitchToBackward();
      return;
    }
    InternalIterator& top = *children_[heap_.front()].iterator;
    top.Prev();
    AfterTopMoved();
  }

  std::string_view key() const override {
    KILN_ASSERT(Valid());
    return keys_[heap_.front()];
  }

  std::string_view value() const override {
    KILN_ASSERT(Valid());
    return children_[heap_.front()].iterator->value();
  }

  absl::Status status() const override { return status_; }

  size_t SkipForwardCovered(std::string_view end_user_key,
                            SequenceNumber tombstone_sequence) override {
    KILN_ASSERT(Valid());
    KILN_ASSERT(direction_ == Direction::kForward);
    seek_key_.clear();
    AppendInternalKey(seek_key_, end_user_key, kMaxSequenceNumber, kValueTypeForSeek);
    size_t moved = 0;
    for (const uint32_t index : heap_) {
      MergingChild& child = children_[index];
      if (child.sequence_max >= tombstone_sequence) continue;
      if (CompareUserKeys(ExtractUserKey(child.iterator->key()), end_user_key) >= 0) continue;
      child.iterator->Seek(seek_key_);
      ++moved;
    }
    if (moved > 0) RebuildHeap(Direction::kForward);
    return moved;
  }

  size_t SkipBackwardCovered(std::string_view begin_user_key,
                             SequenceNumber tombstone_sequence) override {
    KILN_ASSERT(Valid());
    KILN_ASSERT(direction_ == Direction::kBackward);
    seek_key_.clear();
    AppendInternalKey(seek_key_, begin_user_key, kMaxSequenceNumber, kValueTypeForSeek);
    size_t moved = 0;
    for (const uint32_t index : heap_) {
      MergingChild& child = children_[index];
      if (child.sequence_max >= tombstone_sequence) continue;
      InternalIterator& iterator = *child.iterator;
      if (CompareUserKeys(ExtractUserKey(iterator.key()), begin_user_key) < 0) continue;
      // seek_key_ is the smallest internal key of begin_user_key, so at most
      // an entry equal to it can land here with that user key.
      iterator.SeekForPrev(seek_key_);
      if (iterator.Valid() &&
          CompareUserKeys(ExtractUserKey(iterator.key()), begin_user_key) >= 0) {
        iterator.Prev();
      }
      ++moved;
    }
    if (moved > 0) RebuildHeap(Direction::kBackward);
    return moved;
  }

 private:
  // True if child a's entry comes out of the heap before child b's.
  bool Before(uint32_t a, uint32_t b) const {
    const int order = CompareInternalKeys(keys_[a], keys_[b]);
    // Equal internal keys in two sources mean a sequence was reused.
    KILN_DASSERT(order != 0);
    return direction_ == Direction::kForward ? order < 0 : order > 0;
  }

  void SiftDown(size_t position) {
    const size_t size = heap_.size();
    // Each round moves one level down a tree of at most kMaxMergingChildren.
    while (true) {
      const size_t left = 2 * position + 1;
      if (left >= size) return;
      size_t first = left;
      const size_t right = left + 1;
      if (right < size && Before(heap_[right], heap_[left])) first = right;
      if (!Before(heap_[first], heap_[position])) return;
      std::swap(heap_[first], heap_[position]);
      position = first;
    }
  }

  void Fail(absl::Status status) {
    KILN_DASSERT(!status.ok());
    if (status_.ok()) status_ = std::move(status);
    heap_.clear();
  }

  // After every child has been repositioned: the first child error wins,
  // else the positioned children form the heap for direction.
  void RebuildHeap(Direction direction) {
    direction_ = direction;
    heap_.clear();
    for (uint32_t index = 0; index < children_.size(); ++index) {
      const InternalIterator& iterator = *children_[index].iterator;
      if (iterator.Valid()) {
        keys_[index] = iterator.key();
        heap_.push_back(index);
        continue;
      }
      absl::Status child_status = iterator.status();
      if (!child_status.ok()) {
        Fail(std::move(child_status));
        return;
      }
    }
    for (size_t position = heap_.size() / 2; position > 0; --position) SiftDown(position - 1);
  }

  // The top child took one step in direction_.
  void AfterTopMoved() {
    const InternalIterator& top = *children_[heap_.front()].iterator;
    if (top.Valid()) {
      keys_[heap_.front()] = top.key();
      SiftDown(0);
      return;
    }
    absl::Status child_status = top.status();
    if (!child_status.ok()) {
      Fail(std::move(child_status));
      return;
    }
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
  }

  // Invariant 1 holds for backward; repositions every other child at its
  // first entry > key(), then steps the current child past key().
  void SwitchToForward() {
    KILN_PROBE(children_.size() > 1, "merge switches from backward to forward");
    const uint32_t current = heap_.front();
    // Stays valid while other children move.
    const std::string_view current_key = children_[current].iterator->key();
    for (uint32_t index = 0; index < children_.size(); ++index) {
      if (index == current) continue;
      InternalIterator& iterator = *children_[index].iterator;
      iterator.Seek(current_key);
      if (iterator.Valid() && CompareInternalKeys(iterator.key(), current_key) == 0) {
        KILN_DASSERT(false && "two children hold an equal internal key");
        iterator.Next();
      }
    }
    children_[current].iterator->Next();
    RebuildHeap(Direction::kForward);
  }

  // The mirror image of SwitchToForward.
  void SwitchToBackward() {
    KILN_PROBE(children_.size() > 1, "merge switches from forward to backward");
    const uint32_t current = heap_.front();
    const std::string_view current_key = children_[current].iterator->key();
    for (uint32_t index = 0; index < children_.size(); ++index) {
      if (index == current) continue;
      InternalIterator& iterator = *children_[index].iterator;
      iterator.SeekForPrev(current_key);
      if (iterator.Valid() && CompareInternalKeys(iterator.key(), current_key) == 0) {
        KILN_DASSERT(false && "two children hold an equal internal key");
        iterator.Prev();
      }
    }
    children_[current].iterator->Prev();
    RebuildHeap(Direction::kBackward);
  }

  std::vector<MergingChild> children_;
  // Indices into children_ of the positioned children, a binary heap ordered
  // by Before().
  std::vector<uint32_t> heap_;
  // keys_[i] is children_[i]'s key() while i is in heap_, refreshed whenever
  // that child moves (a key stays valid until its iterator moves): the heap
  // compares without a virtual call per key.
  std::vector<std::string_view> keys_;
  Direction direction_ = Direction::kForward;
  absl::Status status_;
  std::string seek_key_;  // reused by the skips
};

}  // namespace

std::unique_ptr<MergingIterator> NewMergingIterator(std::vector<MergingChild> children) {
  return std::make_unique<MergingIteratorImpl>(std::move(children));
}

std::unique_ptr<MergingIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  std::vector<MergingChild> merging_children;
  merging_children.reserve(children.size());
  for (std::unique_ptr<InternalIterator>& child : children) {
    merging_children.push_back(MergingChild{.iterator = std::move(child)});
  }
  return std::make_unique<MergingIteratorImpl>(std::move(merging_children));
}

}  // namespace kiln
