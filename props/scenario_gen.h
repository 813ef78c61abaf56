// RapidCheck generators of scenarios (tools/dst/scenario.h) for the property
// suites. A ScenarioMix says what a property wants its scenarios to stress;
// GenScenario draws one from it.
//
// Shrinking is the point: a failing scenario must shrink to a short step list
// that still fails. So
//   - steps are drawn in chunks (a lone step, a fault window, a snapshot
//     story, a crash followed by crashes during recovery) held in rc::gen
//     containers, and RapidCheck removes whole chunks, then steps inside a
//     chunk;
//   - every field shrinks towards the simplest choice: keys towards "a00",
//     values towards empty fillers, flags towards false, optional fields
//     towards absent, option and fault choices towards the first listed,
//     fault rules towards not being there at all;
//   - cross-references are resolved after shrinking (AssembleScenario): a
//     client index wraps to the drawn client count, a fault window whose rule
//     was shrunk away disappears, values are renamed after who wrote them.
//
// Swarm testing: the engine options (memtable budget, block size,
// compression, bloom bits, prefix length, L0 triggers, background tasks,
// durability floor), the crash policy and the fault mix are drawn per
// scenario, and a whole fault kind is switched off in about half of them.
#ifndef KILN_PROPS_SCENARIO_GEN_H_
#define KILN_PROPS_SCENARIO_GEN_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "kiln/options.h"
#include "rapidcheck.h"
#include "tools/dst/scenario.h"

namespace kiln::props {

// Relative weights of step kinds among lone steps; 0 leaves a kind out.
struct StepWeights {
  int put = 10;
  int del = 3;
  int delete_range = 1;
  int batch = 3;
  int get = 8;
  int scan = 4;
  int snapshot = 1;
  int release = 1;
  int flush = 1;
  int compact = 1;
  int persist = 1;
  int maintain = 1;
  int sleep = 0;
  int check = 1;
  int crash = 0;
  int crash_in_open = 0;
};

// Relative weights of the chunks a step list is made of.
struct ChunkWeights {
  int step = 20;           // one step drawn by StepWeights
  int fault_window = 0;    // fault_on, a few steps, fault_off
  int snapshot_story = 0;  // snapshot, writes, flush/compact/delete_range, reads at it
  int crash_recovery = 0;  // a crash (75%), then 1-4 crash_in_open
};

struct ScenarioMix {
  StepWeights steps;
  ChunkWeights chunks;

  // Client fibers, drawn per scenario in [min_clients, max_clients].
  int min_clients = 1;
  int max_clients = 1;
  // Options::background_tasks, drawn in [min, max].
  int min_background_tasks = 0;
  int max_background_tasks = 2;

  // Fault families in the mix; each rule is then in or out per scenario.
  bool write_faults = false;  // eio/no_space/short_write on writes, failing syncs
  bool read_faults = false;   // bit flips, latent sectors, short reads on tables
  bool latency = false;       // slow operations (reorders concurrent fibers)

  bool check_every_step = false;

  // At most this many chunks (about 1.5 steps each on average).
  int max_chunks = 30;
  // Percent of gets and scans at a snapshot id (1..kMaxSnapshotIds).
  int snapshot_read_percent = 15;
  // Percent of writes naming a durability of their own.
  int explicit_durability_percent = 25;
  int max_batch_entries = 6;
  // Swarm: each fault kind is in play this often, and each rule of a kind in
  // play is drawn this often.
  int fault_kind_percent = 60;
  int fault_rule_percent = 60;
  // Fault rules start enabled (at a low probability) this often; the others
  // wait for a window.
  int fault_enabled_at_start_percent = 30;
};

inline constexpr int kMaxSnapshotIds = 4;
// Keys are "a00".."c11": three letters, twelve numbers.
inline constexpr int kKeyLetters = 3;
inline constexpr int kKeyNumbers = 12;
inline constexpr int kMaxCrashInOpenRun = 4;
inline constexpr int kMaxWindowSteps = 6;
inline constexpr int kMaxStoryWrites = 5;
inline constexpr int kMaxStoryReads = 4;

// ---- Pieces (exposed so tests and other generators can reuse them) ----

// "a00".."c11"; shrinks towards "a00".
rc::Gen<std::string> GenKey();
// A key, a lone letter ("a".."d"), or a key followed by "5" (between keys).
rc::Gen<std::string> GenBound();

// One step of a kind. Client indexes are raw (AssembleScenario wraps them),
// values are filler only (AssembleScenario prefixes the writer).
rc::Gen<dst::Step> GenPut(const ScenarioMix& mix);
rc::Gen<dst::Step> GenDelete(const ScenarioMix& mix);
rc::Gen<dst::Step> GenDeleteRange(const ScenarioMix& mix);
rc::Gen<dst::Step> GenBatch(const ScenarioMix& mix);
rc::Gen<dst::Step> GenGet(const ScenarioMix& mix);
rc::Gen<dst::Step> GenScan(const ScenarioMix& mix);
rc::Gen<dst::Step> GenSnapshot();
rc::Gen<dst::Step> GenRelease();
rc::Gen<dst::Step> GenFlush();
rc::Gen<dst::Step> GenCompact();
rc::Gen<dst::Step> GenPersist();
rc::Gen<dst::Step> GenMaintain();
rc::Gen<dst::Step> GenSleep();
rc::Gen<dst::Step> GenCheck();
rc::Gen<dst::Step> GenCrash();
rc::Gen<dst::Step> GenCrashInOpen();
// One step by mix.steps.
rc::Gen<dst::Step> GenStep(const ScenarioMix& mix);

// The fault rules a mix may draw from, in a fixed order (a window names its
// rule by index into this list).
std::vector<dst::ScenarioFault> FaultCandidates(const ScenarioMix& mix);

// Swarm-drawn options (Options::env unset; create_if_missing is forced by
// the runner).
rc::Gen<Options> GenOptions(const ScenarioMix& mix);
rc::Gen<BucketOptions> GenBucketOptions();

// A whole scenario; always passes dst::ValidateScenario.
rc::Gen<dst::Scenario> GenScenario(const ScenarioMix& mix);

// The number of client steps (not barriers) in a scenario.
size_t ClientStepCount(const dst::Scenario& scenario);
// Whether two different clients have steps in one segment (between barriers).
bool HasConcurrentSegment(const dst::Scenario& scenario);

}  // namespace kiln::props

namespace kiln::dst {
// How RapidCheck shows a scenario in a counterexample: its text form.
void showValue(const Scenario& scenario, std::ostream& os);
}  // namespace kiln::dst

#endif  // KILN_PROPS_SCENARIO_GEN_H_
