#include "db/range_tombstones.h"

#include <algorithm>
#include <functional>

#include "util/assert.h"

namespace kiln {
namespace {

// A tombstone still open during the sweep in the constructor.
struct OpenTombstone {
  std::string_view end;
  SequenceNumber sequence;
};

}  // namespace

FragmentedRangeTombstones::FragmentedRangeTombstones(std::span<const RangeTombstone> tombstones) {
  // Every begin and end is a boundary; between two consecutive boundaries the
  // covering set cannot change, so each gap becomes (at most) one fragment.
  std::vector<std::string_view> boundaries;
  boundaries.reserve(2 * tombstones.size());
  std::vector<const RangeTombstone*> by_begin;
  by_begin.reserve(tombstones.size());
  for (const RangeTombstone& tombstone : tombstones) {
    KILN_ASSERT_MSG(tombstone.begin < tombstone.end, "range tombstone: empty range");
    KILN_ASSERT(tombstone.sequence > 0);
    KILN_ASSERT(tombstone.sequence <= kMaxSequenceNumber);
    boundaries.push_back(tombstone.begin);
    boundaries.push_back(tombstone.end);
    by_begin.push_back(&tombstone);
  }
  std::sort(boundaries.begin(), boundaries.end());
  boundaries.erase(std::unique(boundaries.begin(), boundaries.end()), boundaries.end());
  std::stable_sort(
      by_begin.begin(), by_begin.end(),
      [](const RangeTombstone* a, const RangeTombstone* b) { return a->begin < b->begin; });

  std::vector<OpenTombstone> open;
  std::vector<SequenceNumber> sequences;
  size_t next_to_open = 0;
  for (size_t i = 0; i + 1 < boundaries.size(); ++i) {
    const std::string_view gap_begin = boundaries[i];
    const std::string_view gap_end = boundaries[i + 1];
    while (next_to_open < by_begin.size() && by_begin[next_to_open]->begin == gap_begin) {
      open.push_back({by_begin[next_to_open]->end, by_begin[next_to_open]->sequence});
      ++next_to_open;
    }
    // Ends are boundaries too, so whatever is still open covers the whole gap.
    std::erase_if(open, [&](const OpenTombstone& t) { return t.end <= gap_begin; });
    if (open.empty()) continue;

    sequences.clear();
    for (const OpenTombstone& t : open) sequences.push_back(t.sequence);
    std::sort(sequences.begin(), sequences.end(), std::greater<>());
    sequences.erase(std::unique(sequences.begin(), sequences.end()), sequences.end());

    if (!fragments_.empty() && fragments_.back().end == gap_begin &&
        fragments_.back().sequences == sequences) {
      fragments_.back().end = std::string(gap_end);  // Invariant 4
      continue;
    }
    fragments_.push_back({std::string(gap_begin), std::string(gap_end), sequences});
  }
  KILN_ASSERT(next_to_open == by_begin.size());
}

size_t FragmentedRangeTombstones::LowerBound(std::string_view user_key) const {
  const auto it = std::upper_bound(
      fragments_.begin(), fragments_.end(), user_key,
      [](std::string_view key, const Fragment& fragment) { return key < fragment.end; });
  return static_cast<size_t>(it - fragments_.begin());
}

size_t FragmentedRangeTombstones::FindContaining(std::string_view user_key) const {
  const size_t index = LowerBound(user_key);
  if (index < fragments_.size() && fragments_[index].begin <= user_key) return index;
  return fragments_.size();
}

SequenceNumber FragmentedRangeTombstones::MaxCoveringSeq(std::string_view user_key,
                                                         SequenceNumber snapshot) const {
  const std::optional<CoveringFragment> fragment = FragmentAt(user_key, snapshot);
  return fragment.has_value() ? fragment->sequence : 0;
}

std::optional<CoveringFragment> FragmentedRangeTombstones::FragmentAt(
    std::string_view user_key, SequenceNumber snapshot) const {
  const size_t index = FindContaining(user_key);
  if (index == fragments_.size()) return std::nullopt;
  const Fragment& fragment = fragments_[index];
  // Newest first: the first sequence <= snapshot is the largest visible one.
  const auto visible = std::lower_bound(fragment.sequences.begin(), fragment.sequences.end(),
                                        snapshot, std::greater<>());
  if (visible == fragment.sequences.end()) return std::nullopt;
  return CoveringFragment{fragment.begin, fragment.end, *visible};
}

std::vector<RangeTombstone> FragmentedRangeTombstones::ForCompaction(
    std::span<const SequenceNumber> live_snapshots, BottommostLevel bottommost) const {
  KILN_ASSERT(std::is_sorted(live_snapshots.begin(), live_snapshots.end()));
  // Stripe j holds the sequences in (s_j, s_{j+1}] (s_0 = 0); the last stripe,
  // index live_snapshots.size(), holds those above every snapshot.
  const auto stripe_of = [&](SequenceNumber sequence) {
    return static_cast<size_t>(
        std::lower_bound(live_snapshots.begin(), live_snapshots.end(), sequence) -
        live_snapshots.begin());
  };
  constexpr size_t kOldestStripe = 0;
  std::vector<RangeTombstone> kept;
  for (const Fragment& fragment : fragments_) {
    bool any_kept = false;
    size_t last_kept_stripe = 0;
    for (const SequenceNumber sequence : fragment.sequences) {  // newest first
      const size_t stripe = stripe_of(sequence);
      if (any_kept && stripe == last_kept_stripe) continue;  // shadowed by a newer one
      if (bottommost == BottommostLevel::kYes && stripe == kOldestStripe) break;
      kept.push_back({fragment.begin, fragment.end, sequence});
      any_kept = true;
      last_kept_stripe = stripe;
    }
  }
  return kept;
}

std::vector<RangeTombstone> FragmentedRangeTombstones::AllFragments() const {
  std::vector<RangeTombstone> all;
  for (const Fragment& fragment : fragments_) {
    for (const SequenceNumber sequence : fragment.sequences) {
      all.push_back({fragment.begin, fragment.end, sequence});
    }
  }
  return all;
}

}  // namespace kiln
