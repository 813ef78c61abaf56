#include "tools/dst/scenario_runner.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultfs/crash_choice.h"
#include "faultfs/crash_policy.h"
#include "faultfs/fault_rule.h"
#include "db/file_names.h"
#include "kiln/db.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "tools/dst/scan_check.h"
#include "tools/dst/sim_report.h"
#include "util/assert.h"

namespace kiln::dst {
namespace {

constexpr char kDbPath[] = "/db";
constexpr int kMaxOpenAttempts = 4;
// Polls (of kModelWaitNs each) a reader waits for the fibers that committed
// the batches it saw to record them in the model.
constexpr int kMaxModelWaits = 10'000;
constexpr uint64_t kModelWaitNs = 1'000;
// Failed (or crash-interrupted) batches whose orders a recovery check
// enumerates: a client stops after its first failed write, so there is at
// most one per client.
constexpr size_t kMaxUncertainBatches = kMaxScenarioClients;
// Scheduling steps one segment may take; far beyond what any finite segment
// needs, so more means fibers that wake each other without progress.
constexpr uint64_t kMaxSegmentSteps = 20'000'000;
// Scheduling steps an open may take.
constexpr uint64_t kMaxOpenSteps = 5'000'000;

// Shared so a reader keeps its snapshot alive while another client releases
// the id. A Snapshot's destructor may yield (it takes the engine's lock), so
// one is never destroyed inside a map operation: another fiber could change
// the map in the middle of it.
using SnapshotMap = std::map<int, std::shared_ptr<Snapshot>>;

bool IsReadFaultKind(const faultfs::FaultRule& rule) {
  using faultfs::FaultKind;
  switch (rule.kind) {
    case FaultKind::kShortRead:
    case FaultKind::kBitFlipOnRead:
    case FaultKind::kLatentSectorError:
    case FaultKind::kMisdirectedWrite:
      return true;
    case FaultKind::kEio:
      return rule.when.ops.empty() ||
             std::find(rule.when.ops.begin(), rule.when.ops.end(), faultfs::FileOp::kRead) !=
                 rule.when.ops.end();
    default:
      return false;
  }
}

// Faults that damage data the engine reads back (rather than failing an op).
bool IsMediaFaultKind(const faultfs::FaultRule& rule) {
  return IsReadFaultKind(rule) && rule.kind != faultfs::FaultKind::kEio;
}

std::string StatusText(const absl::Status& status) {
  return std::string(absl::StatusCodeToString(status.code())) + ": " +
         std::string(status.message().data(), status.message().size());
}

std::string Show(const std::optional<std::string>& value) {
  if (!value.has_value()) return "<absent>";
  return "\"" + value->substr(0, 24) + (value->size() > 24 ? "..." : "") + "\"";
}

std::optional<std::string_view> View(const std::optional<std::string>& text) {
  if (!text.has_value()) return std::nullopt;
  return std::string_view(*text);
}

// Whether state equals base plus some ordered subset of the uncertain
// batches (a failed group's batches reached the WAL in an order the runner
// does not know, and a crash keeps a prefix of them).
bool MatchesWithUncertain(const ModelState& base,
                          const std::vector<std::vector<ModelEntry>>& uncertain,
                          std::vector<bool>& used, const ModelState& state) {
  if (base == state) return true;
  for (size_t i = 0; i < uncertain.size(); ++i) {
    if (used[i]) continue;
    used[i] = true;
    ModelState next = base;
    ApplyEntries(uncertain[i], next);
    const bool matched = MatchesWithUncertain(next, uncertain, used, state);
    used[i] = false;
    if (matched) return true;
  }
  return false;
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& scenario, const ScenarioRunOptions& options)
      : scenario_(scenario),
        run_options_(options),
        sim_(sim::SimulatorOptions{.seed = scenario.seed, .record_trace = options.record_trace}) {
    options_ = scenario.options;
    options_.env = &sim_.env();
    options_.create_if_missing = true;
    absl::StatusOr<faultfs::CrashPolicy> policy = faultfs::ParseCrashPolicy(scenario.crash_policy);
    KILN_ASSERT_MSG(policy.ok(), "RunScenario: validate the scenario first");
    policy_ = *policy;
    for (const ScenarioFault& fault : scenario.faults) {
      absl::StatusOr<faultfs::RuleId> id = sim_.faults().AddRule(fault.rule);
      KILN_ASSERT_MSG(id.ok(), "RunScenario: validate the scenario first");
      sim_.faults().SetRuleEnabled(*id, fault.enabled);
      rules_.push_back({fault.rule.name, *id, fault.enabled});
      read_faults_ = read_faults_ || IsReadFaultKind(fault.rule);
      media_faults_ = media_faults_ || IsMediaFaultKind(fault.rule);
    }
    model_.Reset(ModelState{}, 0);
  }

