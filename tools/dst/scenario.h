// A scenario: one explicit, replayable test of the engine in the simulator.
// Options, fault rules, and a list of steps (operations by client fibers,
// fault windows, checks, crash points with their crash choices), with every
// key and value spelled out. Nothing is drawn from a seed while it runs
// except what a real machine would decide on its own: how concurrent fibers
// interleave, buggify, and each fault rule's probability roll; those follow
// `seed`. So a scenario survives unrelated code changes (it names operations,
// not random draws) and shrinks by deleting steps.
//
// The engine workload draws a scenario from a seed (scenario_generator.h) and
// runs it (scenario_runner.h); `dst shrink` minimises a failing one and writes
// its text; `dst scenario FILE` and props/scenarios/*.scn replay text.
//
// Text form (ScenarioToText / ParseScenario), one item per line, '#' starts a
// comment line; strings are double-quoted with C escapes (\\ \" \n \xNN):
//
//   kiln-scenario 1
//   seed 42
//   options memtable_budget_bytes=4096 background_tasks=0 durability=sync_all ...
//   bucket default block_size_bytes=1024 bloom_bits_per_key=10 compression=lz4 ...
//   bucket named block_size_bytes=256 ...
//   crash_policy "torn"
//   fault name="wal-sync-eio" kind=eio ops=sync,sync_data files=wal probability=0.01 enabled=1
//   check_every_step 0
//   put c=0 bucket=1 key="a03" value="v1" durability=sync_all
//   batch c=1
//   + delete bucket=0 key="b07" via_db=1
//   + delete_range bucket=1 key="a" end="b05"
//   get c=0 bucket=1 key="a03" snapshot=2
//   scan c=0 bucket=0 lower="a" upper="c" prefix="b" start="b05" reverse=1 limit=8 walk="nnp"
//   snapshot c=0 id=2 / release c=0 id=2 / flush / compact begin="a" end="c" /
//   persist durability=sync_data / maintain / sleep ns=5000 /
//   fault_on name="wal-sync-eio" / fault_off name="wal-sync-eio"
//   check maintain=8
//   crash mid_steps=300 policy="torn" choice="dirs=10; inode=3 keep=0,1"
//   crash_in_open steps=200
//   crash mid_steps=0 after_dir_ops=3      (right after the segment's 3rd
//                                           create/rename/remove, before a SyncDir)
//   crash_in_open steps=0 after_dir_ops=2
//
// Execution (scenario_runner.h): the database opens before the first step.
// Consecutive client steps form a segment; each client's steps of a segment
// run in order on its own fiber, the clients concurrently. check, crash and
// crash_in_open are barriers run by the driver between segments.
#ifndef KILN_TOOLS_DST_SCENARIO_H_
#define KILN_TOOLS_DST_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "faultfs/fault_rule.h"
#include "kiln/options.h"
#include "tools/dst/engine_model.h"

namespace kiln::dst {

inline constexpr int kMaxScenarioClients = 8;
inline constexpr size_t kMaxScenarioSteps = 200'000;
inline constexpr size_t kMaxScenarioFaults = 32;
inline constexpr size_t kMaxScenarioBatchEntries = 64;
inline constexpr size_t kMaxScenarioScanEntries = 1'000;
inline constexpr uint64_t kMaxScenarioSleepNs = 1'000'000'000;
inline constexpr int kMaxScenarioMaintenanceSteps = 64;
inline constexpr uint64_t kMaxScenarioCrashSteps = 100'000'000;
inline constexpr uint64_t kMaxScenarioCrashDirOps = 10'000;

// The bucket a scenario's bucket 1 names (bucket 0 is the default bucket).
inline constexpr char kScenarioNamedBucket[] = "named";

struct ScenarioEntry {
  ModelEntry entry;
  // Bucket 0 only: through the Db's (or the batch's) default-bucket methods
  // instead of the Bucket handle.
  bool via_db = false;
};

struct Step {
  enum class Kind : uint8_t {
    // Client steps.
    kPut,          // entries[0]: one Put
    kDelete,       // entries[0]: one Delete
    kDeleteRange,  // entries[0]: one DeleteRange [key, value)
    kBatch,        // entries: one WriteBatch
    kGet,          // bucket, key, snapshot_id, via_db
    kScan,         // bucket, scan fields, snapshot_id, via_db
    kSnapshot,     // snapshot_id: take one, under this id
    kRelease,      // snapshot_id
    kFlush,
    kCompact,      // begin, end
    kPersist,      // durability
    kMaintain,     // one DoMaintenanceStep
    kSleep,        // sleep_ns
    kFaultOn,      // fault: a rule's name
    kFaultOff,
    // Barriers.
    kCheck,        // maintenance (manual mode), CheckInvariants, full-state check
    kCrash,        // crash (mid_steps into the segment before, if > 0)
    kCrashInOpen,  // the next open crashes crash_steps in, then opens again
  };
  Kind kind = Kind::kPut;
  int client = 0;

  std::vector<ScenarioEntry> entries;
  std::optional<Durability> durability;  // writes: WriteOptions; kPersist: required

  int bucket = 0;
  std::string key;
  bool via_db = false;
  // Reads at this snapshot id; one not live (released, or lost in a crash)
  // means "no snapshot".
  std::optional<int> snapshot_id;

  // kScan.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  std::optional<std::string> prefix;
  std::optional<std::string> start;  // Seek / SeekForPrev target
  bool reverse = false;
  bool fill_cache = true;
  size_t limit = 32;
  // Non-empty: after positioning, step Next (true) or Prev (false) in this
  // order, recording every entry visited; limit is ignored.
  std::vector<bool> walk;

  std::optional<std::string> begin;  // kCompact
  std::optional<std::string> end;
  uint64_t sleep_ns = 0;
  std::string fault;

  int maintain_steps = 0;  // kCheck, manual mode: at most this many steps
  // kCrash: scheduling steps into the preceding segment (0: after it).
  // kCrashInOpen: scheduling steps into the open.
  uint64_t crash_steps = 0;
  // When > 0 (and crash_steps is 0): crash right after the segment's (or
  // the open's) nth directory operation — a create, remove or rename not yet
  // made durable by a SyncDir, the window where ordering bugs live. A
  // segment or open that ends first crashes at its end.
  uint64_t crash_after_dir_ops = 0;
  std::string policy;  // empty: the scenario's crash_policy
  std::string choice;  // exact CrashChoice text; used when it fits the disk

  bool is_barrier() const { return kind >= Kind::kCheck; }
  bool is_write() const { return kind <= Kind::kBatch; }
};

struct ScenarioFault {
  faultfs::FaultRule rule;  // rule.name names it in fault_on / fault_off
  bool enabled = true;      // at the start
};

struct Scenario {
  // Interleavings, buggify, fault probability rolls, policy crash choices.
  uint64_t seed = 0;
  // Options::env is set by the runner; create_if_missing is forced.
  Options options;
  BucketOptions named_options;
  std::string crash_policy = "strict";  // ParseCrashPolicy text
  std::vector<ScenarioFault> faults;
  // CheckInvariants after every client step (and full-state checks at
  // barriers as usual).
  bool check_every_step = false;
  std::vector<Step> steps;
};

std::string_view StepKindName(Step::Kind kind);
std::string_view DurabilityName(Durability durability);

std::string ScenarioToText(const Scenario& scenario);
// InvalidArgument "line N: ..." for anything malformed or out of bounds.
absl::StatusOr<Scenario> ParseScenario(std::string_view text);
// The same checks ParseScenario makes, on a scenario built in code.
[[nodiscard]] absl::Status ValidateScenario(const Scenario& scenario);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCENARIO_H_
