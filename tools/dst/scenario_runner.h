// Runs a scenario (scenario.h) against the real engine inside a fresh
// Simulator and checks it against the reference model (engine_model.h):
//
//   1. Every read equals the model: at a snapshot, at the snapshot's
//      sequence; without one, at some batch boundary between the sequences
//      published just before and just after the read.
//   2. After a crash, the recovered state equals the model at some batch
//      boundary S, last acknowledged durable <= S <= last issued; or, if
//      writes failed, the last issued plus any ordered subset of the failed
//      batches, each all-or-nothing.
//   3. CheckInvariants holds at every check, every recovery (and after every
//      client step with check_every_step).
//   4. A clean close keeps everything: the state after the final reopen
//      equals the model at the last issued sequence.
//   5. Errors only where a fault explains them: writes may fail with IOError
//      or NoSpace under write faults, reads (and the writes a failed
//      background read poisons) with IOError or Corruption under read
//      faults (bit flips, latent sector errors, short reads, misdirected
//      writes) — never with wrong data.
//
// A scenario whose media faults leave the database unreadable even with
// every rule switched off (sticky latent sectors, a misdirected write inside
// synced data) stops there, as passed and `inconclusive`.
#ifndef KILN_TOOLS_DST_SCENARIO_RUNNER_H_
#define KILN_TOOLS_DST_SCENARIO_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/dst/scenario.h"
#include "tools/dst/workload.h"

namespace kiln::dst {

struct ScenarioRunOptions {
  bool record_trace = false;
};

// What a run checked, so a property can insist its scenarios exercised it.
struct ScenarioCounters {
  uint64_t reads_checked = 0;           // gets and scans compared with the model
  uint64_t snapshot_reads_checked = 0;  // of those, at a snapshot
  uint64_t full_checks = 0;             // check barriers that compared everything
  uint64_t recoveries_checked = 0;      // recovered states compared with the model
  uint64_t crashes_in_open = 0;
  uint64_t dir_op_crash_points = 0;     // crashes placed right after a directory op
  uint64_t failed_writes = 0;           // writes that returned an (injected) error
  uint64_t read_errors = 0;             // reads that returned an (injected) error
  uint64_t invariant_checks = 0;
};

struct ScenarioResult {
  // passed, failure, trace_hash, operations, crashes, faults, probes...;
  // result.seed is the scenario's seed.
  SeedResult result;
  // The step whose check failed, or the barrier after which it failed;
  // steps.size() for the final reopen; SIZE_MAX when passed.
  size_t failed_step = SIZE_MAX;
  // The CrashChoice each crash step applied, so a scenario can be written
  // back with exact choices.
  struct AppliedCrash {
    size_t step = 0;
    std::string choice;  // CrashChoice::ToText
  };
  std::vector<AppliedCrash> crash_choices;
  ScenarioCounters counters;
  // Media faults made the database unreadable; the run stopped early.
  bool inconclusive = false;
  // Why it stopped early, or which recorded crash choices no longer fit.
  std::string note;
};

// REQUIRES: ValidateScenario(scenario).ok(). Never throws or aborts on an
// oracle failure (those are reported); aborts only on a broken assertion.
ScenarioResult RunScenario(const Scenario& scenario, const ScenarioRunOptions& options = {});

// Scenario with every kCrash / kCrashInOpen choice replaced by the one the
// run applied (so replaying it reproduces the same crash states exactly).
// REQUIRES: crashes came from running scenario.
Scenario WithRecordedCrashChoices(const Scenario& scenario,
                                  const std::vector<ScenarioResult::AppliedCrash>& crashes);

}  // namespace kiln::dst

#endif  // KILN_TOOLS_DST_SCENARIO_RUNNER_H_