  ScenarioResult Run() {
    const std::vector<Step>& steps = scenario_.steps;
    OpenIfClosed(0);
    size_t i = 0;
    while (i < steps.size() && Going()) {
      if (steps[i].is_barrier()) {
        Barrier(i);
        ++i;
        continue;
      }
      size_t end = i;
      while (end < steps.size() && !steps[end].is_barrier()) ++end;
      OpenIfClosed(i);
      if (!Going()) break;
      const bool crash_next = end < steps.size() && steps[end].kind == Step::Kind::kCrash;
      RunSegment(i, end, crash_next ? steps[end].crash_steps : 0,
                 crash_next ? steps[end].crash_after_dir_ops : 0);
      i = end;
    }
    if (Going()) Finish(steps.size());
    // Whatever is still alive (a failure mid-segment) winds down here.
    if (segment_ != nullptr || db_ != nullptr) CrashNow(policy_, /*step=*/SIZE_MAX, "");
    return Report();
  }

 private:
  struct RuleState {
    std::string name;
    faultfs::RuleId id;
    bool enabled;
  };

  // ---- Failure bookkeeping ----

  bool Going() const { return failure_.empty() && !out_.inconclusive; }
  bool Crashing() { return sim_.runtime().crashing(); }
  // Client steps stop on a crash, a failure, or a write error (the
  // database's sticky error is set; what it holds is uncertain until a
  // crash or the final reopen tells).
  bool ClientStopped() { return Crashing() || broken_ || !Going(); }

  void Fail(size_t step, std::string message) {
    if (!failure_.empty()) return;
    failure_ = (step < scenario_.steps.size()
                    ? "step " + std::to_string(step) + " (" +
                          std::string(StepKindName(scenario_.steps[step].kind)) + "): "
                    : std::string("end: ")) +
               std::move(message);
    out_.failed_step = step;
  }

  bool WriteErrorExplained(const absl::Status& status) const {
    if (IsIOError(status) || IsNoSpace(status)) return !rules_.empty();
    return read_faults_ && IsCorruption(status);
  }
  bool ReadErrorExplained(const absl::Status& status) const {
    return read_faults_ && (IsIOError(status) || IsCorruption(status));
  }

  void NoteFailedWrite(size_t step, const std::string& what, const absl::Status& status) {
    broken_ = true;
    if (Crashing()) return;
    ++out_.counters.failed_writes;
    if (!WriteErrorExplained(status)) {
      Fail(step, what + " failed with an error no fault explains: " + StatusText(status));
    }
  }

  void NoteReadError(size_t step, const std::string& what, const absl::Status& status) {
    if (Crashing()) return;
    ++out_.counters.read_errors;
    if (!ReadErrorExplained(status)) Fail(step, what + " failed: " + StatusText(status));
  }

  // ---- Faults ----

  RuleState* FindRule(const std::string& name) {
    for (RuleState& rule : rules_) {
      if (rule.name == name) return &rule;
    }
    return nullptr;
  }

  void SetRule(const std::string& name, bool enabled) {
    for (RuleState& rule : rules_) {
      if (rule.name != name) continue;
      rule.enabled = enabled;
      sim_.faults().SetRuleEnabled(rule.id, enabled);
    }
  }

  // Switches every rule off (true) or back to its window state (false).
  void SuspendFaults(bool suspend) {
    for (const RuleState& rule : rules_) {
      sim_.faults().SetRuleEnabled(rule.id, suspend ? false : rule.enabled);
    }
  }

  // ---- Opening and recovery ----

  void OpenIfClosed(size_t step) {
    if (db_ != nullptr || !Going()) return;
    const std::optional<Step> crash_in_open = std::exchange(pending_open_crash_, std::nullopt);
    if (crash_in_open.has_value()) CrashDuringOpen(*crash_in_open, pending_open_crash_step_);
    if (!Going()) return;
    std::unique_ptr<sim::FiberTask> opener =
        sim_.runtime().Spawn("recover", [this, step] { Recover(step); });
    const sim::RunResult run = sim_.runtime().RunUntilFinished(*opener, {.max_steps = kMaxOpenSteps});
    if (run.reason != sim::RunReason::kTaskFinished) {
      Fail(step, "recovery did not finish (" + std::string(sim::RunReasonName(run.reason)) +
                     "): " + run.report);
      segment_ = std::move(opener);
    }
  }

