// Exhaustive crash states (issue 4; README.md, "Exhaustive crash states").
// For each small workload: run it once, copying the disk just before every
// durability barrier the engine issues (and at the end); enumerate every
// distinct post-crash state of each copy with faultfs's EnumerateCrashStates;
// recover each distinct state once with the real engine in a fresh simulated
// world and judge the outcome against the model, for every barrier at which
// that state can occur. A sample of states also crashes once during recovery.
//
// Replay one workload: ./bazelw test //props:exhaustive_crash_test
//   --test_filter='*/<workload name with / replaced by _>'
// A failure names the workload, the barrier and the CrashChoice text, which
// faultfs::CrashChoice::FromText + MemFileSystem::ApplyCrash reproduce.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultfs/crash_enumerator.h"
#include "faultfs/crash_policy.h"
#include "gtest/gtest.h"
#include "kiln/random.h"
#include "props/barrier_file_system.h"
#include "props/crash_state_check.h"
#include "props/exhaustive_workloads.h"
#include "util/assert.h"

namespace kiln::props {
namespace {

// Torn writes at 64-byte sectors, up to 4 sectors wide (any WAL record,
// manifest edit or CURRENT these workloads write; table writes are wider and
// are kept or dropped whole); any subset of up to 8 pending operations per
// file and of directory operations, prefixes beyond that; at most 512
// distinct states per barrier.
constexpr faultfs::EnumerateOptions kEnumerateOptions{
    .max_states = 512,
    .max_candidates = uint64_t{1} << 14,
    .include_torn = true,
    .max_subset_ops = 8,
    .max_torn_sectors = 4,
    .sector_size_bytes = 64,
    .garbage_seed = 0x6b696c6e,
};
// One distinct state in this many (seeded) is also recovered after a crash
// in the middle of a first recovery.
constexpr uint64_t kRecoveryCrashOneIn = 8;
constexpr uint64_t kMaxRecoveryCrashStep = 10'000;
// A workload that yields fewer distinct states is not testing anything.
constexpr size_t kMinStatesPerWorkload = 16;
constexpr size_t kMaxFailuresPerWorkload = 3;

struct Totals {
  uint64_t workloads = 0;
  uint64_t barriers = 0;
  uint64_t enumerations = 0;
  uint64_t complete_enumerations = 0;
  // Why the others were not complete (one enumeration may have several).
  uint64_t capped = 0;           // hit max_states or max_candidates
  uint64_t too_wide_writes = 0;  // writes not torn: wider than max_torn_sectors
  uint64_t prefix_only = 0;      // more than max_subset_ops pending operations
  uint64_t states = 0;           // distinct per workload, summed
  uint64_t checked = 0;          // recovered and judged
  uint64_t verdicts = 0;         // (barrier, state) pairs judged
  uint64_t recovery_crashes = 0;
  uint64_t recovery_crashes_mid_open = 0;  // the rest hit just after the open

