#include "tools/kvbench/sim_speed.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "kiln/db.h"
#include "kiln/env.h"
#include "sim/fiber.h"
#include "sim/runtime.h"
#include "sim/simulator.h"
#include "tools/dst/workload.h"
#include "tools/kvbench/child.h"
#include "tools/kvbench/json.h"
#include "tools/kvbench/keys.h"
#include "util/assert.h"

namespace kiln::kvbench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMicroRepetitions = 7;
constexpr uint64_t kSwitchRoundTrips = 2'000'000;
constexpr uint64_t kYieldSteps = 2'000'000;
// A campaign stops after this many seeds even if time remains.
constexpr uint64_t kMaxCampaignSeeds = 10'000'000;
constexpr uint64_t kEnvSeed = 17;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Measurement Named(const std::string& workload) {
  Measurement measurement;
  measurement.engine = "sim";
  measurement.workload = workload;
  return measurement;
}

// Two fibers resumed alternately, each suspending straight back.
double RawSwitchNs() {
  sim::StackPool pool(sim::kDefaultFiberStackBytes);
  bool stop = false;
  auto body = [&stop] {
    while (!stop) sim::Fiber::Current()->Suspend();
  };
  sim::Fiber first(pool, body);
  sim::Fiber second(pool, body);
  first.Resume();
  second.Resume();
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < kSwitchRoundTrips / 2; ++i) {
    first.Resume();
    second.Resume();
  }
  const double seconds = SecondsSince(start);
  stop = true;
  first.Resume();
  second.Resume();
  // Each Resume is two switches: into the fiber and back out.
  return seconds * 1e9 / double(2 * kSwitchRoundTrips);
}

double SchedulingPointNs() {
  sim::Runtime runtime({.seed = 1});
  bool stop = false;
  for (int i = 0; i < 2; ++i) {
    runtime.SpawnDetached("yielder", [&runtime, &stop] {
      while (!stop) runtime.Yield();
    });
  }
  const Clock::time_point start = Clock::now();
  const sim::RunResult result = runtime.Run({.max_steps = kYieldSteps});
  const double seconds = SecondsSince(start);
  stop = true;
  static_cast<void>(runtime.Run());
  return seconds * 1e9 / double(result.steps);
}

Measurement FiberSpeed() {
  Measurement m = Named("fibers");
  std::vector<double> switches;
  std::vector<double> points;
  for (int i = 0; i < kMicroRepetitions; ++i) {
    switches.push_back(RawSwitchNs());
    points.push_back(SchedulingPointNs());
  }
  m.metrics["fiber_switch_ns"] = Median(switches);
  m.metrics["scheduling_point_ns"] = Median(points);
  return m;
}

Measurement CampaignSpeed(const std::string& name, const SimSpeedOptions& options) {
  Measurement m = Named("campaign-" + name);
  std::unique_ptr<dst::Workload> workload = dst::MakeWorkload(name);
  if (workload == nullptr) {
    m.error = "no dst workload " + name;
    return m;
  }
  uint64_t seeds = 0;
  uint64_t failures = 0;
  uint64_t steps = 0;
  uint64_t simulated_ns = 0;
  uint64_t operations = 0;
  const Clock::time_point start = Clock::now();
  while (seeds < kMaxCampaignSeeds && SecondsSince(start) < options.campaign_seconds) {
    const dst::SeedResult result =
        workload->Run(dst::SeedOptions{.seed = options.first_seed + seeds});
    ++seeds;
    if (!result.passed) ++failures;
    steps += result.steps;
    simulated_ns += result.simulated_ns;
    operations += result.operations;
  }
  const double seconds = SecondsSince(start);
  m.metrics["seeds"] = double(seeds);
  m.metrics["failures"] = double(failures);
  m.metrics["seconds"] = seconds;
  m.metrics["seeds_per_min_per_core"] = double(seeds) / seconds * 60;
  m.metrics["steps_per_sec"] = double(steps) / seconds;
  m.metrics["ops_per_sec"] = double(operations) / seconds;
  m.metrics["sim_to_wall"] = double(simulated_ns) / 1e9 / seconds;
  return m;
}

// fillrandom then readrandom of num keys, one task, on env (null: real).
void KilnOnEnv(const Env* env, const std::string& dir, const SimSpeedOptions& options,
               Measurement& m) {
  Options db_options{.env = env, .create_if_missing = true, .durability = Durability::kFlush};
  db_options.memtable_budget_bytes = KilnMemtableBudgetBytes(options.settings);
  db_options.block_cache_bytes = options.settings.cache_bytes;
  db_options.target_file_size_bytes = options.settings.target_file_size_bytes;
  db_options.default_bucket.bloom_bits_per_key = options.settings.bloom_bits_per_key;
  db_options.default_bucket.compression = Compression::kNone;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(db_options, dir);
  if (!db.ok()) {
    m.error = "open: " + std::string(db.status().message());
    return;
  }
  const std::vector<uint32_t> order = Permutation(options.env_num, kEnvSeed);
  KeyFormatter keys;
  ValueSource values(options.value_bytes, kEnvSeed);
  Clock::time_point start = Clock::now();
  for (uint32_t key : order) {
    if (absl::Status s = (*db)->Put(keys.Key(key), values.Next()).status(); !s.ok()) {
      m.error = "put: " + std::string(s.message());
      return;
    }
  }
  m.metrics["fillrandom_ops_per_sec"] = double(order.size()) / SecondsSince(start);
  std::mt19937_64 random = ThreadRandom(kEnvSeed, 0);
  start = Clock::now();
  for (uint64_t i = 0; i < options.env_num; ++i) {
    absl::StatusOr<std::optional<std::string>> value = (*db)->Get(keys.Key(random() % options.env_num));
    if (!value.ok() || !value->has_value()) {
      m.error = "get: a key is missing or unreadable";
      return;
    }
  }
  m.metrics["readrandom_ops_per_sec"] = double(options.env_num) / SecondsSince(start);
  if (absl::Status s = (*db)->Close(); !s.ok()) m.error = "close: " + std::string(s.message());
}