  // Opens the database (retrying injected errors, the last attempt with
  // every fault suspended) and checks the recovered state. May yield.
  void Recover(size_t step) {
    for (int attempt = 0; attempt < kMaxOpenAttempts && Going(); ++attempt) {
      const bool last = attempt + 1 == kMaxOpenAttempts;
      if (last) SuspendFaults(true);
      const bool done = TryRecover(step, last);
      if (last) SuspendFaults(false);
      if (done) return;
    }
    if (Going()) {
      Fail(step, "recovery failed " + std::to_string(kMaxOpenAttempts) +
                     " times, the last without any fault");
    }
  }

  // An open or its check failed with an error faults explain. On the last
  // attempt media faults may have left lasting damage: stop, inconclusive.
  void NoteRecoveryError(size_t step, bool last, const std::string& what,
                         const absl::Status& status, bool explained) {
    if (!explained) {
      Fail(step, "recovery: " + what + " failed: " + StatusText(status));
    } else if (last && media_faults_) {
      out_.inconclusive = true;
      out_.note = "stopped at step " + std::to_string(step) + ": media faults left the database " +
                  "unreadable (" + what + ": " + StatusText(status) + ")";
    }
  }

  // True when open and check both ran (the check may have failed).
  bool TryRecover(size_t step, bool last) {
    absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(options_, kDbPath);
    if (!opened.ok()) {
      const bool explained =
          IsIOError(opened.status()) || IsNoSpace(opened.status()) ||
          (media_faults_ && IsCorruption(opened.status()));
      NoteRecoveryError(step, last, "Db::Open", opened.status(), explained && !rules_.empty());
      return false;
    }
    std::unique_ptr<Db> db = *std::move(opened);
    absl::StatusOr<Bucket*> named = db->GetOrCreateBucket(kScenarioNamedBucket, scenario_.named_options);
    if (!named.ok()) {
      NoteRecoveryError(step, last, "GetOrCreateBucket", named.status(),
                        WriteErrorExplained(named.status()));
      return false;
    }
    const std::array<Bucket*, kModelBuckets> buckets = {db->DefaultBucket(), *named};
    ModelState state;
    for (int b = 0; b < kModelBuckets; ++b) {
      std::unique_ptr<Iterator> it = buckets[static_cast<size_t>(b)]->NewIterator();
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        state[static_cast<size_t>(b)].emplace(std::string(it->key()), std::string(it->value()));
      }
      if (!it->status().ok()) {
        NoteRecoveryError(step, last, "reading bucket " + std::to_string(b), it->status(),
                          ReadErrorExplained(it->status()));
        return false;
      }
    }
    ++out_.counters.invariant_checks;
    const absl::Status invariants = db->CheckInvariants();
    if (!invariants.ok()) {
      Fail(step, "recovery: CheckInvariants: " + StatusText(invariants));
      return true;
    }
    CheckRecoveredState(step, state);
    const uint64_t recovered = db->GetSnapshot()->sequence();
    if (recovered < OwedSequence()) {
      Fail(step, "recovery: the recovered sequence " + std::to_string(recovered) +
                     " is below the sequence acknowledged durable " +
                     std::to_string(OwedSequence()));
    }
    if (!Going()) return true;
    ++out_.counters.recoveries_checked;
    // Everything recovered is durable now: the open wrote it to synced tables.
    model_.Reset(state, recovered);
    durable_sequence_ = recovered;
    misdirected_wal_floor_.reset();
    uncertain_.clear();
    broken_ = false;
    db_ = std::move(db);
    buckets_ = buckets;
    return true;
  }

