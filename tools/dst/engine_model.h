// The reference model the engine workload checks the real engine against:
// per bucket, per key, every committed version with its sequence, plus the
// range tombstones with theirs. It answers "what does the database hold at
// sequence S" for any S since its base (the state a recovery left).
//
// Visibility at S (DESIGN.md, "Oracles"): the newest version of a key with
// sequence <= S, unless a range tombstone with a larger sequence <= S covers
// the key. Entry i of a batch whose last sequence is L has sequence
// L - count + 1 + i, exactly as the engine assigns them.
//
// Thread-safety: none; the simulator runs every fiber on one OS thread and
// the model is only touched between scheduling points.
#ifndef KILN_TOOLS_DST_ENGINE_MODEL_H_
#define KILN_TOOLS_DST_ENGINE_MODEL_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::dst {

// The workload's buckets: 0 is the default bucket, 1 a named one.
inline constexpr int kModelBuckets = 2;

struct ModelEntry {
  enum class Kind : uint8_t { kPut, kDelete, kDeleteRange };
  Kind kind = Kind::kPut;
  int bucket = 0;
  std::string key;    // kDeleteRange: the range's begin
  std::string value;  // kDeleteRange: the range's end (exclusive)
};

using ModelBucketState = std::map<std::string, std::string>;
using ModelState = std::array<ModelBucketState, kModelBuckets>;

// Applies a batch's entries in order to a plain state.
void ApplyEntries(const std::vector<ModelEntry>& entries, ModelState& state);
// "" if equal; else the first difference, naming bucket, key, expected, got.
std::string DescribeStateDifference(const ModelState& expected, const ModelState& got);
std::string DescribeBucketDifference(int bucket, const ModelBucketState& expected,
                                     const ModelBucketState& got);

class EngineModel {
 public:
  // Forgets all history: the database holds state at base_sequence.
  void Reset(const ModelState& state, uint64_t base_sequence);

  // Records a committed batch whose last entry has sequence last_sequence.
  // Batches may be recorded in any order (fibers resume in any order).
  // Returns "" or, without recording anything, why the engine's sequence is
  // impossible (at or below the base, or overlapping a recorded batch).
  // REQUIRES: !entries.empty().
  std::string AddBatch(uint64_t last_sequence, const std::vector<ModelEntry>& entries);

  std::optional<std::string> Get(int bucket, const std::string& key, uint64_t sequence) const;
  ModelBucketState BucketAt(int bucket, uint64_t sequence) const;
  ModelState StateAt(uint64_t sequence) const;

  // Every sequence in (base, complete_through] belongs to a recorded batch.
  uint64_t complete_through() const { return complete_through_; }
  uint64_t base_sequence() const { return base_sequence_; }
  // The highest recorded sequence (the base if none).
  uint64_t max_sequence() const;
  // The batch boundaries (the base and every batch's last sequence) in
  // [low, high], ascending: the only sequences a snapshot can name.
  std::vector<uint64_t> Boundaries(uint64_t low, uint64_t high) const;

 private:
  struct Version {
    uint64_t sequence = 0;
    std::optional<std::string> value;  // nullopt: a point tombstone
  };
  struct RangeTombstone {
    uint64_t sequence = 0;
    std::string begin;
    std::string end;
  };
  struct BucketHistory {
    // Versions per key, ascending by sequence.
    std::map<std::string, std::vector<Version>> versions;
    std::vector<RangeTombstone> ranges;
  };

  std::array<BucketHistory, kModelBuckets> buckets_;
  uint64_t base_sequence_ = 0;
  uint64_t complete_through_ = 0;
  // first sequence -> last sequence of every recorded batch.
  std::map<uint64_t, uint64_t> batches_;
};

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_ENGINE_MODEL_H_