Measurement EnvSim(const SimSpeedOptions& options) {
  Measurement m = Named("env-sim");
  sim::Simulator simulator({.seed = kEnvSeed, .buggify = false});
  const Clock::time_point start = Clock::now();
  simulator.RunInFiber("kvbench", [&] { KilnOnEnv(&simulator.env(), "/kvbench", options, m); });
  // Let background fibers the Db left (none after Close) finish.
  static_cast<void>(simulator.Run());
  m.metrics["sim_to_wall"] = double(simulator.runtime().now_ns()) / 1e9 / SecondsSince(start);
  return m;
}

Measurement EnvReal(const SimSpeedOptions& options) {
  Measurement m = Named("env-real");
  const std::string dir = options.db_dir + "/env-real";
  KilnOnEnv(nullptr, dir, options, m);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return m;
}

std::string Format(std::optional<double> value, const char* format) {
  if (!value.has_value() || !std::isfinite(*value)) return "-";
  char text[64];
  std::snprintf(text, sizeof(text), format, *value);
  return text;
}

const Measurement* Find(const std::vector<Measurement>& results, const std::string& workload) {
  for (const Measurement& m : results) {
    if (m.workload == workload) return &m;
  }
  return nullptr;
}

}  // namespace

std::vector<Measurement> RunSimSpeed(const SimSpeedOptions& options) {
  std::vector<Measurement> results;
  results.push_back(RunInChild("sim", "fibers", [] { return FiberSpeed(); }));
  for (const std::string& name : options.campaign_workloads) {
    results.push_back(
        RunInChild("sim", "campaign-" + name, [&] { return CampaignSpeed(name, options); }));
  }
  results.push_back(RunInChild("sim", "env-sim", [&] { return EnvSim(options); }));
  results.push_back(RunInChild("sim", "env-real", [&] { return EnvReal(options); }));
  return results;
}

void PrintSimSpeed(const std::vector<Measurement>& results, std::FILE* out) {
  std::fprintf(out, "\nSimulation speed (one core):\n");
  for (const Measurement& m : results) {
    if (!m.error.empty()) std::fprintf(out, "  %s: ERROR %s\n", m.workload.c_str(), m.error.c_str());
  }
  if (const Measurement* m = Find(results, "fibers")) {
    std::fprintf(out, "  fiber switch                 %s ns  (target < 50 ns)\n",
                 Format(m->Get("fiber_switch_ns"), "%.1f").c_str());
    std::fprintf(out, "  scheduling point (2 fibers)  %s ns\n",
                 Format(m->Get("scheduling_point_ns"), "%.1f").c_str());
  }
  for (const Measurement& m : results) {
    if (m.workload.rfind("campaign-", 0) != 0) continue;
    std::fprintf(out,
                 "  %-28s %s seeds/min/core (target >= 1,000), %s failed, sim/wall %sx, "
                 "%s steps/s\n",
                 m.workload.c_str(), Format(m.Get("seeds_per_min_per_core"), "%.0f").c_str(),
                 Format(m.Get("failures"), "%.0f").c_str(), Format(m.Get("sim_to_wall"), "%.2f").c_str(),
                 Format(m.Get("steps_per_sec"), "%.0f").c_str());
  }
  const Measurement* sim = Find(results, "env-sim");
  const Measurement* real = Find(results, "env-real");
  if (sim != nullptr && real != nullptr) {
    for (const char* op : {"fillrandom", "readrandom"}) {
      const std::string name = std::string(op) + "_ops_per_sec";
      std::optional<double> s = sim->Get(name);
      std::optional<double> r = real->Get(name);
      std::optional<double> ratio;
      if (s.has_value() && r.has_value() && *r > 0) ratio = *s / *r;
      std::fprintf(out, "  kiln %-23s sim Env %s ops/s, real Env %s ops/s: sim/real %s\n", op,
                   Format(s, "%.0f").c_str(), Format(r, "%.0f").c_str(),
                   Format(ratio, "%.2fx").c_str());
    }
    std::fprintf(out, "  kiln on the sim Env: simulated time / wall time %sx\n",
                 Format(sim->Get("sim_to_wall"), "%.3f").c_str());
  }
}

std::string SimSpeedJson(const std::vector<Measurement>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    const Measurement& m = results[i];
    out += i == 0 ? "\n" : ",\n";
    out += "    {\"workload\": " + JsonString(m.workload) + ", \"error\": " + JsonString(m.error) +
           ", \"metrics\": " + JsonMetrics(m.metrics) + "}";
  }
  return out + "\n  ]";
}

}  // namespace kiln::kvbench
