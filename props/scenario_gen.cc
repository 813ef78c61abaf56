#include "props/scenario_gen.h"

#include <algorithm>
#include <utility>

#include "faultfs/crash_policy.h"
#include "faultfs/fault_rule.h"
#include "util/assert.h"

namespace kiln::props {
namespace {

using dst::ScenarioEntry;
using dst::ScenarioFault;
using dst::Step;
using faultfs::FaultKind;
using faultfs::FileOp;
using Chunk = std::vector<Step>;

constexpr size_t kMaxWalkSteps = 12;
constexpr size_t kMaxMutations = 3;

// ---- Primitive generators: uniform whatever RapidCheck's size, shrinking
// towards the first choice. ----

rc::Gen<size_t> Index(size_t count) {
  KILN_ASSERT(count > 0);
  return [count](const rc::Random& random, int /*size*/) {
    const size_t value = static_cast<size_t>(rc::Random(random).next() % count);
    return rc::shrinkable::shrinkRecur(value,
                                       [](size_t x) { return rc::shrink::towards<size_t>(x, 0); });
  };
}

template <typename T>
rc::Gen<T> Choice(std::vector<T> choices) {
  KILN_ASSERT(!choices.empty());
  return rc::gen::map(Index(choices.size()), [choices](size_t i) { return choices[i]; });
}

// True `percent` percent of the time; true shrinks to false.
rc::Gen<bool> Percent(int percent) {
  KILN_ASSERT(percent >= 0 && percent <= 100);
  return [percent](const rc::Random& random, int /*size*/) {
    const bool value = static_cast<int>(rc::Random(random).next() % 100) < percent;
    return rc::shrinkable::shrinkRecur(
        value, [](bool x) { return x ? rc::seq::just(false) : rc::Seq<bool>(); });
  };
}

// Present `percent` percent of the time; shrinks to absent first.
template <typename T>
rc::Gen<std::optional<T>> Optional(int percent, rc::Gen<T> gen) {
  return rc::gen::map(
      rc::gen::tuple(Percent(percent), std::move(gen)), [](const std::tuple<bool, T>& drawn) {
        return std::get<0>(drawn) ? std::optional<T>(std::get<1>(drawn)) : std::nullopt;
      });
}

rc::Gen<uint64_t> Seed() {
  return [](const rc::Random& random, int /*size*/) {
    return rc::shrinkable::just(rc::Random(random).next());
  };
}

// Picks one generator by weight (weights > 0); the pick itself never
// shrinks, the picked value does.
template <typename T>
rc::Gen<T> Weighted(std::vector<std::pair<int, rc::Gen<T>>> choices) {
  std::vector<std::pair<int, rc::Gen<T>>> kept;
  int total = 0;
  for (auto& choice : choices) {
    KILN_ASSERT(choice.first >= 0);
    if (choice.first == 0) continue;
    total += choice.first;
    kept.push_back(std::move(choice));
  }
  KILN_ASSERT_MSG(total > 0, "a mix with every weight zero");
  return [kept, total](const rc::Random& random, int size) {
    rc::Random r(random);
    int pick = static_cast<int>(r.split().next() % static_cast<uint64_t>(total));
    for (const auto& [weight, gen] : kept) {
      if (pick < weight) return gen(r, size);
      pick -= weight;
    }
    KILN_UNREACHABLE("weights that do not add up");
  };
}

// A container of 0..max elements (RapidCheck removes elements to shrink).
template <typename T>
rc::Gen<std::vector<T>> UpTo(size_t max, rc::Gen<T> gen) {
  return rc::gen::resize(static_cast<int>(max), rc::gen::container<std::vector<T>>(std::move(gen)));
}
template <typename T>
rc::Gen<std::vector<T>> OneToN(size_t max, rc::Gen<T> gen) {
  return rc::gen::nonEmpty(UpTo(max, std::move(gen)));
}
// 1..max elements when drawn, yet every one of them can be shrunk away, so a
// chunk can shrink to any part of itself.
template <typename T>
rc::Gen<std::vector<T>> OneOrMore(size_t max, rc::Gen<T> gen) {
  KILN_ASSERT(max >= 1);
  return rc::gen::map(rc::gen::tuple(Percent(100), gen, UpTo(max - 1, gen)),
                      [](const std::tuple<bool, T, std::vector<T>>& drawn) {
                        const auto& [keep_first, first, rest] = drawn;
                        std::vector<T> all;
                        if (keep_first) all.push_back(first);
                        all.insert(all.end(), rest.begin(), rest.end());
                        return all;
                      });
}

const std::vector<Durability> kDurabilityChoices = {Durability::kSyncAll, Durability::kSyncData,
                                                    Durability::kFlush, Durability::kBuffered};

rc::Gen<int> RawClient() {
  return rc::gen::map(Index(dst::kMaxScenarioClients),
                      [](size_t i) { return static_cast<int>(i); });
}
rc::Gen<int> Bucket() {
  return rc::gen::map(Index(dst::kModelBuckets), [](size_t i) { return static_cast<int>(i); });
}
rc::Gen<int> SnapshotId() {
  return rc::gen::map(Index(kMaxSnapshotIds), [](size_t i) { return static_cast<int>(i) + 1; });
}
rc::Gen<std::optional<Durability>> WriteDurability(const ScenarioMix& mix) {
  return Optional(mix.explicit_durability_percent, Choice(kDurabilityChoices));
}
// A value's filler length; AssembleScenario puts the writer in front.
rc::Gen<std::string> Filler() {
  return rc::gen::map(Choice<size_t>({0, 8, 100, 1000, 4000}),
                      [](size_t length) { return std::string(length, '.'); });
}

// A write entry: put 60%, delete 30%, delete_range 10%.
rc::Gen<ScenarioEntry> GenEntry() {
  return rc::gen::map(
      rc::gen::tuple(Index(10), Bucket(), GenKey(), GenBound(), GenBound(), Filler(), Percent(40)),
      [](const std::tuple<size_t, int, std::string, std::string, std::string, std::string, bool>&
             drawn) {
        const auto& [kind, bucket, key, bound_a, bound_b, filler, via_db] = drawn;
        ScenarioEntry entry;
        entry.entry.bucket = bucket;
        entry.via_db = via_db;
        if (kind < 6) {
          entry.entry.kind = dst::ModelEntry::Kind::kPut;
          entry.entry.key = key;
          entry.entry.value = filler;
        } else if (kind < 9) {
          entry.entry.kind = dst::ModelEntry::Kind::kDelete;
          entry.entry.key = key;
        } else {
          entry.entry.kind = dst::ModelEntry::Kind::kDeleteRange;
          entry.entry.key = bound_a;
          entry.entry.value = bound_b;
        }
        return entry;
      });
}

Step SingleWrite(Step::Kind kind, int client, ScenarioEntry entry,
                 std::optional<Durability> durability) {
  Step step;
  step.kind = kind;
  step.client = client;
  step.entries.push_back(std::move(entry));
  step.durability = durability;
  return step;
}

Step Simple(Step::Kind kind, int client) {
  Step step;
  step.kind = kind;
  step.client = client;
  return step;
}

// ---- Chunks ----

rc::Gen<Chunk> LoneStep(const ScenarioMix& mix) {
  return rc::gen::map(GenStep(mix), [](Step step) { return Chunk{std::move(step)}; });
}

rc::Gen<Chunk> FaultWindow(const ScenarioMix& mix, std::vector<std::string> names) {
  KILN_ASSERT(!names.empty());
  return rc::gen::map(
      rc::gen::tuple(Choice(std::move(names)), Percent(90), UpTo(kMaxWindowSteps, GenStep(mix))),
      [](const std::tuple<std::string, bool, std::vector<Step>>& drawn) {
        const auto& [name, windowed, inner] = drawn;
        Chunk chunk;
        if (windowed) {
          chunk.push_back(Simple(Step::Kind::kFaultOn, 0));
          chunk.back().fault = name;
        }
        chunk.insert(chunk.end(), inner.begin(), inner.end());
        if (windowed) {
          chunk.push_back(Simple(Step::Kind::kFaultOff, 0));
          chunk.back().fault = name;
        }
        return chunk;
      });
}

// Writes, a snapshot, more writes, something that moves data between levels
// or hides it (flush, compaction, a range deletion), then reads at the
// snapshot.
rc::Gen<Chunk> SnapshotStory(const ScenarioMix& mix) {
  const rc::Gen<Step> write = Weighted<Step>(
      {{6, GenPut(mix)}, {2, GenDelete(mix)}, {1, GenDeleteRange(mix)}, {2, GenBatch(mix)}});
  const rc::Gen<Step> mutation = Weighted<Step>(
      {{3, GenFlush()}, {3, GenCompact()}, {2, GenDeleteRange(mix)}, {1, GenMaintain()}});
  const rc::Gen<Step> read = Weighted<Step>({{1, GenGet(mix)}, {1, GenScan(mix)}});
  return rc::gen::map(
      rc::gen::tuple(RawClient(), SnapshotId(), Percent(100), UpTo(kMaxStoryWrites, write),
                     UpTo(kMaxStoryWrites, write), OneOrMore(kMaxMutations, mutation),
                     OneOrMore(kMaxStoryReads, read), Percent(40)),
      [](const std::tuple<int, int, bool, std::vector<Step>, std::vector<Step>, std::vector<Step>,
                          std::vector<Step>, bool>& drawn) {
        const auto& [client, id, take, before, after, mutations, reads, release] = drawn;
        Chunk chunk(before);
        if (take) {
          Step snapshot = Simple(Step::Kind::kSnapshot, client);
          snapshot.snapshot_id = id;
          chunk.push_back(snapshot);
        }
        chunk.insert(chunk.end(), after.begin(), after.end());
        chunk.insert(chunk.end(), mutations.begin(), mutations.end());
        for (Step read : reads) {
          read.snapshot_id = id;
          chunk.push_back(std::move(read));
        }
        if (release) {
          Step step = Simple(Step::Kind::kRelease, client);
          step.snapshot_id = id;
          chunk.push_back(step);
        }
        return chunk;
      });
}

// A crash (usually), then one or more crashes in the opens that follow.
rc::Gen<Chunk> CrashRecovery() {
  return rc::gen::map(
      rc::gen::tuple(Percent(75), GenCrash(), OneOrMore(kMaxCrashInOpenRun, GenCrashInOpen())),
      [](const std::tuple<bool, Step, std::vector<Step>>& drawn) {
        const auto& [with_crash, crash, opens] = drawn;
        Chunk chunk;
        if (with_crash) chunk.push_back(crash);
        chunk.insert(chunk.end(), opens.begin(), opens.end());
        return chunk;
      });
}

rc::Gen<Chunk> GenChunk(const ScenarioMix& mix) {
  std::vector<std::string> fault_names;
  for (const ScenarioFault& fault : FaultCandidates(mix)) fault_names.push_back(fault.rule.name);
  std::vector<std::pair<int, rc::Gen<Chunk>>> choices = {{mix.chunks.step, LoneStep(mix)}};
  if (mix.chunks.fault_window > 0 && !fault_names.empty()) {
    choices.push_back({mix.chunks.fault_window, FaultWindow(mix, fault_names)});
  }
  if (mix.chunks.snapshot_story > 0) {
    choices.push_back({mix.chunks.snapshot_story, SnapshotStory(mix)});
  }
  if (mix.chunks.crash_recovery > 0) {
    choices.push_back({mix.chunks.crash_recovery, CrashRecovery()});
  }
  return Weighted<Chunk>(std::move(choices));
}

// ---- Faults ----

struct FaultCandidate {
  const char* name;
  FaultKind kind;
  std::vector<FileOp> ops;
  std::vector<FileKind> file_kinds;
};

std::vector<FaultCandidate> CandidateList(const ScenarioMix& mix) {
  const std::vector<FileOp> writes = {FileOp::kAppend, FileOp::kWrite};
  const std::vector<FileOp> syncs = {FileOp::kSync, FileOp::kSyncData};
  std::vector<FaultCandidate> list;
  if (mix.write_faults) {
    list.insert(
        list.end(),
        {
            {"wal-write-eio", FaultKind::kEio, writes, {FileKind::kWal}},
            {"wal-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kWal}},
            {"wal-short-write", FaultKind::kShortWrite, writes, {FileKind::kWal}},
            {"wal-sync-eio", FaultKind::kEio, syncs, {FileKind::kWal}},
            {"wal-sync-loses-data", FaultKind::kSyncLosesData, syncs, {FileKind::kWal}},
            {"table-write-eio", FaultKind::kEio, writes, {FileKind::kTable}},
            {"table-write-nospace", FaultKind::kNoSpace, writes, {FileKind::kTable}},
            {"table-sync-eio", FaultKind::kEio, syncs, {FileKind::kTable}},
            {"manifest-write-eio", FaultKind::kEio, writes, {FileKind::kManifest}},
            {"manifest-sync-eio", FaultKind::kEio, syncs, {FileKind::kManifest}},
            {"current-rename-eio", FaultKind::kEio, {FileOp::kRename}, {FileKind::kCurrent}},
        });
  }
  if (mix.read_faults) {
    list.insert(
        list.end(),
        {
            {"table-bit-flip", FaultKind::kBitFlipOnRead, {FileOp::kRead}, {FileKind::kTable}},
            {"table-latent-sector",
             FaultKind::kLatentSectorError,
             {FileOp::kRead},
             {FileKind::kTable}},
            {"table-short-read", FaultKind::kShortRead, {FileOp::kRead}, {FileKind::kTable}},
            {"table-read-eio", FaultKind::kEio, {FileOp::kRead}, {FileKind::kTable}},
        });
  }
  if (mix.latency) list.push_back({"latency", FaultKind::kLatency, {}, {}});
  return list;
}

// What one candidate drew: whether it is in, its probability choice, and
// whether it starts enabled.
using FaultDraw = std::tuple<bool, size_t, bool, size_t>;

const std::vector<double> kWindowProbabilities = {0.3, 0.1, 0.6, 1.0};
const std::vector<double> kStandingProbabilities = {0.02, 0.005, 0.1};
const std::vector<uint64_t> kLatenciesNs = {1'000, 50'000, 200'000};

rc::Gen<std::vector<ScenarioFault>> GenFaults(const ScenarioMix& mix) {
  const std::vector<FaultCandidate> candidates = CandidateList(mix);
  if (candidates.empty()) return rc::gen::just(std::vector<ScenarioFault>{});
  const rc::Gen<FaultDraw> draw = rc::gen::tuple(
      Percent(mix.fault_rule_percent), Index(kWindowProbabilities.size()),
      Percent(mix.chunks.fault_window > 0 ? mix.fault_enabled_at_start_percent : 100),
      Index(kLatenciesNs.size()));
  return rc::gen::map(
      rc::gen::tuple(rc::gen::container<std::vector<bool>>(faultfs::kFaultKindCount,
                                                           Percent(mix.fault_kind_percent)),
                     rc::gen::container<std::vector<FaultDraw>>(candidates.size(), draw)),
      [candidates](const std::tuple<std::vector<bool>, std::vector<FaultDraw>>& drawn) {
        const auto& [kinds_on, draws] = drawn;
        std::vector<ScenarioFault> faults;
        for (size_t i = 0; i < candidates.size(); ++i) {
          const FaultCandidate& candidate = candidates[i];
          const auto& [in, probability, enabled, latency] = draws[i];
          // Swarm: a kind switched off takes every rule of that kind with it.
          if (!kinds_on[static_cast<size_t>(candidate.kind)] || !in) continue;
          ScenarioFault fault;
          fault.enabled = enabled;
          fault.rule.name = candidate.name;
          fault.rule.kind = candidate.kind;
          fault.rule.when.ops = candidate.ops;
          fault.rule.when.file_kinds = candidate.file_kinds;
          fault.rule.when.probability =
              enabled ? kStandingProbabilities[probability % kStandingProbabilities.size()]
                      : kWindowProbabilities[probability];
          if (candidate.kind == FaultKind::kLatency) {
            fault.rule.when.probability = 0.1;
            fault.rule.latency_ns = kLatenciesNs[latency];
          }
          faults.push_back(std::move(fault));
        }
        return faults;
      });
}

// ---- Assembly ----

bool FaultPresent(const std::vector<ScenarioFault>& faults, const std::string& name) {
  return std::any_of(faults.begin(), faults.end(),
                     [&](const ScenarioFault& fault) { return fault.rule.name == name; });
}

void FixEntry(ScenarioEntry& entry, int client, size_t step_index, size_t entry_index) {
  if (entry.entry.bucket != 0) entry.via_db = false;
  switch (entry.entry.kind) {
    case dst::ModelEntry::Kind::kPut:
      // Who wrote it, so a wrong read names the write it came from.
      entry.entry.value = "c" + std::to_string(client) + "s" + std::to_string(step_index) + "e" +
                          std::to_string(entry_index) + ":" + entry.entry.value;
      break;
    case dst::ModelEntry::Kind::kDelete:
      break;
    case dst::ModelEntry::Kind::kDeleteRange:
      if (entry.entry.value < entry.entry.key) std::swap(entry.entry.key, entry.entry.value);
      if (entry.entry.value == entry.entry.key) entry.entry.value += "0";
      break;
  }
}

struct Swarm {
  Options options;
  BucketOptions named_options;
  std::string crash_policy;
  std::vector<ScenarioFault> faults;
  int clients = 1;
  uint64_t seed = 0;
};

dst::Scenario AssembleScenario(const ScenarioMix& mix, const Swarm& swarm,
                               const std::vector<Chunk>& chunks) {
  dst::Scenario scenario;
  scenario.seed = swarm.seed;
  scenario.options = swarm.options;
  scenario.named_options = swarm.named_options;
  scenario.crash_policy = swarm.crash_policy;
  scenario.faults = swarm.faults;
  scenario.check_every_step = mix.check_every_step;
  for (const Chunk& chunk : chunks) {
    for (Step step : chunk) {
      if (step.is_barrier()) {
        step.client = 0;
      } else {
        step.client %= swarm.clients;
      }
      if ((step.kind == Step::Kind::kFaultOn || step.kind == Step::Kind::kFaultOff) &&
          !FaultPresent(scenario.faults, step.fault)) {
        continue;  // its rule was not drawn, or was shrunk away
      }
      if (step.via_db && step.bucket != 0) step.via_db = false;
      const size_t index = scenario.steps.size();
      for (size_t i = 0; i < step.entries.size(); ++i) {
        FixEntry(step.entries[i], step.client, index, i);
      }
      scenario.steps.push_back(std::move(step));
    }
  }
  const absl::Status valid = dst::ValidateScenario(scenario);
  KILN_ASSERT_MSG(valid.ok(), "GenScenario built an invalid scenario");
  return scenario;
}

rc::Gen<Swarm> GenSwarm(const ScenarioMix& mix) {
  KILN_ASSERT(mix.min_clients >= 1 && mix.min_clients <= mix.max_clients);
  KILN_ASSERT(mix.max_clients <= dst::kMaxScenarioClients);
  std::vector<std::string> policies;
  for (const faultfs::NamedCrashPolicy& preset : faultfs::CrashPolicyPresets()) {
    policies.emplace_back(preset.name);
  }
  return rc::gen::map(
      rc::gen::tuple(GenOptions(mix), GenBucketOptions(), Choice(policies), GenFaults(mix),
                     Index(static_cast<size_t>(mix.max_clients - mix.min_clients + 1)), Seed()),
      [mix](const std::tuple<Options, BucketOptions, std::string, std::vector<ScenarioFault>,
                             size_t, uint64_t>& drawn) {
        Swarm swarm;
        std::tie(swarm.options, swarm.named_options, swarm.crash_policy, swarm.faults, std::ignore,
                 swarm.seed) = drawn;
        swarm.clients = mix.min_clients + static_cast<int>(std::get<4>(drawn));
        return swarm;
      });
}

}  // namespace

// ---- Public pieces ----

rc::Gen<std::string> GenKey() {
  return rc::gen::map(rc::gen::tuple(Index(kKeyLetters), Index(kKeyNumbers)),
                      [](const std::tuple<size_t, size_t>& drawn) {
                        const auto [letter, number] = drawn;
                        std::string key(1, static_cast<char>('a' + letter));
                        key += static_cast<char>('0' + number / 10);
                        key += static_cast<char>('0' + number % 10);
                        return key;
                      });
}

rc::Gen<std::string> GenBound() {
  return rc::gen::map(rc::gen::tuple(Index(4), GenKey()),
                      [](const std::tuple<size_t, std::string>& drawn) {
                        const auto& [form, key] = drawn;
                        switch (form) {
                          case 0:
                            return key;
                          case 1:
                            return key.substr(0, 1);
                          case 2:
                            return key + "5";
                          default:
                            return std::string(1, static_cast<char>('a' + kKeyLetters));
                        }
                      });
}

rc::Gen<Step> GenPut(const ScenarioMix& mix) {
  return rc::gen::map(
      rc::gen::tuple(RawClient(), Bucket(), GenKey(), Filler(), Percent(40), WriteDurability(mix)),
      [](const std::tuple<int, int, std::string, std::string, bool, std::optional<Durability>>&
             drawn) {
        const auto& [client, bucket, key, filler, via_db, durability] = drawn;
        ScenarioEntry entry;
        entry.entry = {
            .kind = dst::ModelEntry::Kind::kPut, .bucket = bucket, .key = key, .value = filler};
        entry.via_db = via_db;
        return SingleWrite(Step::Kind::kPut, client, std::move(entry), durability);
      });
}

rc::Gen<Step> GenDelete(const ScenarioMix& mix) {
  return rc::gen::map(
      rc::gen::tuple(RawClient(), Bucket(), GenKey(), Percent(40), WriteDurability(mix)),
      [](const std::tuple<int, int, std::string, bool, std::optional<Durability>>& drawn) {
        const auto& [client, bucket, key, via_db, durability] = drawn;
        ScenarioEntry entry;
        entry.entry = {.kind = dst::ModelEntry::Kind::kDelete, .bucket = bucket, .key = key};
        entry.via_db = via_db;
        return SingleWrite(Step::Kind::kDelete, client, std::move(entry), durability);
      });
}

rc::Gen<Step> GenDeleteRange(const ScenarioMix& mix) {
  return rc::gen::map(
      rc::gen::tuple(RawClient(), Bucket(), GenBound(), GenBound(), Percent(40),
                     WriteDurability(mix)),
      [](const std::tuple<int, int, std::string, std::string, bool, std::optional<Durability>>&
             drawn) {
        const auto& [client, bucket, begin, end, via_db, durability] = drawn;
        ScenarioEntry entry;
        entry.entry = {.kind = dst::ModelEntry::Kind::kDeleteRange,
                       .bucket = bucket,
                       .key = begin,
                       .value = end};
        entry.via_db = via_db;
        return SingleWrite(Step::Kind::kDeleteRange, client, std::move(entry), durability);
      });
}

rc::Gen<Step> GenBatch(const ScenarioMix& mix) {
  KILN_ASSERT(mix.max_batch_entries >= 1 &&
              static_cast<size_t>(mix.max_batch_entries) <= dst::kMaxScenarioBatchEntries);
  return rc::gen::map(
      rc::gen::tuple(RawClient(), OneToN(static_cast<size_t>(mix.max_batch_entries), GenEntry()),
                     WriteDurability(mix)),
      [](const std::tuple<int, std::vector<ScenarioEntry>, std::optional<Durability>>& drawn) {
        Step step;
        step.kind = Step::Kind::kBatch;
        std::tie(step.client, step.entries, step.durability) = drawn;
        return step;
      });
}

rc::Gen<Step> GenGet(const ScenarioMix& mix) {
  return rc::gen::map(rc::gen::tuple(RawClient(), Bucket(), GenKey(), Percent(30),
                                     Optional(mix.snapshot_read_percent, SnapshotId())),
                      [](const std::tuple<int, int, std::string, bool, std::optional<int>>& drawn) {
                        Step step;
                        step.kind = Step::Kind::kGet;
                        std::tie(step.client, step.bucket, step.key, step.via_db,
                                 step.snapshot_id) = drawn;
                        return step;
                      });
}

rc::Gen<Step> GenScan(const ScenarioMix& mix) {
  const rc::Gen<std::string> prefix = rc::gen::map(
      rc::gen::tuple(GenKey(), Percent(50)),
      [](const auto& drawn) { return std::get<0>(drawn).substr(0, std::get<1>(drawn) ? 2 : 1); });
  using Bounds = std::tuple<std::optional<std::string>, std::optional<std::string>,
                            std::optional<std::string>, std::optional<std::string>>;
  const rc::Gen<Bounds> bounds = rc::gen::tuple(Optional(30, GenBound()), Optional(30, GenBound()),
                                                Optional(15, prefix), Optional(30, GenBound()));
  const rc::Gen<std::vector<bool>> walk =
      rc::gen::map(Optional(25, OneToN(kMaxWalkSteps, rc::gen::arbitrary<bool>())),
                   [](const std::optional<std::vector<bool>>& drawn) {
                     return drawn.value_or(std::vector<bool>{});
                   });
  return rc::gen::map(
      rc::gen::tuple(RawClient(), Bucket(), Percent(30),
                     Optional(mix.snapshot_read_percent, SnapshotId()), bounds, Percent(40),
                     Percent(15), Choice<size_t>({32, 1, 5, 100}), walk),
      [](const std::tuple<int, int, bool, std::optional<int>, Bounds, bool, bool, size_t,
                          std::vector<bool>>& drawn) {
        Step step;
        step.kind = Step::Kind::kScan;
        bool no_fill = false;
        Bounds bounds_drawn;
        std::tie(step.client, step.bucket, step.via_db, step.snapshot_id, bounds_drawn,
                 step.reverse, no_fill, step.limit, step.walk) = drawn;
        std::tie(step.lower_bound, step.upper_bound, step.prefix, step.start) = bounds_drawn;
        step.fill_cache = !no_fill;
        return step;
      });
}

rc::Gen<Step> GenSnapshot() {
  return rc::gen::map(rc::gen::tuple(RawClient(), SnapshotId()),
                      [](const std::tuple<int, int>& drawn) {
                        Step step = Simple(Step::Kind::kSnapshot, std::get<0>(drawn));
                        step.snapshot_id = std::get<1>(drawn);
                        return step;
                      });
}

rc::Gen<Step> GenRelease() {
  return rc::gen::map(GenSnapshot(), [](Step step) {
    step.kind = Step::Kind::kRelease;
    return step;
  });
}

rc::Gen<Step> GenFlush() {
  return rc::gen::map(RawClient(), [](int client) { return Simple(Step::Kind::kFlush, client); });
}

rc::Gen<Step> GenCompact() {
  return rc::gen::map(
      rc::gen::tuple(RawClient(), Optional(50, GenBound()), Optional(50, GenBound())),
      [](const std::tuple<int, std::optional<std::string>, std::optional<std::string>>& drawn) {
        Step step = Simple(Step::Kind::kCompact, std::get<0>(drawn));
        step.begin = std::get<1>(drawn);
        step.end = std::get<2>(drawn);
        return step;
      });
}

rc::Gen<Step> GenPersist() {
  return rc::gen::map(rc::gen::tuple(RawClient(), Choice(kDurabilityChoices)),
                      [](const std::tuple<int, Durability>& drawn) {
                        Step step = Simple(Step::Kind::kPersist, std::get<0>(drawn));
                        step.durability = std::get<1>(drawn);
                        return step;
                      });
}

rc::Gen<Step> GenMaintain() {
  return rc::gen::map(RawClient(),
                      [](int client) { return Simple(Step::Kind::kMaintain, client); });
}

rc::Gen<Step> GenSleep() {
  return rc::gen::map(rc::gen::tuple(RawClient(), Choice<uint64_t>({1'000, 100'000, 10'000'000})),
                      [](const std::tuple<int, uint64_t>& drawn) {
                        Step step = Simple(Step::Kind::kSleep, std::get<0>(drawn));
                        step.sleep_ns = std::get<1>(drawn);
                        return step;
                      });
}

rc::Gen<Step> GenCheck() {
  return rc::gen::map(Choice<int>({0, 8, 1, dst::kMaxScenarioMaintenanceSteps}), [](int steps) {
    Step step = Simple(Step::Kind::kCheck, 0);
    step.maintain_steps = steps;
    return step;
  });
}

rc::Gen<Step> GenCrash() {
  std::vector<std::string> policies = {""};
  for (const faultfs::NamedCrashPolicy& preset : faultfs::CrashPolicyPresets()) {
    policies.emplace_back(preset.name);
  }
  // Mid-segment by scheduling steps, else (sometimes) right after the nth
  // directory operation, else after the segment.
  return rc::gen::map(
      rc::gen::tuple(Optional(50, Index(400)), Optional(33, Index(8)), Choice(policies)),
      [](const std::tuple<std::optional<size_t>, std::optional<size_t>, std::string>& drawn) {
        Step step = Simple(Step::Kind::kCrash, 0);
        if (std::get<0>(drawn).has_value()) {
          step.crash_steps = *std::get<0>(drawn) + 1;
        } else if (std::get<1>(drawn).has_value()) {
          step.crash_after_dir_ops = *std::get<1>(drawn) + 1;
        }
        step.policy = std::get<2>(drawn);
        return step;
      });
}

rc::Gen<Step> GenCrashInOpen() {
  return rc::gen::map(rc::gen::tuple(Index(300), Optional(40, Index(8))),
                      [](const std::tuple<size_t, std::optional<size_t>>& drawn) {
                        Step step = Simple(Step::Kind::kCrashInOpen, 0);
                        if (std::get<1>(drawn).has_value()) {
                          step.crash_after_dir_ops = *std::get<1>(drawn) + 1;
                        } else {
                          step.crash_steps = std::get<0>(drawn) + 1;
                        }
                        return step;
                      });
}

rc::Gen<Step> GenStep(const ScenarioMix& mix) {
  const StepWeights& w = mix.steps;
  return Weighted<Step>({
      {w.put, GenPut(mix)},
      {w.del, GenDelete(mix)},
      {w.delete_range, GenDeleteRange(mix)},
      {w.batch, GenBatch(mix)},
      {w.get, GenGet(mix)},
      {w.scan, GenScan(mix)},
      {w.snapshot, GenSnapshot()},
      {w.release, GenRelease()},
      {w.flush, GenFlush()},
      {w.compact, GenCompact()},
      {w.persist, GenPersist()},
      {w.maintain, GenMaintain()},
      {w.sleep, GenSleep()},
      {w.check, GenCheck()},
      {w.crash, GenCrash()},
      {w.crash_in_open, GenCrashInOpen()},
  });
}

std::vector<ScenarioFault> FaultCandidates(const ScenarioMix& mix) {
  std::vector<ScenarioFault> faults;
  for (const FaultCandidate& candidate : CandidateList(mix)) {
    ScenarioFault fault;
    fault.rule.name = candidate.name;
    fault.rule.kind = candidate.kind;
    fault.rule.when.ops = candidate.ops;
    fault.rule.when.file_kinds = candidate.file_kinds;
    faults.push_back(std::move(fault));
  }
  return faults;
}

rc::Gen<BucketOptions> GenBucketOptions() {
  return rc::gen::map(rc::gen::tuple(Choice<size_t>({4096, 256, 1024}), Choice<int>({16, 1, 4}),
                                     Choice<int>({10, 0}), Choice<size_t>({0, 1, 2}),
                                     Choice<Compression>({Compression::kLz4, Compression::kNone})),
                      [](const std::tuple<size_t, int, int, size_t, Compression>& drawn) {
                        BucketOptions options;
                        std::tie(options.block_size_bytes, options.block_restart_interval,
                                 options.bloom_bits_per_key, options.prefix_length,
                                 options.compression) = drawn;
                        return options;
                      });
}

rc::Gen<Options> GenOptions(const ScenarioMix& mix) {
  KILN_ASSERT(mix.min_background_tasks >= 0 &&
              mix.min_background_tasks <= mix.max_background_tasks);
  const int min_tasks = mix.min_background_tasks;
  using Sizes = std::tuple<size_t, size_t, size_t, size_t, uint64_t, int>;
  const rc::Gen<Sizes> sizes =
      rc::gen::tuple(Choice<size_t>({16 << 10, 4 << 10, 64 << 10, 256 << 10}),  // memtable budget
                     Choice<size_t>({4 << 20, 64 << 10, 0}),                    // block cache
                     Choice<size_t>({100, 4}),                                  // open tables
                     Choice<size_t>({64 << 10, 2 << 10, 8 << 10, 128 << 10}),   // target file size
                     Choice<uint64_t>({1 << 20, 16 << 10, 64 << 10}),           // level 1 target
                     Choice<int>({10, 2, 4}));                                  // level multiplier
  using Triggers = std::tuple<size_t, size_t, size_t>;
  const rc::Gen<Triggers> triggers = rc::gen::tuple(Index(3), Index(7), Index(6));
  return rc::gen::map(
      rc::gen::tuple(Choice(kDurabilityChoices), sizes, triggers,
                     Index(static_cast<size_t>(mix.max_background_tasks - min_tasks + 1)),
                     GenBucketOptions()),
      [min_tasks](const std::tuple<Durability, Sizes, Triggers, size_t, BucketOptions>& drawn) {
        Options o;
        const auto& [durability, size_choices, trigger_choices, tasks, bucket] = drawn;
        o.durability = durability;
        std::tie(o.memtable_budget_bytes, o.block_cache_bytes, o.max_open_tables,
                 o.target_file_size_bytes, o.level1_target_bytes, o.level_size_multiplier) =
            size_choices;
        const auto& [compaction, slowdown, stop] = trigger_choices;
        o.l0_compaction_trigger = 4 - static_cast<int>(compaction);  // 4, 3, 2
        o.l0_slowdown_trigger = o.l0_compaction_trigger + 2 + static_cast<int>(slowdown);
        o.l0_stop_trigger = o.l0_slowdown_trigger + 1 + static_cast<int>(stop);
        o.background_tasks = min_tasks + static_cast<int>(tasks);
        o.default_bucket = bucket;
        return o;
      });
}

rc::Gen<dst::Scenario> GenScenario(const ScenarioMix& mix) {
  KILN_ASSERT(mix.max_chunks >= 1);
  return rc::gen::map(
      rc::gen::tuple(GenSwarm(mix), UpTo(static_cast<size_t>(mix.max_chunks), GenChunk(mix))),
      [mix](const std::tuple<Swarm, std::vector<Chunk>>& drawn) {
        return AssembleScenario(mix, std::get<0>(drawn), std::get<1>(drawn));
      });
}

size_t ClientStepCount(const dst::Scenario& scenario) {
  return static_cast<size_t>(std::count_if(scenario.steps.begin(), scenario.steps.end(),
                                           [](const Step& step) { return !step.is_barrier(); }));
}

bool HasConcurrentSegment(const dst::Scenario& scenario) {
  int first_client = -1;
  for (const Step& step : scenario.steps) {
    if (step.is_barrier()) {
      first_client = -1;
    } else if (first_client < 0) {
      first_client = step.client;
    } else if (step.client != first_client) {
      return true;
    }
  }
  return false;
}

}  // namespace kiln::props

namespace kiln::dst {

void showValue(const Scenario& scenario, std::ostream& os) {
  os << "\n" << ScenarioToText(scenario);
}

}  // namespace kiln::dst
