// Runs the kvbench binary small (every workload, every engine, one repeat;
// then the simulation report briefly) and checks that it ran everything and
// that its tables and JSON hold what they promise. No timing thresholds:
// performance is measured, never asserted.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tools/kvbench/json_value.h"

namespace kiln::kvbench {
namespace {

const std::set<std::string> kWorkloads = {
    "fillseq",    "fillrandom",       "overwrite",    "readrandom", "readseq",  "seekrandom",
    "readwhilewriting", "deleterandom", "fillsync1",  "fillsync8",  "recover"};
const std::set<std::string> kEngines = {"kiln", "leveldb", "rocksdb"};

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Binary() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") +
         "/tools/kvbench/kvbench";
}

struct Output {
  int exit_code = -1;
  std::string stdout_text;
};

Output RunKvbench(const std::string& arguments) {
  const std::string command = Binary() + " " + arguments + " 2>" + TmpDir() + "/stderr.txt";
  Output output;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.stdout_text.append(buffer, got);
  const int status = pclose(pipe);
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

JsonValue ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  std::optional<JsonValue> json = ParseJson(text.str(), &error);
  EXPECT_TRUE(json.has_value()) << path << ": " << error;
  return json.value_or(JsonValue{});
}

double Metric(const JsonValue& result, const std::string& name) {
  const JsonValue* median = result.Find("median");
  if (median == nullptr) return -1;
  const JsonValue* value = median->Find(name);
  return value != nullptr && value->kind == JsonValue::Kind::kNumber ? value->number : -1;
}

TEST(KvbenchTest, EveryWorkloadRunsOnEveryEngineAndTheResultsParse) {
  const std::string json_path = TmpDir() + "/bench.json";
  // Small buffers so that even this little data flushes and compacts.
  const Output output = RunKvbench(
      "--num=20000 --reads=2000 --sync_num=64 --repeat=1 --write_buffer_mb=1 --cache_mb=1 "
      "--target_file_mb=1 --json=" + json_path + " --db_dir=" + TmpDir() + "/db");
  ASSERT_EQ(output.exit_code, 0) << output.stdout_text;

  for (const std::string& workload : kWorkloads) {
    EXPECT_NE(output.stdout_text.find("\n" + workload + ": "), std::string::npos) << workload;
  }
  EXPECT_NE(output.stdout_text.find("Targets (DESIGN.md), Kiln:"), std::string::npos);
  EXPECT_NE(output.stdout_text.find("compression: none"), std::string::npos);

  const JsonValue json = ReadJson(json_path);
  ASSERT_NE(json.Find("results"), nullptr);
  EXPECT_EQ(json.Find("config")->Find("num")->number, 20000);
  std::set<std::pair<std::string, std::string>> seen;
  for (const JsonValue& result : json.Find("results")->array) {
    const std::string workload = result.Find("workload")->string;
    const std::string engine = result.Find("engine")->string;
    SCOPED_TRACE(workload + " on " + engine);
    seen.insert({workload, engine});
    EXPECT_EQ(result.Find("error")->string, "");
    EXPECT_EQ(result.Find("runs")->array.size(), 1u);
    EXPECT_EQ(result.Find("ratio_to_best_peer")->kind, JsonValue::Kind::kNumber);
    EXPECT_GT(Metric(result, "ops_per_sec"), 0);
    EXPECT_GT(Metric(result, "peak_rss_mb"), 0);
    if (workload != "recover") {
      EXPECT_GT(Metric(result, "peak_anon_mb"), 0);
      // The end figure is read just after the last sample: allow 2 MB growth.
      EXPECT_GE(Metric(result, "peak_anon_mb"), Metric(result, "rss_anon_mb") - 2);
      EXPECT_GE(Metric(result, "engine_peak_anon_mb"), 0);
      EXPECT_LE(Metric(result, "engine_peak_anon_mb"), Metric(result, "peak_anon_mb"));
    }
    const double ops = Metric(result, "ops");
    if (workload == "readrandom" || workload == "seekrandom" || workload == "readwhilewriting") {
      EXPECT_EQ(ops, 2000);
      EXPECT_EQ(Metric(result, "found"), ops);  // every key read is there
    } else if (workload == "fillsync1" || workload == "fillsync8") {
      EXPECT_EQ(ops, 64);
    } else {
      EXPECT_EQ(ops, 20000);
    }
    if (workload == "readseq") {
      EXPECT_EQ(Metric(result, "found"), 20000);
    }
    if (workload == "recover") {
      EXPECT_GT(Metric(result, "recover_ms"), 0);
    } else {
      EXPECT_GT(Metric(result, "p99_us"), 0);
      EXPECT_GE(Metric(result, "p99_us"), Metric(result, "p50_us"));
    }
    if (workload == "fillrandom" || workload == "overwrite") {
      EXPECT_GT(Metric(result, "write_amp"), 0);
      EXPECT_GT(Metric(result, "space_amp"), 0);
    }
    if (workload == "readwhilewriting") {
      EXPECT_GT(Metric(result, "writer_ops_per_sec"), 0);
    }
    if (engine == "kiln" && workload == "overwrite") {
      EXPECT_GT(Metric(result, "kiln.phase_write_amp"), 0);
    }
  }
  EXPECT_EQ(seen.size(), kWorkloads.size() * kEngines.size());
}

TEST(KvbenchTest, SimulationReportRunsAndParses) {
  const std::string json_path = TmpDir() + "/sim.json";
  const Output output = RunKvbench("--mode=sim --sim_seconds=0.5 --sim_num=2000 --json=" +
                                   json_path + " --db_dir=" + TmpDir() + "/simdb");
  ASSERT_EQ(output.exit_code, 0) << output.stdout_text;
  EXPECT_NE(output.stdout_text.find("Simulation speed"), std::string::npos);
  const JsonValue json = ReadJson(json_path);
  const JsonValue* simulation = json.Find("simulation");
  ASSERT_NE(simulation, nullptr);
  std::set<std::string> seen;
  for (const JsonValue& entry : simulation->array) {
    const std::string name = entry.Find("workload")->string;
    SCOPED_TRACE(name);
    seen.insert(name);
    EXPECT_EQ(entry.Find("error")->string, "");
    const JsonValue* metrics = entry.Find("metrics");
    ASSERT_NE(metrics, nullptr);
    if (name == "fibers") {
      EXPECT_GT(metrics->Find("fiber_switch_ns")->number, 0);
    }
    if (name.rfind("campaign-", 0) == 0) {
      EXPECT_GE(metrics->Find("seeds")->number, 1);
      EXPECT_EQ(metrics->Find("failures")->number, 0);
      EXPECT_GT(metrics->Find("sim_to_wall")->number, 0);
    }
    if (name == "env-sim" || name == "env-real") {
      EXPECT_GT(metrics->Find("fillrandom_ops_per_sec")->number, 0);
      EXPECT_GT(metrics->Find("readrandom_ops_per_sec")->number, 0);
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"fibers", "campaign-engine", "campaign-selftest",
                                         "env-sim", "env-real"}));
}

TEST(KvbenchTest, BadFlagsAreUsageErrors) {
  EXPECT_EQ(RunKvbench("--nope=1").exit_code, 2);
  EXPECT_EQ(RunKvbench("--benchmarks=nosuch").exit_code, 2);
  EXPECT_EQ(RunKvbench("--engines=sqlite").exit_code, 2);
  EXPECT_EQ(RunKvbench("--num=0").exit_code, 2);
}

}  // namespace
}  // namespace kiln::kvbench
