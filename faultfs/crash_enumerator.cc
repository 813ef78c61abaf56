#include "faultfs/crash_enumerator.h"

#include <algorithm>
#include <map>
#include <set>

#include "util/assert.h"

namespace kiln::faultfs {
namespace {

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

uint64_t Power(uint64_t base, uint64_t exponent) {
  uint64_t result = 1;
  for (uint64_t i = 0; i < exponent; ++i) result = SaturatingMul(result, base);
  return result;
}

// Sector pattern number `code` in base 3, digit s for sector s (0 = new, 1 =
// old, 2 = fill).
std::vector<SectorOutcome> SectorPattern(uint64_t code, uint64_t sectors) {
  std::vector<SectorOutcome> pattern;
  for (uint64_t s = 0; s < sectors; ++s) {
    pattern.push_back(static_cast<SectorOutcome>(code % 3));
    code /= 3;
  }
  return pattern;
}

std::vector<uint64_t> Prefix(uint64_t length) {
  std::vector<uint64_t> kept;
  for (uint64_t i = 0; i < length; ++i) kept.push_back(i);
  return kept;
}

// The ways one file's pending data can survive: `count` of them in all (the
// requested space), the first min(count, limit) materialised.
struct InodeVariants {
  uint64_t count = 0;
  std::vector<InodeCrashChoice> variants;
};

InodeVariants BuildInodeVariants(const PendingInode& inode, const EnumerateOptions& options,
                                 uint64_t limit, CrashEnumeration& result) {
  InodeVariants out;
  const uint64_t op_count = inode.ops.size();
  auto add = [&](std::vector<uint64_t> kept, std::optional<TornWriteChoice> torn) {
    out.count = SaturatingAdd(out.count, 1);
    if (out.variants.size() < limit) {
      out.variants.push_back(InodeCrashChoice{
          .inode_id = inode.inode_id, .kept_ops = std::move(kept), .torn = std::move(torn)});
    }
  };
  if (op_count <= options.max_subset_ops) {
    for (uint64_t mask = 0; mask < (uint64_t{1} << op_count); ++mask) {
      std::vector<uint64_t> kept;
      for (uint64_t i = 0; i < op_count; ++i) {
        if ((mask >> i) & 1) kept.push_back(i);
      }
      add(std::move(kept), std::nullopt);
    }
  } else {
    ++result.inodes_prefix_only;
    for (uint64_t length = 0; length <= op_count; ++length) add(Prefix(length), std::nullopt);
  }
  if (!options.include_torn) return out;
  for (uint64_t index = 0; index < op_count; ++index) {
    const PendingDataOp& op = inode.ops[index];
    if (op.kind != PendingDataOpKind::kWrite) continue;
    const uint64_t sectors = CoveredSectorCount(op.offset, op.length, options.sector_size_bytes);
    if (sectors > options.max_torn_sectors) {
      ++result.torn_writes_too_wide;
      continue;
    }
    const uint64_t patterns = Power(3, sectors);
    for (TornFill fill : {TornFill::kZeros, TornFill::kGarbage}) {
      for (uint64_t code = 0; code < patterns; ++code) {
        std::vector<SectorOutcome> pattern = SectorPattern(code, sectors);
        const bool any_fill = std::count(pattern.begin(), pattern.end(), SectorOutcome::kFill) > 0;
        const bool all_old = std::count(pattern.begin(), pattern.end(), SectorOutcome::kOld) ==
                             static_cast<ptrdiff_t>(sectors);
        const bool all_new = std::count(pattern.begin(), pattern.end(), SectorOutcome::kNew) ==
                             static_cast<ptrdiff_t>(sectors);
        // All-old and all-new are the untorn prefixes; patterns without fill
        // are the same under both fills, so the garbage pass skips them.
        if (all_old || all_new) continue;
        if (fill == TornFill::kGarbage && !any_fill) continue;
        add(Prefix(index), TornWriteChoice{.op_index = index,
                                           .sector_size_bytes = options.sector_size_bytes,
                                           .fill = fill,
                                           .garbage_seed = options.garbage_seed,
                                           .sectors = std::move(pattern)});
      }
    }
  }
  return out;
}

// Every subset of directory operations closed under prerequisites, or (past
// max_subset_ops) every prefix.
std::vector<std::vector<bool>> DirChoices(const PendingState& pending,
                                          const EnumerateOptions& options,
                                          CrashEnumeration& result) {
  const uint64_t count = pending.dir_ops.size();
  std::vector<std::vector<bool>> choices;
  if (count > options.max_subset_ops) {
    result.dir_ops_prefix_only = true;
    for (uint64_t length = 0; length <= count; ++length) {
      std::vector<bool> kept(count, false);
      std::fill(kept.begin(), kept.begin() + static_cast<ptrdiff_t>(length), true);
      choices.push_back(std::move(kept));
    }
    return choices;
  }
  for (uint64_t mask = 0; mask < (uint64_t{1} << count); ++mask) {
    std::vector<bool> kept(count, false);
    for (uint64_t i = 0; i < count; ++i) kept[i] = ((mask >> i) & 1) != 0;
    bool closed = true;
    for (uint64_t i = 0; i < count && closed; ++i) {
      if (!kept[i]) continue;
      for (uint64_t prerequisite : pending.dir_ops[i].prerequisites) {
        if (!kept[prerequisite]) closed = false;
      }
    }
    if (closed) choices.push_back(std::move(kept));
  }
  return choices;
}

}  // namespace

CrashEnumeration EnumerateCrashStates(const MemFileSystem& fs, const EnumerateOptions& options) {
  KILN_ASSERT(options.max_subset_ops <= kMaxEnumeratedSubsetOps);
  KILN_ASSERT(options.max_torn_sectors <= kMaxEnumeratedTornSectors);
  KILN_ASSERT(options.sector_size_bytes >= kMinSectorSizeBytes);
  KILN_ASSERT(options.sector_size_bytes <= kMaxSectorSizeBytes);
  CrashEnumeration result;
  const PendingState pending = fs.DescribePending();
  const std::vector<std::vector<bool>> dir_choices = DirChoices(pending, options, result);

  // No digit of the odometer below can pass the number of candidates
  // examined, so materialising max_candidates variants per file suffices.
  std::map<uint64_t, InodeVariants> variants;
  for (const PendingInode& inode : pending.inodes) {
    variants.emplace(inode.inode_id,
                     BuildInodeVariants(inode, options, options.max_candidates, result));
  }

  // Only files that keep a name can differ in content, so each directory
  // choice multiplies the variants of its survivors alone.
  std::vector<std::vector<uint64_t>> survivors;
  uint64_t total = 0;
  for (const std::vector<bool>& kept_dirs : dir_choices) {
    absl::StatusOr<std::vector<uint64_t>> ids = fs.CrashSurvivors(kept_dirs);
    KILN_ASSERT_MSG(ids.ok(), "an enumerated directory choice must fit");
    uint64_t product = 1;
    for (uint64_t id : *ids) product = SaturatingMul(product, variants.at(id).count);
    total = SaturatingAdd(total, product);
    survivors.push_back(*std::move(ids));
  }

  std::set<uint64_t> seen_hashes;
  uint64_t examined = 0;
  bool stopped = false;
  for (size_t d = 0; d < dir_choices.size() && !stopped; ++d) {
    const std::vector<uint64_t>& ids = survivors[d];
    std::vector<uint64_t> digits(ids.size(), 0);
    // One iteration per candidate; bounded by max_candidates overall.
    while (!stopped) {
      if (examined >= options.max_candidates || seen_hashes.size() >= options.max_states) {
        stopped = true;
        break;
      }
      CrashChoice choice{.kept_dir_ops = dir_choices[d]};
      for (size_t i = 0; i < ids.size(); ++i) {
        const InodeVariants& inode = variants.at(ids[i]);
        KILN_ASSERT(digits[i] < inode.variants.size());
        const InodeCrashChoice& variant = inode.variants[digits[i]];
        if (!variant.kept_ops.empty() || variant.torn) choice.inodes.push_back(variant);
      }
      absl::StatusOr<uint64_t> hash = fs.CrashContentHash(choice);
      KILN_ASSERT_MSG(hash.ok(), "an enumerated crash choice must fit");
      ++examined;
      if (seen_hashes.insert(*hash).second) {
        result.states.push_back(std::move(choice));
        result.state_hashes.push_back(*hash);
      } else {
        ++result.duplicates_removed;
      }
      // Advance the odometer; the first file's variant changes fastest.
      size_t position = 0;
      while (position < ids.size()) {
        if (++digits[position] < variants.at(ids[position]).count) break;
        digits[position] = 0;
        ++position;
      }
      if (position == ids.size()) break;
    }
  }
  result.distinct_states = result.states.size();
  result.skipped_by_bound = total - std::min(total, examined);
  result.complete = result.skipped_by_bound == 0 && result.inodes_prefix_only == 0 &&
                    !result.dir_ops_prefix_only && result.torn_writes_too_wide == 0;
  return result;
}

}  // namespace kiln::faultfs