  void Add(const Totals& other) {
    workloads += other.workloads;
    barriers += other.barriers;
    enumerations += other.enumerations;
    complete_enumerations += other.complete_enumerations;
    capped += other.capped;
    too_wide_writes += other.too_wide_writes;
    prefix_only += other.prefix_only;
    states += other.states;
    checked += other.checked;
    verdicts += other.verdicts;
    recovery_crashes += other.recovery_crashes;
    recovery_crashes_mid_open += other.recovery_crashes_mid_open;
  }
};

Totals& GlobalTotals() {
  static Totals totals;
  return totals;
}

// Prints the report line once the tests of this process (shard) are done.
class ReportEnvironment final : public ::testing::Environment {
 public:
  void TearDown() override {
    const Totals& t = GlobalTotals();
    if (t.workloads == 0) return;  // a shard that only ran the self-checks
    std::printf("exhaustive crash states: workloads=%" PRIu64 " barriers=%" PRIu64
                " states=%" PRIu64 " checked=%" PRIu64 " complete=%" PRIu64 "/%" PRIu64
                " (bounded: %" PRIu64 " capped, %" PRIu64 " untorn wide writes, %" PRIu64
                " prefix-only files) verdicts=%" PRIu64 " recovery_crashes=%" PRIu64 " (%" PRIu64
                " mid-open)\n",
                t.workloads, t.barriers, t.states, t.checked, t.complete_enumerations,
                t.enumerations, t.capped, t.too_wide_writes, t.prefix_only, t.verdicts,
                t.recovery_crashes, t.recovery_crashes_mid_open);
    std::fflush(stdout);
    EXPECT_GE(t.checked, t.workloads * kMinStatesPerWorkload)
        << "the exhaustive test checked too few crash states";
  }
};

const ::testing::Environment* const kReport =
    ::testing::AddGlobalTestEnvironment(new ReportEnvironment);

std::string Describe(const Workload& workload, size_t index, const BarrierCopy& copy,
                     const faultfs::CrashChoice& choice, uint64_t hash) {
  char hash_text[24];
  std::snprintf(hash_text, sizeof(hash_text), "%016" PRIx64, hash);
  return "workload " + workload.name + ", barrier " + std::to_string(index) + " (" + copy.what +
         "; durable through " + std::to_string(copy.durable_sequence) + ", " +
         std::to_string(copy.writes_started) + " writes issued), state " + hash_text +
         ", crash choice: " + choice.ToText();
}

struct WorkloadCheck {
  Totals totals;
  // At most kMaxFailuresPerWorkload; checking stops at the last.
  std::vector<std::string> failures;
};

// Enumerates, recovers and judges every crash state of every copy in run.
// Each distinct state is recovered once; its outcome is judged again at
// every barrier where it can occur, under that barrier's bounds.
WorkloadCheck CheckAllCrashStates(const Workload& workload, uint64_t seed, const WorkloadRun& run) {
  WorkloadCheck check;
  Totals& totals = check.totals;
  totals.workloads = 1;
  std::map<uint64_t, Recovery> recovered;
  Random sampler(MixSeed(seed, StableHash64("recovery crashes")));
  const faultfs::CrashPolicy recovery_crash_policy = *faultfs::FindCrashPolicyPreset("torn");
  auto fail = [&](std::string failure) {
    check.failures.push_back(std::move(failure));
    return check.failures.size() >= kMaxFailuresPerWorkload;
  };
  for (size_t index = 0; index < run.barriers.size(); ++index) {
    const BarrierCopy& copy = run.barriers[index];
    if (copy.is_barrier) ++totals.barriers;
    const faultfs::CrashEnumeration states =
        faultfs::EnumerateCrashStates(*copy.disk, kEnumerateOptions);
    ++totals.enumerations;
    if (states.complete) ++totals.complete_enumerations;
    if (states.skipped_by_bound > 0) ++totals.capped;
    totals.too_wide_writes += states.torn_writes_too_wide;
    totals.prefix_only += states.inodes_prefix_only + (states.dir_ops_prefix_only ? 1 : 0);
    for (size_t i = 0; i < states.states.size(); ++i) {
      const uint64_t hash = states.state_hashes[i];
      const faultfs::CrashChoice& choice = states.states[i];
      auto [it, inserted] = recovered.try_emplace(hash);
      if (inserted) {
        std::unique_ptr<faultfs::MemFileSystem> image = copy.disk->Clone();
        const absl::Status applied = image->ApplyCrash(choice);
        if (!applied.ok() || image->ContentHash() != hash) {
          fail(Describe(workload, index, copy, choice, hash) +
               "\n  the enumerated choice does not reproduce its state: " + applied.ToString());
          return check;
        }
        std::unique_ptr<faultfs::MemFileSystem> again;
        if (sampler.OneIn(kRecoveryCrashOneIn)) again = image->Clone();
        it->second = RecoverImage(std::move(image), workload, MixSeed(seed, hash), std::nullopt);
        ++totals.checked;
        if (again != nullptr) {
          // A step inside the open (as long as the clean one took).
          const uint64_t last_step =
              std::clamp<uint64_t>(it->second.open_steps, 1, kMaxRecoveryCrashStep);
          const RecoveryCrash crash{.max_steps = sampler.Range(1, last_step),
                                    .policy = recovery_crash_policy};
          const Recovery second =
              RecoverImage(std::move(again), workload, MixSeed(seed, ~hash), crash);
          ++totals.recovery_crashes;
          if (second.crashed_mid_open) ++totals.recovery_crashes_mid_open;
          std::string verdict = JudgeRecovery(second, run, copy);
          if (verdict.empty() && it->second.error.empty() && second.state != it->second.state) {
            verdict = "a crash during recovery changed the recovered state: " +
                      dst::DescribeStateDifference(it->second.state, second.state);
          }
          if (!verdict.empty() &&
              fail(Describe(workload, index, copy, choice, hash) +
                   "\n  then, recovering: " + second.recovery_crash + "\n  " + verdict)) {
            return check;
          }
        }
      }
      ++totals.verdicts;
      const std::string verdict = JudgeRecovery(it->second, run, copy);
      if (!verdict.empty() &&
          fail(Describe(workload, index, copy, choice, hash) + "\n  " + verdict)) {
        return check;
      }
    }
  }
  totals.states = recovered.size();
  return check;
}

const Workload& FindWorkload(std::string_view name) {
  for (const Workload& workload : AllWorkloads()) {
    if (workload.name == name) return workload;
  }
  KILN_UNREACHABLE("no such workload");
}

std::string TestName(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = AllWorkloads()[info.param].name;
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return name;
}

class ExhaustiveCrashTest : public ::testing::TestWithParam<size_t> {};

TEST_P(ExhaustiveCrashTest, EveryCrashStateRecoversToADurablePrefix) {
  const Workload& workload = AllWorkloads()[GetParam()];
  const uint64_t seed = StableHash64(workload.name);
  const WorkloadRun run = RunWorkload(workload, seed);
  ASSERT_TRUE(run.failure.empty()) << workload.name << ": " << run.failure;
  const WorkloadCheck check = CheckAllCrashStates(workload, seed, run);
  for (const std::string& failure : check.failures) ADD_FAILURE() << failure;
  const Totals& t = check.totals;
  std::printf("%s: barriers=%" PRIu64 " states=%" PRIu64 " complete=%" PRIu64 "/%" PRIu64
              " verdicts=%" PRIu64 " recovery_crashes=%" PRIu64 "\n",
              workload.name.c_str(), t.barriers, t.states, t.complete_enumerations, t.enumerations,
              t.verdicts, t.recovery_crashes);
  if (!check.failures.empty()) return;
  EXPECT_GE(t.states, kMinStatesPerWorkload) << workload.name;
  GlobalTotals().Add(t);
}

// The checks can fail: on a disk that acknowledges syncs it never performs,
// acknowledged writes vanish in some crash state, and the test must say so.
struct LyingDiskCase {
  std::string_view name;
  std::string_view workload;
  std::string_view what;
  bool (*ignore)(const BarrierEvent& event);
  // The first failure must say this.
  std::string_view expected_failure;
};

class ExhaustiveCrashSelfCheckTest : public ::testing::TestWithParam<LyingDiskCase> {};

TEST_P(ExhaustiveCrashSelfCheckTest, CatchesLostDurability) {
  const LyingDiskCase& lie = GetParam();
  const Workload& workload = FindWorkload(lie.workload);
  const uint64_t seed = StableHash64(workload.name);
  const WorkloadRun run = RunWorkload(workload, seed, lie.ignore);
  ASSERT_TRUE(run.failure.empty()) << workload.name << ": " << run.failure;
  const WorkloadCheck check = CheckAllCrashStates(workload, seed, run);
  ASSERT_FALSE(check.failures.empty())
      << "a disk that ignores " << lie.what << " went unnoticed in " << workload.name;
  EXPECT_NE(check.failures.front().find(lie.expected_failure), std::string::npos)
      << check.failures.front();
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Acknowledged writes are lost: the recovered state is too old.
bool IgnoreWalSyncs(const BarrierEvent& event) {
  return (event.kind == BarrierKind::kSync || event.kind == BarrierKind::kSyncData) &&
         EndsWith(event.path, ".log");
}

// CURRENT can survive without the manifest it names: Corruption at open.
bool IgnoreDatabaseDirSyncs(const BarrierEvent& event) {
  return event.kind == BarrierKind::kSyncDir && event.path == kExhaustiveDbPath;
}

INSTANTIATE_TEST_SUITE_P(
    LyingDisks, ExhaustiveCrashSelfCheckTest,
    ::testing::Values(LyingDiskCase{.name = "IgnoredWalSyncs",
                                    .workload = "wal_only/sync_data/PPD",
                                    .what = "WAL syncs",
                                    .ignore = IgnoreWalSyncs,
                                    .expected_failure = "matches no batch boundary"},
                      LyingDiskCase{.name = "IgnoredDirSyncs",
                                    .workload = "manual_tiny/sync_all/PFP",
                                    .what = "directory syncs of the database",
                                    .ignore = IgnoreDatabaseDirSyncs,
                                    .expected_failure = "recovery failed: Db::Open"}),
    [](const ::testing::TestParamInfo<LyingDiskCase>& info) {
      return std::string(info.param.name);
    });

INSTANTIATE_TEST_SUITE_P(Workloads, ExhaustiveCrashTest,
                         ::testing::Range(size_t{0}, AllWorkloads().size()), TestName);

}  // namespace
}  // namespace kiln::props