  void CheckRecoveredState(size_t step, const ModelState& state) {
    const uint64_t low = std::max(OwedSequence(), model_.base_sequence());
    const uint64_t high = model_.max_sequence();
    std::vector<uint64_t> candidates = model_.Boundaries(low, high);
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
      if (model_.StateAt(*it) == state) return;
    }
    if (!uncertain_.empty() && high >= low) {
      std::vector<bool> used(uncertain_.size(), false);
      if (MatchesWithUncertain(model_.StateAt(high), uncertain_, used, state)) return;
    }
    const uint64_t nearest = candidates.empty() ? high : candidates.back();
    Fail(step, "recovery: the state matches no sequence in [" + std::to_string(low) + ", " +
                   std::to_string(high) + "] (" + std::to_string(uncertain_.size()) +
                   " failed writes); against sequence " + std::to_string(nearest) + ": " +
                   DescribeStateDifference(model_.StateAt(nearest), state));
  }

  // ---- Crashes ----

  faultfs::CrashPolicy PolicyOf(const Step& step) const {
    if (step.policy.empty()) return policy_;
    absl::StatusOr<faultfs::CrashPolicy> policy = faultfs::ParseCrashPolicy(step.policy);
    KILN_ASSERT(policy.ok());
    return *policy;
  }

  // Crashes the machine now: fibers wind down, the Db and snapshots die.
  void CrashNow(const faultfs::CrashPolicy& policy, size_t step, const std::string& choice_text) {
    auto teardown = [this] {
      if (segment_ != nullptr) segment_->Join();
      ReleaseAllSnapshots();
      db_.reset();
    };
    faultfs::CrashChoice choice;
    if (!choice_text.empty()) {
      absl::StatusOr<faultfs::CrashChoice> preferred = faultfs::CrashChoice::FromText(choice_text);
      KILN_ASSERT(preferred.ok());
      bool used = false;
      choice = sim_.CrashPreferring(*preferred, policy, teardown, &used);
      if (!used) {
        out_.note += "step " + std::to_string(step) +
                     ": the recorded crash choice no longer fits; the policy chose. ";
      }
    } else {
      choice = sim_.Crash(policy, teardown);
    }
    segment_.reset();
    broken_ = false;
    if (step < scenario_.steps.size()) out_.crash_choices.push_back({step, choice.ToText()});
  }

  void CrashDuringOpen(const Step& step, size_t index) {
    ++out_.counters.crashes_in_open;
    std::unique_ptr<Db> doomed;
    segment_ = sim_.runtime().Spawn("open-then-crash", [this, &doomed] {
      absl::StatusOr<std::unique_ptr<Db>> opened = Db::Open(options_, kDbPath);
      if (opened.ok()) doomed = *std::move(opened);
    });
    if (step.crash_after_dir_ops > 0) {
      (void)RunUntilDone(*segment_, step.crash_after_dir_ops, kMaxOpenSteps);
    } else {
      (void)sim_.runtime().RunUntilFinished(*segment_,
                                            {.max_steps = std::max<uint64_t>(1, step.crash_steps)});
    }
    auto teardown_doomed = [&doomed, this] {
      if (segment_ != nullptr) segment_->Join();
      doomed.reset();
    };
    faultfs::CrashChoice choice;
    if (!step.choice.empty()) {
      absl::StatusOr<faultfs::CrashChoice> preferred = faultfs::CrashChoice::FromText(step.choice);
      KILN_ASSERT(preferred.ok());
      bool used = false;
      choice = sim_.CrashPreferring(*preferred, PolicyOf(step), teardown_doomed, &used);
      if (!used) {
        out_.note += "step " + std::to_string(index) +
                     ": the recorded crash choice no longer fits; the policy chose. ";
      }
    } else {
      choice = sim_.Crash(PolicyOf(step), teardown_doomed);
    }
    segment_.reset();
    out_.crash_choices.push_back({index, choice.ToText()});
  }

  // ---- Barriers ----

  void Barrier(size_t index) {
    const Step& step = scenario_.steps[index];
    switch (step.kind) {
      case Step::Kind::kCheck:
        OpenIfClosed(index);
        if (Going()) sim_.RunInFiber("check", [this, index, &step] { Check(index, step); });
        return;
      case Step::Kind::kCrash:
        if (db_ == nullptr && segment_ == nullptr) {
          // Nothing runs: a crash of an idle machine still loses unsynced
          // state, but nothing new was written since the last one.
          OpenIfClosed(index);
          if (!Going()) return;
        }
        CrashNow(PolicyOf(step), index, step.choice);
        return;
      case Step::Kind::kCrashInOpen:
        if (db_ != nullptr) CrashNow(PolicyOf(step), SIZE_MAX, "");
        if (pending_open_crash_.has_value()) {
          // Two in a row: the first one's open-and-crash happens now.
          CrashDuringOpen(*pending_open_crash_, pending_open_crash_step_);
        }
        pending_open_crash_ = step;
        pending_open_crash_step_ = index;
        return;
      default:
        KILN_UNREACHABLE("a barrier kind that is not one");
    }
  }

  // Manual maintenance, CheckInvariants, both buckets against the model.
  void Check(size_t index, const Step& step) {
    if (options_.background_tasks == 0) {
      for (int i = 0; i < step.maintain_steps && Going() && !broken_; ++i) {
        absl::StatusOr<bool> did = db_->DoMaintenanceStep();
        if (!did.ok()) {
          NoteFailedWrite(index, "DoMaintenanceStep", did.status());
          break;
        }
        if (!*did) break;
      }
    }
    if (!Going() || broken_) return;
    ++out_.counters.invariant_checks;
    const absl::Status invariants = db_->CheckInvariants();
    if (!invariants.ok()) {
      Fail(index, "CheckInvariants: " + StatusText(invariants));
      return;
    }
    CheckFullState(index);
  }

  void CheckFullState(size_t index) {
    std::unique_ptr<Snapshot> snapshot = db_->GetSnapshot();
    for (int b = 0; b < kModelBuckets && Going(); ++b) {
      ScanSpec spec{.options = {.snapshot = snapshot.get()}, .limit = SIZE_MAX};
      spec.reverse = b == 1;
      std::unique_ptr<Iterator> it = buckets_[static_cast<size_t>(b)]->NewIterator(spec.options);
      const ScanResult got = ReadScan(*it, spec);
      const std::string what = "full " + DescribeScan(spec) + " of bucket " + std::to_string(b);
      if (!it->status().ok()) {
        NoteReadError(index, what, it->status());
        return;
      }
      it.reset();
      if (!WaitForModel(index, snapshot->sequence())) return;
      const ScanResult expected = ExpectedScan(model_.BucketAt(b, snapshot->sequence()), spec);
      if (expected != got) {
        Fail(index, what + " at sequence " + std::to_string(snapshot->sequence()) + ": " +
                        DescribeScanDifference(expected, got));
        return;
      }
    }
    ++out_.counters.full_checks;
  }

  // After the last step: check, close cleanly, reopen. A clean close keeps
  // every acknowledged write (no crash), so the reopened state is the model
  // at the last issued sequence (or, after a write error whose failed sync
  // may have dropped buffered writes, anything a crash could leave).
  void Finish(size_t end) {
    OpenIfClosed(end);
    if (!Going()) return;
    sim_.RunInFiber("final-check", [this, end] {
      if (!broken_) {
        Step check;
        check.kind = Step::Kind::kCheck;
        Check(end, check);
      }
      if (!Going()) return;
      ReleaseAllSnapshots();
      const absl::Status closed = db_->Close();
      if (!closed.ok()) NoteFailedWrite(end, "Close", closed);
      db_.reset();
      if (!broken_) {
        // A clean close syncs the WAL; the memtable stays there, not in tables.
        NoteMisdirectedWalWrites();
        durable_sequence_ = model_.max_sequence();
      }
      SuspendFaults(true);
      Recover(end);
      if (db_ != nullptr) {
        ReleaseAllSnapshots();
        (void)db_->Close();
        db_.reset();
      }
    });
  }

  // ---- Segments of client steps ----

  // Runs task until it finishes, or (after_dir_ops > 0) until the disk has
  // taken after_dir_ops more directory operations, stepping one scheduling
  // step at a time so the crash lands right after the last of them, before
  // anything (a SyncDir) follows it. At most max_steps steps.
  sim::RunResult RunUntilDone(const sim::FiberTask& task, uint64_t after_dir_ops,
                              uint64_t max_steps) {
    if (after_dir_ops == 0) return sim_.runtime().RunUntilFinished(task, {.max_steps = max_steps});
    const uint64_t target = sim_.disk().Stats().dir_ops + after_dir_ops;
    sim::RunResult run;
    uint64_t taken = 0;
    while (taken < max_steps) {
      run = sim_.runtime().RunUntilFinished(task, {.max_steps = 1});
      taken += run.steps;
      if (run.reason != sim::RunReason::kStepLimit) break;
      if (sim_.disk().Stats().dir_ops >= target) {
        ++out_.counters.dir_op_crash_points;
        break;
      }
    }
    run.steps = taken;
    return run;
  }

  void RunSegment(size_t begin, size_t end, uint64_t mid_steps, uint64_t after_dir_ops) {
    KILN_ASSERT(segment_ == nullptr && db_ != nullptr);
    segment_ = sim_.runtime().Spawn("segment", [this, begin, end] {
      std::vector<std::unique_ptr<Task>> clients;
      for (int c = 0; c < kMaxScenarioClients; ++c) {
        bool has_steps = false;
        for (size_t i = begin; i < end && !has_steps; ++i) has_steps = scenario_.steps[i].client == c;
        if (!has_steps) continue;
        clients.push_back(sim_.env().scheduler->Spawn("client", [this, c, begin, end] {
          for (size_t i = begin; i < end && !ClientStopped(); ++i) {
            if (scenario_.steps[i].client == c) ClientStep(i);
          }
        }));
      }
      for (auto& client : clients) client->Join();
    });
    const uint64_t max_steps = mid_steps > 0 ? mid_steps : kMaxSegmentSteps;
    const sim::RunResult run = RunUntilDone(*segment_, after_dir_ops, max_steps);
    if (run.reason == sim::RunReason::kDeadlock) {
      Fail(begin, "deadlock: " + run.report);
    } else if (run.reason == sim::RunReason::kStepLimit && mid_steps == 0 &&
               (after_dir_ops == 0 || run.steps >= max_steps)) {
      Fail(begin, "livelock: the segment did not finish in " + std::to_string(kMaxSegmentSteps) +
                      " steps (simulated time " + std::to_string(run.now_ns) + " ns)");
    }
    if (run.reason == sim::RunReason::kTaskFinished) segment_.reset();
  }

  std::shared_ptr<Snapshot> SnapshotOf(const Step& step) const {
    if (!step.snapshot_id.has_value()) return nullptr;
    auto it = snapshots_.find(*step.snapshot_id);
    return it == snapshots_.end() ? nullptr : it->second;
  }

  // Releases every snapshot, outside the map. May yield.
  void ReleaseAllSnapshots() {
    SnapshotMap doomed;
    doomed.swap(snapshots_);
    for (auto& [id, snapshot] : doomed) snapshot.reset();
  }

  uint64_t PublishedSequence() { return db_->GetSnapshot()->sequence(); }

  void ClientStep(size_t index) {
    const Step& step = scenario_.steps[index];
    ++operations_;
    switch (step.kind) {
      case Step::Kind::kPut:
      case Step::Kind::kDelete:
      case Step::Kind::kDeleteRange:
      case Step::Kind::kBatch:
        Write(index, step);
        break;
      case Step::Kind::kGet:
        PointRead(index, step);
        break;
      case Step::Kind::kScan:
        Scan(index, step);
        break;
      case Step::Kind::kSnapshot: {
        std::shared_ptr<Snapshot> replaced = db_->GetSnapshot();
        std::swap(snapshots_[*step.snapshot_id], replaced);
        break;  // replaced (if any) is released here, outside the map
      }
      case Step::Kind::kRelease: {
        std::shared_ptr<Snapshot> released;
        if (auto it = snapshots_.find(*step.snapshot_id); it != snapshots_.end()) {
          released = std::move(it->second);
          snapshots_.erase(it);
        }
        break;
      }
      case Step::Kind::kFlush: {
        // Flushed writes are in synced tables: durable (db.h).
        const uint64_t before = PublishedSequence();
        if (absl::Status s = db_->Flush(); !s.ok()) {
          NoteFailedWrite(index, "Flush", s);
        } else {
          durable_sequence_ = std::max(durable_sequence_, before);
          RaiseMisdirectedFloor(before);
        }
        break;
      }
      case Step::Kind::kCompact:
        if (absl::Status s = db_->CompactRange(View(step.begin), View(step.end)); !s.ok()) {
          NoteFailedWrite(index, "CompactRange", s);
        }
        break;
      case Step::Kind::kPersist:
        Persist(index, *step.durability);
        break;
      case Step::Kind::kMaintain:
        if (options_.background_tasks == 0) {
          absl::StatusOr<bool> did = db_->DoMaintenanceStep();
          if (!did.ok()) NoteFailedWrite(index, "DoMaintenanceStep", did.status());
        }
        break;
      case Step::Kind::kSleep:
        sim_.env().clock->SleepNs(step.sleep_ns);
        break;
      case Step::Kind::kFaultOn:
      case Step::Kind::kFaultOff:
        SetRule(step.fault, step.kind == Step::Kind::kFaultOn);
        break;
      default:
        KILN_UNREACHABLE("a client step kind that is not one");
    }
    if (scenario_.check_every_step && !ClientStopped()) {
      ++out_.counters.invariant_checks;
      const absl::Status invariants = db_->CheckInvariants();
      if (!invariants.ok() && !Crashing()) Fail(index, "CheckInvariants: " + StatusText(invariants));
    }
  }

  void Write(size_t index, const Step& step) {
    const Durability effective =
        std::max(options_.durability, step.durability.value_or(Durability::kBuffered));
    WriteOptions write_options;
    write_options.durability = step.durability;
    absl::StatusOr<CommitInfo> result = absl::InternalError("unset");
    if (step.kind == Step::Kind::kBatch) {
      WriteBatch batch;
      for (const ScenarioEntry& e : step.entries) {
        const Bucket* bucket = e.via_db ? nullptr : buckets_[static_cast<size_t>(e.entry.bucket)];
        absl::Status added;
        switch (e.entry.kind) {
          case ModelEntry::Kind::kPut: added = batch.Put(e.entry.key, e.entry.value, bucket); break;
          case ModelEntry::Kind::kDelete: added = batch.Delete(e.entry.key, bucket); break;
          case ModelEntry::Kind::kDeleteRange:
            added = batch.DeleteRange(e.entry.key, e.entry.value, bucket);
            break;
        }
        if (!added.ok()) {
          Fail(index, "WriteBatch rejected a valid entry: " + StatusText(added));
          return;
        }
      }
      result = db_->Write(batch, write_options);
    } else {
      const ScenarioEntry& e = step.entries[0];
      Bucket& bucket = *buckets_[static_cast<size_t>(e.entry.bucket)];
      switch (e.entry.kind) {
        case ModelEntry::Kind::kPut:
          result = e.via_db ? db_->Put(e.entry.key, e.entry.value, write_options)
                            : bucket.Put(e.entry.key, e.entry.value, write_options);
          break;
        case ModelEntry::Kind::kDelete:
          result = e.via_db ? db_->Delete(e.entry.key, write_options)
                            : bucket.Delete(e.entry.key, write_options);
          break;
        case ModelEntry::Kind::kDeleteRange:
          result = e.via_db ? db_->DeleteRange(e.entry.key, e.entry.value, write_options)
                            : bucket.DeleteRange(e.entry.key, e.entry.value, write_options);
          break;
      }
    }
    std::vector<ModelEntry> entries;
    for (const ScenarioEntry& e : step.entries) entries.push_back(e.entry);
    if (!result.ok()) {
      // Failed, or cut short by a crash after it was issued: either way it
      // may or may not be in what recovery finds.
      KILN_ASSERT(uncertain_.size() < kMaxUncertainBatches);
      uncertain_.push_back(std::move(entries));
      NoteFailedWrite(index, "the write", result.status());
      return;
    }
    const std::string error = model_.AddBatch(result->sequence, entries);
    if (!error.empty()) {
      Fail(index, error);
      return;
    }
    if (effective >= Durability::kSyncData) {
      NoteMisdirectedWalWrites();
      durable_sequence_ = std::max(durable_sequence_, result->sequence);
    }
  }

  void Persist(size_t index, Durability durability) {
    const uint64_t before = PublishedSequence();
    const absl::Status status = db_->Persist(durability);
    if (!status.ok()) {
      NoteFailedWrite(index, "Persist", status);
      return;
    }
    if (durability >= Durability::kSyncData) {
      NoteMisdirectedWalWrites();
      durable_sequence_ = std::max(durable_sequence_, before);
    }
  }

  // ---- Misdirected WAL writes ----
  //
  // A misdirected WAL append reports success while its bytes land elsewhere:
  // the record is missing, and when nothing later proves it was synced,
  // recovery rightly takes the gap for a torn tail and loses the writes that
  // sync acknowledged. Those writes, and only those, are not owed: the floor
  // is the durable sequence when the fault was first seen (before any write
  // it could have carried was acknowledged). Damage the misplaced bytes do
  // to older records must still be reported, never dropped.

  // Called before a WAL sync (or a clean close) raises durable_sequence_.
  void NoteMisdirectedWalWrites() {
    const uint64_t count = sim_.faults().fault_count(faultfs::FaultKind::kMisdirectedWrite);
    if (count == misdirected_seen_) return;
    misdirected_seen_ = count;
    if (misdirected_wal_floor_.has_value()) return;
    for (const faultfs::FaultRecord& record : sim_.faults().log()) {
      if (record.kind == faultfs::FaultKind::kMisdirectedWrite &&
          ClassifyFileName(record.path) == FileKind::kWal) {
        misdirected_wal_floor_ = durable_sequence_;
        return;
      }
    }
  }

  // Writes up to sequence are in synced tables now, whatever the WAL holds.
  void RaiseMisdirectedFloor(uint64_t sequence) {
    if (misdirected_wal_floor_.has_value()) {
      misdirected_wal_floor_ = std::max(*misdirected_wal_floor_, sequence);
    }
  }

  // The sequence a recovery must reach.
  uint64_t OwedSequence() const {
    return misdirected_wal_floor_.has_value() ? std::min(durable_sequence_, *misdirected_wal_floor_)
                                              : durable_sequence_;
  }

  // Waits until every batch up to sequence is in the model. False if the
  // check must be skipped (a crash), or on a failure.
  bool WaitForModel(size_t index, uint64_t sequence) {
    for (int i = 0; i < kMaxModelWaits; ++i) {
      if (Crashing()) return false;
      if (model_.complete_through() >= sequence) return true;
      sim_.env().clock->SleepNs(kModelWaitNs);
    }
    if (Crashing()) return false;
    Fail(index, "sequence " + std::to_string(sequence) +
                    " was published but the batches below it never returned (model complete to " +
                    std::to_string(model_.complete_through()) + ")");
    return false;
  }

  void PointRead(size_t index, const Step& step) {
    const std::shared_ptr<Snapshot> held = SnapshotOf(step);
    const Snapshot* snapshot = held.get();
    ReadOptions read_options;
    read_options.snapshot = snapshot;
    const uint64_t low = snapshot != nullptr ? snapshot->sequence() : PublishedSequence();
    absl::StatusOr<std::optional<std::string>> got =
        step.via_db ? db_->Get(step.key, read_options)
                    : buckets_[static_cast<size_t>(step.bucket)]->Get(step.key, read_options);
    const uint64_t high = snapshot != nullptr ? low : PublishedSequence();
    const std::string what = "get bucket " + std::to_string(step.bucket) + " key \"" + step.key + "\"";
    if (!got.ok()) {
      NoteReadError(index, what, got.status());
      return;
    }
    if (!WaitForModel(index, high)) return;
    CountRead(snapshot);
    std::optional<std::string> expected;
    for (uint64_t sequence : model_.Boundaries(low, high)) {
      expected = model_.Get(step.bucket, step.key, sequence);
      if (expected == *got) return;
    }
    Fail(index, what + (snapshot != nullptr ? " at snapshot" : "") + ": got " + Show(*got) +
                    ", expected " + Show(expected) + " at sequence " + std::to_string(high) +
                    " (or any batch boundary from " + std::to_string(low) + ")");
  }

  void Scan(size_t index, const Step& step) {
    const std::shared_ptr<Snapshot> held = SnapshotOf(step);
    const Snapshot* snapshot = held.get();
    ScanSpec spec;
    spec.options.snapshot = snapshot;
    spec.options.lower_bound = step.lower_bound;
    spec.options.upper_bound = step.upper_bound;
    spec.options.prefix = step.prefix;
    spec.options.fill_cache = step.fill_cache;
    spec.reverse = step.reverse;
    spec.start = step.start;
    spec.limit = step.limit;
    spec.walk = step.walk;
    const uint64_t low = snapshot != nullptr ? snapshot->sequence() : PublishedSequence();
    std::unique_ptr<Iterator> it =
        step.via_db ? db_->NewIterator(spec.options)
                    : buckets_[static_cast<size_t>(step.bucket)]->NewIterator(spec.options);
    const uint64_t high = snapshot != nullptr ? low : PublishedSequence();
    const ScanResult got = ReadScan(*it, spec);
    const std::string what = DescribeScan(spec) + " of bucket " + std::to_string(step.bucket);
    if (!it->status().ok()) {
      NoteReadError(index, what, it->status());
      return;
    }
    it.reset();
    if (!WaitForModel(index, high)) return;
    CountRead(snapshot);
    ScanResult expected;
    for (uint64_t sequence : model_.Boundaries(low, high)) {
      expected = ExpectedScan(model_.BucketAt(step.bucket, sequence), spec);
      if (expected == got) return;
    }
    Fail(index, what + (snapshot != nullptr ? " at snapshot" : "") + " at sequence " +
                    std::to_string(high) + ": " + DescribeScanDifference(expected, got));
  }

  void CountRead(const Snapshot* snapshot) {
    ++out_.counters.reads_checked;
    if (snapshot != nullptr) ++out_.counters.snapshot_reads_checked;
  }

  ScenarioResult Report() {
    SeedOptions seed_options{.seed = scenario_.seed, .record_trace = run_options_.record_trace};
    FillFromSimulator(sim_, seed_options, out_.result);
    out_.result.passed = failure_.empty();
    out_.result.failure = failure_;
    out_.result.operations = operations_;
    return std::move(out_);
  }

  const Scenario& scenario_;
  const ScenarioRunOptions run_options_;
  sim::Simulator sim_;
  Options options_;
  faultfs::CrashPolicy policy_;
  std::vector<RuleState> rules_;
  bool read_faults_ = false;
  bool media_faults_ = false;

  // The model of what the outside world was told, across crashes.
  EngineModel model_;
  uint64_t durable_sequence_ = 0;
  // See "Misdirected WAL writes".
  std::optional<uint64_t> misdirected_wal_floor_;
  uint64_t misdirected_seen_ = 0;
  std::vector<std::vector<ModelEntry>> uncertain_;
  bool broken_ = false;

  std::unique_ptr<Db> db_;
  std::array<Bucket*, kModelBuckets> buckets_{};
  SnapshotMap snapshots_;
  // The running segment's (or open's) driver fiber, until it finishes or a
  // crash winds it down.
  std::unique_ptr<sim::FiberTask> segment_;
  std::optional<Step> pending_open_crash_;
  size_t pending_open_crash_step_ = 0;

  uint64_t operations_ = 0;
  std::string failure_;
  ScenarioResult out_;
};

}  // namespace

ScenarioResult RunScenario(const Scenario& scenario, const ScenarioRunOptions& options) {
  ScenarioRun run(scenario, options);
  return run.Run();
}

Scenario WithRecordedCrashChoices(const Scenario& scenario,
                                  const std::vector<ScenarioResult::AppliedCrash>& crashes) {
  Scenario recorded = scenario;
  for (const ScenarioResult::AppliedCrash& crash : crashes) {
    KILN_ASSERT(crash.step < recorded.steps.size());
    recorded.steps[crash.step].choice = crash.choice;
  }
  return recorded;
}

}  // namespace kiln::dst
