#include "tools/dst/scenario.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "db/file_names.h"
#include "faultfs/crash_choice.h"
#include "faultfs/crash_policy.h"
#include "kiln/status.h"
#include "tools/dst/scenario_text.h"

namespace kiln::dst {
namespace {

constexpr std::string_view kHeader = "kiln-scenario 1";
constexpr uint64_t kMaxOptionBytes = uint64_t{1} << 34;
constexpr uint64_t kMaxSmallInt = 1'000'000;

struct KindName {
  Step::Kind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {Step::Kind::kPut, "put"},
    {Step::Kind::kDelete, "delete"},
    {Step::Kind::kDeleteRange, "delete_range"},
    {Step::Kind::kBatch, "batch"},
    {Step::Kind::kGet, "get"},
    {Step::Kind::kScan, "scan"},
    {Step::Kind::kSnapshot, "snapshot"},
    {Step::Kind::kRelease, "release"},
    {Step::Kind::kFlush, "flush"},
    {Step::Kind::kCompact, "compact"},
    {Step::Kind::kPersist, "persist"},
    {Step::Kind::kMaintain, "maintain"},
    {Step::Kind::kSleep, "sleep"},
    {Step::Kind::kFaultOn, "fault_on"},
    {Step::Kind::kFaultOff, "fault_off"},
    {Step::Kind::kCheck, "check"},
    {Step::Kind::kCrash, "crash"},
    {Step::Kind::kCrashInOpen, "crash_in_open"},
};

constexpr std::array<Durability, 4> kDurabilities = {
    Durability::kBuffered, Durability::kFlush, Durability::kSyncData, Durability::kSyncAll};

std::optional<Step::Kind> KindFromName(std::string_view name) {
  for (const KindName& entry : kKindNames) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

std::optional<Durability> DurabilityFromName(std::string_view name) {
  for (Durability durability : kDurabilities) {
    if (DurabilityName(durability) == name) return durability;
  }
  return std::nullopt;
}

std::string_view EntryKindName(ModelEntry::Kind kind) {
  switch (kind) {
    case ModelEntry::Kind::kPut: return "put";
    case ModelEntry::Kind::kDelete: return "delete";
    case ModelEntry::Kind::kDeleteRange: return "delete_range";
  }
  return "put";
}

std::string Join(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ',';
    text += name;
  }
  return text;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t stop = comma == std::string::npos ? text.size() : comma;
    if (stop > start) parts.push_back(text.substr(start, stop - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

// ---- Writing ----

void WriteEntryAttributes(LineWriter& line, const ScenarioEntry& entry) {
  line.Add("bucket", static_cast<uint64_t>(entry.entry.bucket));
  line.AddString("key", entry.entry.key);
  if (entry.entry.kind == ModelEntry::Kind::kPut) line.AddString("value", entry.entry.value);
  if (entry.entry.kind == ModelEntry::Kind::kDeleteRange) line.AddString("end", entry.entry.value);
  if (entry.via_db) line.Add("via_db", 1);
}

std::string StepToText(const Step& step) {
  LineWriter line(StepKindName(step.kind));
  if (!step.is_barrier()) line.Add("c", static_cast<uint64_t>(step.client));
  switch (step.kind) {
    case Step::Kind::kPut:
    case Step::Kind::kDelete:
    case Step::Kind::kDeleteRange:
      WriteEntryAttributes(line, step.entries.at(0));
      break;
    case Step::Kind::kGet:
    case Step::Kind::kScan:
      line.Add("bucket", static_cast<uint64_t>(step.bucket));
      if (step.kind == Step::Kind::kGet) line.AddString("key", step.key);
      if (step.via_db) line.Add("via_db", 1);
      if (step.snapshot_id) line.Add("snapshot", static_cast<uint64_t>(*step.snapshot_id));
      if (step.kind == Step::Kind::kScan) {
        if (step.lower_bound) line.AddString("lower", *step.lower_bound);
        if (step.upper_bound) line.AddString("upper", *step.upper_bound);
        if (step.prefix) line.AddString("prefix", *step.prefix);
        if (step.start) line.AddString("start", *step.start);
        if (step.reverse) line.Add("reverse", 1);
        if (!step.fill_cache) line.Add("fill_cache", 0);
        if (step.walk.empty()) {
          line.Add("limit", step.limit);
        } else {
          std::string walk;
          for (bool next : step.walk) walk += next ? 'n' : 'p';
          line.AddString("walk", walk);
        }
      }
      break;
    case Step::Kind::kSnapshot:
    case Step::Kind::kRelease:
      line.Add("id", static_cast<uint64_t>(step.snapshot_id.value_or(0)));
      break;
    case Step::Kind::kCompact:
      if (step.begin) line.AddString("begin", *step.begin);
      if (step.end) line.AddString("end", *step.end);
      break;
    case Step::Kind::kPersist:
      break;
    case Step::Kind::kSleep:
      line.Add("ns", step.sleep_ns);
      break;
    case Step::Kind::kFaultOn:
    case Step::Kind::kFaultOff:
      line.AddString("name", step.fault);
      break;
    case Step::Kind::kCheck:
      if (step.maintain_steps > 0) line.Add("maintain", static_cast<uint64_t>(step.maintain_steps));
      break;
    case Step::Kind::kCrash:
    case Step::Kind::kCrashInOpen:
      line.Add(step.kind == Step::Kind::kCrash ? "mid_steps" : "steps", step.crash_steps);
      if (step.crash_after_dir_ops > 0) line.Add("after_dir_ops", step.crash_after_dir_ops);
      if (!step.policy.empty()) line.AddString("policy", step.policy);
      if (!step.choice.empty()) line.AddString("choice", step.choice);
      break;
    case Step::Kind::kBatch:
    case Step::Kind::kFlush:
    case Step::Kind::kMaintain:
      break;
  }
  if (step.durability && (step.is_write() || step.kind == Step::Kind::kPersist)) {
    line.AddWord("durability=" + std::string(DurabilityName(*step.durability)));
  }
  std::string text = line.Finish();
  if (step.kind == Step::Kind::kBatch) {
    for (const ScenarioEntry& entry : step.entries) {
      LineWriter entry_line("+");
      entry_line.AddWord(EntryKindName(entry.entry.kind));
      WriteEntryAttributes(entry_line, entry);
      text += entry_line.Finish();
    }
  }
  return text;
}

std::string FaultToText(const ScenarioFault& fault) {
  const faultfs::FaultRule& rule = fault.rule;
  LineWriter line("fault");
  line.AddString("name", rule.name);
  line.AddWord("kind=" + std::string(faultfs::FaultKindName(rule.kind)));
  if (!rule.when.ops.empty()) {
    std::vector<std::string_view> names;
    for (faultfs::FileOp op : rule.when.ops) names.push_back(faultfs::FileOpName(op));
    line.AddWord("ops=" + Join(names));
  }
  if (!rule.when.file_kinds.empty()) {
    std::vector<std::string_view> names;
    for (FileKind kind : rule.when.file_kinds) names.push_back(FileKindName(kind));
    line.AddWord("files=" + Join(names));
  }
  if (!rule.when.path_glob.empty()) line.AddString("path", rule.when.path_glob);
  if (rule.when.nth != 0) {
    line.Add("nth", rule.when.nth);
    if (rule.when.occurrence == faultfs::OccurrenceMode::kNthAndLater) line.Add("and_later", 1);
  }
  line.AddReal("probability", rule.when.probability);
  if (rule.latency_ns != 0) line.Add("latency_ns", rule.latency_ns);
  if (rule.sector_size_bytes != faultfs::kDefaultFaultSectorSizeBytes) {
    line.Add("sector_size_bytes", rule.sector_size_bytes);
  }
  line.Add("enabled", fault.enabled ? 1 : 0);
  return line.Finish();
}

std::string BucketToText(std::string_view name, const BucketOptions& options) {
  LineWriter line("bucket");
  line.AddWord(name);
  line.Add("block_size_bytes", options.block_size_bytes);
  line.Add("block_restart_interval", static_cast<uint64_t>(options.block_restart_interval));
  line.Add("bloom_bits_per_key", static_cast<uint64_t>(options.bloom_bits_per_key));
  line.Add("prefix_length", options.prefix_length);
  line.AddWord(std::string("compression=") +
               (options.compression == Compression::kLz4 ? "lz4" : "none"));
  return line.Finish();
}

std::string OptionsToText(const Options& o) {
  LineWriter line("options");
  line.AddWord("durability=" + std::string(DurabilityName(o.durability)));
  line.Add("memtable_budget_bytes", o.memtable_budget_bytes);
  line.Add("block_cache_bytes", o.block_cache_bytes);
  line.Add("max_open_tables", o.max_open_tables);
  line.Add("target_file_size_bytes", o.target_file_size_bytes);
  line.Add("l0_compaction_trigger", static_cast<uint64_t>(o.l0_compaction_trigger));
  line.Add("l0_slowdown_trigger", static_cast<uint64_t>(o.l0_slowdown_trigger));
  line.Add("l0_stop_trigger", static_cast<uint64_t>(o.l0_stop_trigger));
  line.Add("level1_target_bytes", o.level1_target_bytes);
  line.Add("level_size_multiplier", static_cast<uint64_t>(o.level_size_multiplier));
  line.Add("background_tasks", static_cast<uint64_t>(o.background_tasks));
  line.Add("map_table_files", o.map_table_files ? 1 : 0);
  line.Add("wal_reserve_bytes", o.wal_reserve_bytes);
  return line.Finish();
}

// ---- Parsing ----

std::optional<Durability> ParseDurabilityAttribute(TextLine& line) {
  const std::optional<std::string> text = line.String("durability");
  if (!text.has_value()) return std::nullopt;
  std::optional<Durability> durability = DurabilityFromName(*text);
  if (!durability.has_value()) line.Fail("unknown durability '" + *text + "'");
  return durability;
}

bool ParseBucketIndex(TextLine& line, int& bucket) {
  bucket = static_cast<int>(line.Number("bucket", 0, kModelBuckets - 1));
  return line.error().empty();
}

ScenarioEntry ParseEntry(TextLine& line, ModelEntry::Kind kind) {
  ScenarioEntry entry;
  entry.entry.kind = kind;
  ParseBucketIndex(line, entry.entry.bucket);
  entry.entry.key = line.String("key").value_or("");
  if (kind == ModelEntry::Kind::kPut) entry.entry.value = line.String("value").value_or("");
  if (kind == ModelEntry::Kind::kDeleteRange) entry.entry.value = line.String("end").value_or("");
  entry.via_db = line.Flag("via_db", false);
  return entry;
}

void ParseStep(TextLine& line, Step::Kind kind, Step& step) {
  step.kind = kind;
  if (!step.is_barrier()) {
    step.client = static_cast<int>(line.Number("c", 0, kMaxScenarioClients - 1));
  }
  switch (kind) {
    case Step::Kind::kPut:
      step.entries.push_back(ParseEntry(line, ModelEntry::Kind::kPut));
      break;
    case Step::Kind::kDelete:
      step.entries.push_back(ParseEntry(line, ModelEntry::Kind::kDelete));
      break;
    case Step::Kind::kDeleteRange:
      step.entries.push_back(ParseEntry(line, ModelEntry::Kind::kDeleteRange));
      break;
    case Step::Kind::kGet:
    case Step::Kind::kScan: {
      ParseBucketIndex(line, step.bucket);
      if (kind == Step::Kind::kGet) step.key = line.String("key").value_or("");
      step.via_db = line.Flag("via_db", false);
      if (line.String("snapshot").has_value()) {
        step.snapshot_id = static_cast<int>(line.Number("snapshot", 0, kMaxSmallInt));
      }
      if (kind == Step::Kind::kScan) {
        step.lower_bound = line.String("lower");
        step.upper_bound = line.String("upper");
        step.prefix = line.String("prefix");
        step.start = line.String("start");
        step.reverse = line.Flag("reverse", false);
        step.fill_cache = line.Flag("fill_cache", true);
        step.limit = line.Number("limit", step.limit, kMaxScenarioScanEntries);
        const std::string walk = line.String("walk").value_or("");
        if (walk.size() > kMaxScenarioScanEntries) line.Fail("walk too long");
        for (char c : walk) {
          if (c != 'n' && c != 'p') line.Fail("walk wants only 'n' and 'p'");
          step.walk.push_back(c == 'n');
        }
      }
      break;
    }
    case Step::Kind::kSnapshot:
    case Step::Kind::kRelease:
      step.snapshot_id = static_cast<int>(line.Number("id", 0, kMaxSmallInt));
      break;
    case Step::Kind::kCompact:
      step.begin = line.String("begin");
      step.end = line.String("end");
      break;
    case Step::Kind::kSleep:
      step.sleep_ns = line.Number("ns", 0, kMaxScenarioSleepNs);
      break;
    case Step::Kind::kFaultOn:
    case Step::Kind::kFaultOff:
      step.fault = line.String("name").value_or("");
      break;
    case Step::Kind::kCheck:
      step.maintain_steps =
          static_cast<int>(line.Number("maintain", 0, kMaxScenarioMaintenanceSteps));
      break;
    case Step::Kind::kCrash:
    case Step::Kind::kCrashInOpen:
      step.crash_steps = line.Number(kind == Step::Kind::kCrash ? "mid_steps" : "steps", 0,
                                     kMaxScenarioCrashSteps);
      step.crash_after_dir_ops = line.Number("after_dir_ops", 0, kMaxScenarioCrashDirOps);
      step.policy = line.String("policy").value_or("");
      step.choice = line.String("choice").value_or("");
      break;
    case Step::Kind::kBatch:
    case Step::Kind::kPersist:
    case Step::Kind::kFlush:
    case Step::Kind::kMaintain:
      break;
  }
  if (step.is_write() || kind == Step::Kind::kPersist) {
    step.durability = ParseDurabilityAttribute(line);
  }
}

bool ParseFault(TextLine& line, ScenarioFault& fault) {
  faultfs::FaultRule& rule = fault.rule;
  rule.name = line.String("name").value_or("");
  const std::string kind = line.String("kind").value_or("");
  const std::optional<faultfs::FaultKind> parsed_kind = faultfs::FaultKindFromName(kind);
  if (!parsed_kind.has_value()) {
    line.Fail("unknown fault kind '" + kind + "'");
    return false;
  }
  rule.kind = *parsed_kind;
  for (const std::string& name : Split(line.String("ops").value_or(""))) {
    const std::optional<faultfs::FileOp> op = faultfs::FileOpFromName(name);
    if (!op.has_value()) {
      line.Fail("unknown file op '" + name + "'");
      return false;
    }
    rule.when.ops.push_back(*op);
  }
  for (const std::string& name : Split(line.String("files").value_or(""))) {
    bool found = false;
    for (uint8_t k = 0; k <= static_cast<uint8_t>(FileKind::kOther); ++k) {
      if (FileKindName(static_cast<FileKind>(k)) == name) {
        rule.when.file_kinds.push_back(static_cast<FileKind>(k));
        found = true;
      }
    }
    if (!found) {
      line.Fail("unknown file kind '" + name + "'");
      return false;
    }
  }
  rule.when.path_glob = line.String("path").value_or("");
  rule.when.nth = line.Number("nth", 0, kMaxScenarioCrashSteps);
  if (line.Flag("and_later", false)) rule.when.occurrence = faultfs::OccurrenceMode::kNthAndLater;
  rule.when.probability = line.Real("probability").value_or(1.0);
  rule.latency_ns = line.Number("latency_ns", 0, kMaxScenarioSleepNs);
  rule.sector_size_bytes = line.Number("sector_size_bytes", faultfs::kDefaultFaultSectorSizeBytes,
                                       faultfs::kMaxFaultSectorSizeBytes);
  fault.enabled = line.Flag("enabled", true);
  return line.error().empty();
}

void ParseBucketOptions(TextLine& line, BucketOptions& options) {
  options.block_size_bytes =
      line.Number("block_size_bytes", options.block_size_bytes, kMaxOptionBytes);
  options.block_restart_interval = static_cast<int>(
      line.Number("block_restart_interval", options.block_restart_interval, kMaxSmallInt));
  options.bloom_bits_per_key = static_cast<int>(
      line.Number("bloom_bits_per_key", options.bloom_bits_per_key, kMaxSmallInt));
  options.prefix_length = line.Number("prefix_length", options.prefix_length, kMaxKeyBytes);
  const std::string compression = line.String("compression").value_or("lz4");
  if (compression == "lz4") {
    options.compression = Compression::kLz4;
  } else if (compression == "none") {
    options.compression = Compression::kNone;
  } else {
    line.Fail("compression wants lz4 or none, got '" + compression + "'");
  }
}

void ParseOptions(TextLine& line, Options& o) {
  if (const std::optional<Durability> durability = ParseDurabilityAttribute(line)) {
    o.durability = *durability;
  }
  o.memtable_budget_bytes =
      line.Number("memtable_budget_bytes", o.memtable_budget_bytes, kMaxOptionBytes);
  o.block_cache_bytes = line.Number("block_cache_bytes", o.block_cache_bytes, kMaxOptionBytes);
  o.max_open_tables = line.Number("max_open_tables", o.max_open_tables, kMaxSmallInt);
  o.target_file_size_bytes =
      line.Number("target_file_size_bytes", o.target_file_size_bytes, kMaxOptionBytes);
  o.l0_compaction_trigger = static_cast<int>(
      line.Number("l0_compaction_trigger", o.l0_compaction_trigger, kMaxSmallInt));
  o.l0_slowdown_trigger =
      static_cast<int>(line.Number("l0_slowdown_trigger", o.l0_slowdown_trigger, kMaxSmallInt));
  o.l0_stop_trigger =
      static_cast<int>(line.Number("l0_stop_trigger", o.l0_stop_trigger, kMaxSmallInt));
  o.level1_target_bytes = line.Number("level1_target_bytes", o.level1_target_bytes, kMaxOptionBytes);
  o.level_size_multiplier = static_cast<int>(
      line.Number("level_size_multiplier", o.level_size_multiplier, kMaxSmallInt));
  o.background_tasks =
      static_cast<int>(line.Number("background_tasks", o.background_tasks, 64));
  o.map_table_files = line.Flag("map_table_files", o.map_table_files);
  o.wal_reserve_bytes = line.Number("wal_reserve_bytes", o.wal_reserve_bytes, kMaxWalReserveBytes);
}

bool KeyFits(const std::string& key) { return key.size() <= kMaxKeyBytes; }

}  // namespace

std::string_view StepKindName(Step::Kind kind) {
  for (const KindName& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "?";
}

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kBuffered: return "buffered";
    case Durability::kFlush: return "flush";
    case Durability::kSyncData: return "sync_data";
    case Durability::kSyncAll: return "sync_all";
  }
  return "?";
}

std::string ScenarioToText(const Scenario& scenario) {
  std::string text = std::string(kHeader) + "\n";
  text += "seed " + std::to_string(scenario.seed) + "\n";
  text += OptionsToText(scenario.options);
  text += BucketToText("default", scenario.options.default_bucket);
  text += BucketToText("named", scenario.named_options);
  text += "crash_policy " + QuoteString(scenario.crash_policy) + "\n";
  for (const ScenarioFault& fault : scenario.faults) text += FaultToText(fault);
  text += std::string("check_every_step ") + (scenario.check_every_step ? "1" : "0") + "\n";
  for (const Step& step : scenario.steps) text += StepToText(step);
  return text;
}

absl::StatusOr<Scenario> ParseScenario(std::string_view text) {
  Scenario scenario;
  size_t line_number = 0;
  bool saw_header = false;
  auto error = [&](std::string_view message) {
    return absl::InvalidArgumentError(absl::string_view(
        ("line " + std::to_string(line_number) + ": " + std::string(message)).c_str()));
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t stop = text.find('\n', start);
    if (stop == std::string_view::npos) stop = text.size();
    std::string_view raw = text.substr(start, stop - start);
    start = stop + 1;
    ++line_number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    size_t first = raw.find_first_not_of(" \t");
    if (first == std::string_view::npos || raw[first] == '#') continue;
    if (!saw_header) {
      if (raw.substr(first) != kHeader) return error("expected '" + std::string(kHeader) + "'");
      saw_header = true;
      continue;
    }
    TextLine line;
    if (!line.Parse(raw)) return error(line.error());
    const std::string& verb = line.verb();
    if (verb == "seed") {
      if (line.words().size() != 1) return error("seed wants one number");
      char* end = nullptr;
      scenario.seed = std::strtoull(line.words()[0].c_str(), &end, 10);
      if (*end != '\0' || line.words()[0][0] == '-') return error("seed wants one number");
      continue;
    }
    if (verb == "check_every_step") {
      if (line.words().size() != 1 || (line.words()[0] != "0" && line.words()[0] != "1")) {
        return error("check_every_step wants 0 or 1");
      }
      scenario.check_every_step = line.words()[0] == "1";
      continue;
    }
    if (verb == "crash_policy") {
      if (line.words().size() != 1) return error("crash_policy wants one quoted policy");
      scenario.crash_policy = line.words()[0];
      continue;
    }
    if (verb == "options") {
      ParseOptions(line, scenario.options);
    } else if (verb == "bucket") {
      if (line.words().size() != 1) return error("bucket wants a name: default or named");
      if (line.words()[0] == "default") {
        ParseBucketOptions(line, scenario.options.default_bucket);
      } else if (line.words()[0] == "named") {
        ParseBucketOptions(line, scenario.named_options);
      } else {
        return error("bucket wants default or named, got '" + line.words()[0] + "'");
      }
    } else if (verb == "fault") {
      if (scenario.faults.size() >= kMaxScenarioFaults) return error("too many faults");
      ScenarioFault fault;
      if (ParseFault(line, fault)) scenario.faults.push_back(std::move(fault));
    } else if (verb == "+") {
      if (scenario.steps.empty() || scenario.steps.back().kind != Step::Kind::kBatch) {
        return error("a '+' entry must follow a batch");
      }
      if (line.words().empty()) return error("'+' wants put, delete or delete_range");
      ModelEntry::Kind kind;
      if (line.words()[0] == "put") {
        kind = ModelEntry::Kind::kPut;
      } else if (line.words()[0] == "delete") {
        kind = ModelEntry::Kind::kDelete;
      } else if (line.words()[0] == "delete_range") {
        kind = ModelEntry::Kind::kDeleteRange;
      } else {
        return error("'+' wants put, delete or delete_range, got '" + line.words()[0] + "'");
      }
      if (scenario.steps.back().entries.size() >= kMaxScenarioBatchEntries) {
        return error("too many batch entries");
      }
      scenario.steps.back().entries.push_back(ParseEntry(line, kind));
      if (line.words().size() != 1) return error("unexpected words after the entry kind");
    } else if (const std::optional<Step::Kind> kind = KindFromName(verb)) {
      if (scenario.steps.size() >= kMaxScenarioSteps) return error("too many steps");
      if (!line.words().empty()) return error("unexpected word '" + line.words()[0] + "'");
      Step step;
      ParseStep(line, *kind, step);
      scenario.steps.push_back(std::move(step));
    } else {
      return error("unknown item '" + verb + "'");
    }
    if (verb == "options" || verb == "fault") {
      if (!line.words().empty()) return error("unexpected word '" + line.words()[0] + "'");
    }
    line.RejectUnused();
    if (!line.error().empty()) return error(line.error());
  }
  if (!saw_header) return absl::InvalidArgumentError("empty scenario: no 'kiln-scenario 1' line");
  absl::Status valid = ValidateScenario(scenario);
  if (!valid.ok()) return valid;
  return scenario;
}

absl::Status ValidateScenario(const Scenario& scenario) {
  auto invalid = [](size_t index, const std::string& message) {
    return absl::InvalidArgumentError(
        absl::string_view(("step " + std::to_string(index) + ": " + message).c_str()));
  };
  if (!faultfs::ParseCrashPolicy(scenario.crash_policy).ok()) {
    return absl::InvalidArgumentError(
        absl::string_view(("bad crash_policy '" + scenario.crash_policy + "'").c_str()));
  }
  if (scenario.steps.size() > kMaxScenarioSteps) return absl::InvalidArgumentError("too many steps");
  if (scenario.faults.size() > kMaxScenarioFaults) return absl::InvalidArgumentError("too many faults");
  for (const ScenarioFault& fault : scenario.faults) {
    absl::Status valid = faultfs::ValidateFaultRule(fault.rule, /*have_clock=*/true);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::string_view(
          ("fault '" + fault.rule.name + "': " + std::string(valid.message().data(),
                                                             valid.message().size()))
              .c_str()));
    }
  }
  auto fault_known = [&](const std::string& name) {
    for (const ScenarioFault& fault : scenario.faults) {
      if (fault.rule.name == name) return true;
    }
    return false;
  };
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    if (step.client < 0 || step.client >= kMaxScenarioClients) return invalid(i, "bad client");
    if (step.is_write()) {
      if (step.entries.empty()) return invalid(i, "a write without entries");
      if (step.kind != Step::Kind::kBatch && step.entries.size() != 1) {
        return invalid(i, "a single write with several entries");
      }
      if (step.entries.size() > kMaxScenarioBatchEntries) return invalid(i, "batch too large");
      for (const ScenarioEntry& entry : step.entries) {
        if (entry.entry.bucket < 0 || entry.entry.bucket >= kModelBuckets) {
          return invalid(i, "bad bucket");
        }
        if (entry.via_db && entry.entry.bucket != 0) return invalid(i, "via_db needs bucket 0");
        if (!KeyFits(entry.entry.key)) return invalid(i, "key too long");
        if (entry.entry.value.size() > kMaxValueBytes) return invalid(i, "value too long");
        if (entry.entry.kind == ModelEntry::Kind::kDeleteRange &&
            !(entry.entry.key < entry.entry.value)) {
          return invalid(i, "delete_range wants key < end");
        }
        const auto expected_kind = step.kind == Step::Kind::kPut      ? ModelEntry::Kind::kPut
                                   : step.kind == Step::Kind::kDelete ? ModelEntry::Kind::kDelete
                                                                      : ModelEntry::Kind::kDeleteRange;
        if (step.kind != Step::Kind::kBatch && entry.entry.kind != expected_kind) {
          return invalid(i, "entry kind does not match the step");
        }
      }
    }
    if ((step.kind == Step::Kind::kGet || step.kind == Step::Kind::kScan) &&
        (step.bucket < 0 || step.bucket >= kModelBuckets || (step.via_db && step.bucket != 0))) {
      return invalid(i, "bad bucket");
    }
    if (step.kind == Step::Kind::kScan &&
        (step.limit > kMaxScenarioScanEntries || step.walk.size() > kMaxScenarioScanEntries)) {
      return invalid(i, "scan too long");
    }
    if ((step.kind == Step::Kind::kSnapshot || step.kind == Step::Kind::kRelease) &&
        !step.snapshot_id.has_value()) {
      return invalid(i, "snapshot step without an id");
    }
    if (step.kind == Step::Kind::kPersist && !step.durability.has_value()) {
      return invalid(i, "persist without a durability");
    }
    if ((step.kind == Step::Kind::kFaultOn || step.kind == Step::Kind::kFaultOff) &&
        !fault_known(step.fault)) {
      return invalid(i, "no fault named '" + step.fault + "'");
    }
    if (step.sleep_ns > kMaxScenarioSleepNs) return invalid(i, "sleep too long");
    if (step.maintain_steps < 0 || step.maintain_steps > kMaxScenarioMaintenanceSteps) {
      return invalid(i, "bad maintain count");
    }
    if (step.crash_steps > kMaxScenarioCrashSteps) return invalid(i, "crash step too far");
    if (step.crash_after_dir_ops > kMaxScenarioCrashDirOps) {
      return invalid(i, "crash after too many directory operations");
    }
    if (step.crash_after_dir_ops > 0 && step.crash_steps > 0) {
      return invalid(i, "a crash takes mid_steps/steps or after_dir_ops, not both");
    }
    if (!step.policy.empty() && !faultfs::ParseCrashPolicy(step.policy).ok()) {
      return invalid(i, "bad crash policy '" + step.policy + "'");
    }
    if (!step.choice.empty() && !faultfs::CrashChoice::FromText(step.choice).ok()) {
      return invalid(i, "bad crash choice");
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln::dst
