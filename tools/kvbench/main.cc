// kvbench: Kiln, LevelDB and RocksDB on the same workloads in one run.
//
//   kvbench [--benchmarks=fillseq,fillrandom,...] [--engines=kiln,leveldb,rocksdb]
//           [--num=N] [--reads=N] [--sync_num=N] [--value_size=B] [--threads=T]
//           [--repeat=R] [--json=FILE] [--db_dir=DIR] [--cache_mb=M]
//           [--write_buffer_mb=M] [--target_file_mb=M] [--map_table_files=0|1]
//           [--seed=S]
//   kvbench --mode=sim [--sim_seconds=S] [--sim_num=N]     (simulation speed)
//   kvbench --mode=all ...                                  (both)
//
// Every (workload, engine, repeat) runs in its own child process on a fresh
// directory; engines take turns within each repeat so drift hits all alike.
// Tables go to stdout, progress to stderr. Exit: 0 all ran, 1 a run failed,
// 2 usage. A tool: it reads the wall clock and the machine's state.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tools/kvbench/child.h"
#include "tools/kvbench/engine.h"
#include "tools/kvbench/keys.h"
#include "tools/kvbench/report.h"
#include "tools/kvbench/sim_speed.h"
#include "tools/kvbench/workload.h"

namespace kiln::kvbench {
namespace {

constexpr uint64_t kMaxNum = UINT32_MAX;
constexpr uint64_t kDefaultSyncNum = 10'000;
constexpr int kMaxThreads = 256;
constexpr int kMaxRepeat = 100;

int Usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "kvbench: %s\n", problem.c_str());
  std::string workloads;
  for (const std::string& name : WorkloadNames()) workloads += " " + name;
  std::fprintf(stderr,
               "usage: kvbench [--mode=bench|sim|all] [--benchmarks=a,b] [--engines=a,b]\n"
               "               [--num=N] [--reads=N] [--sync_num=N] [--value_size=B]\n"
               "               [--threads=T] [--repeat=R] [--json=FILE] [--db_dir=DIR]\n"
               "               [--cache_mb=M] [--write_buffer_mb=M] [--target_file_mb=M]\n"
               "               [--map_table_files=0|1] [--seed=S] [--sim_seconds=S] [--sim_num=N]\n"
               "workloads:%s\nengines: kiln leveldb rocksdb\n",
               workloads.c_str());
  return 2;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

class Flags {
 public:
  // Parses --name=value arguments; false (with error()) on anything else.
  bool Parse(int argc, char** argv) {
    static const std::set<std::string> kKnown = {
        "mode",     "benchmarks",      "engines",        "num",  "reads",       "sync_num",
        "value_size", "threads",       "repeat",         "json", "db_dir",      "cache_mb",
        "write_buffer_mb", "target_file_mb", "map_table_files", "seed",     "sim_seconds", "sim_num"};
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      const size_t equals = arg.find('=');
      if (arg.substr(0, 2) != "--" || equals == std::string_view::npos) {
        error_ = "bad argument '" + std::string(arg) + "' (want --name=value)";
        return false;
      }
      const std::string name(arg.substr(2, equals - 2));
      if (!kKnown.contains(name)) {
        error_ = "unknown flag --" + name;
        return false;
      }
      values_[name] = std::string(arg.substr(equals + 1));
    }
    return true;
  }
  std::string String(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  bool Has(const std::string& name) const { return values_.contains(name); }
  uint64_t Number(const std::string& name, uint64_t fallback, uint64_t min, uint64_t max) {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    const unsigned long long value = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || it->second[0] == '-' || value < min || value > max) {
      error_ = "--" + name + " wants a whole number in [" + std::to_string(min) + ", " +
               std::to_string(max) + "], got '" + it->second + "'";
      return fallback;
    }
    return value;
  }
  double Real(const std::string& name, double fallback) {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    const double value = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !(value > 0)) {
      error_ = "--" + name + " wants a positive number, got '" + it->second + "'";
      return fallback;
    }
    return value;
  }
  const std::string& error() const { return error_; }

 private:
  std::map<std::string, std::string> values_;
  std::string error_;
};

// The first line of `command`'s output, or "".
std::string FirstLineOf(const char* command) {
  std::FILE* pipe = popen(command, "r");
  if (pipe == nullptr) return "";
  char line[512] = {};
  const bool got = std::fgets(line, sizeof(line), pipe) != nullptr;
  pclose(pipe);
  std::string text = got ? line : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<std::string> MachineNotes(const std::string& db_dir) {
  std::vector<std::string> notes;
  notes.push_back("cpu: " + FirstLineOf("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-") +
                  ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " online");
  notes.push_back("memory: " + FirstLineOf("grep MemTotal /proc/meminfo | tr -s ' '"));
  notes.push_back("load at start: " + FirstLineOf("cut -d' ' -f1-3 /proc/loadavg"));
  const std::string df = "df -hT '" + db_dir + "' | tail -1 | tr -s ' '";
  notes.push_back("db_dir: " + db_dir + " on " + FirstLineOf(df.c_str()));
  return notes;
}

std::string MakeBaseDir(const Flags& flags, bool& created) {
  if (flags.Has("db_dir")) {
    const std::string dir = flags.String("db_dir", "");
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    created = false;
    return dir;
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/kvbench.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  created = true;
  return pattern;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!flags.Parse(argc, argv)) return Usage(flags.error());
  const std::string mode = flags.String("mode", "bench");
  if (mode != "bench" && mode != "sim" && mode != "all") return Usage("--mode is bench, sim or all");

  WorkloadConfig config;
  config.num = flags.Number("num", 1'000'000, 1, kMaxNum);
  config.reads = flags.Number("reads", config.num, 1, kMaxNum);
  config.sync_num = flags.Number("sync_num", std::min(config.num, kDefaultSyncNum), 8, kMaxNum);
  config.value_bytes = flags.Number("value_size", 100, 1, 1 << 20);
  config.threads = static_cast<int>(flags.Number("threads", 1, 1, kMaxThreads));
  config.seed = flags.Number("seed", 301, 0, UINT32_MAX);
  config.settings.cache_bytes = flags.Number("cache_mb", 32, 1, 1 << 16) << 20;
  config.settings.write_buffer_bytes = flags.Number("write_buffer_mb", 16, 1, 1 << 12) << 20;
  config.settings.target_file_size_bytes = flags.Number("target_file_mb", 16, 1, 1 << 12) << 20;
  config.settings.map_table_files = flags.Number("map_table_files", 1, 0, 1) == 1;
  const int repeat = static_cast<int>(flags.Number("repeat", 1, 1, kMaxRepeat));
  SimSpeedOptions sim;
  sim.campaign_seconds = flags.Real("sim_seconds", 20);
  sim.env_num = flags.Number("sim_num", 200'000, 1, kMaxNum);
  sim.value_bytes = config.value_bytes;
  sim.settings = config.settings;
  const std::vector<std::string> workloads =
      SplitCommas(flags.String("benchmarks", [] {
        std::string all;
        for (const std::string& name : WorkloadNames()) all += name + ",";
        return all;
      }()));
  const std::vector<std::string> engines = SplitCommas(flags.String("engines", "kiln,leveldb,rocksdb"));
  if (!flags.error().empty()) return Usage(flags.error());
  for (const std::string& workload : workloads) {
    if (!IsWorkload(workload)) return Usage("unknown workload '" + workload + "'");
  }
  for (const std::string& engine : engines) {
    const std::vector<std::string>& names = EngineNames();
    if (std::find(names.begin(), names.end(), engine) == names.end()) {
      return Usage("unknown engine '" + engine + "'");
    }
  }
  if (mode != "sim" && (workloads.empty() || engines.empty())) {
    return Usage("no workloads or no engines");
  }

  bool created_base = false;
  const std::string base = MakeBaseDir(flags, created_base);
  if (base.empty()) return Usage("cannot make a directory for the databases");
  sim.db_dir = base;

  ReportInput report;
  report.config = config;
  report.repeat = repeat;
  report.workloads = workloads;
  report.engines = engines;
  report.notes = MachineNotes(base);
  for (const std::string& line : DescribeSettings(config.settings)) report.notes.push_back(line);
  report.notes.push_back(
      "compression: none for every engine (LevelDB has snappy but no lz4; Kiln has lz4 only)");

  std::printf("kvbench: %llu keys of %zu B + values of %zu B, %llu reads, %llu sync writes, "
              "%d thread(s), median of %d\n",
              static_cast<unsigned long long>(config.num), kKeyBytes, config.value_bytes,
              static_cast<unsigned long long>(config.reads),
              static_cast<unsigned long long>(config.sync_num), config.threads, repeat);
  for (const std::string& note : report.notes) std::printf("  %s\n", note.c_str());
  std::fflush(stdout);

  bool failed = false;
  if (mode != "sim") {
    const size_t total = size_t(repeat) * workloads.size() * engines.size();
    size_t index = 0;
    for (int r = 0; r < repeat; ++r) {
      for (const std::string& workload : workloads) {
        for (const std::string& engine : engines) {
          ++index;
          const std::string dir = base + "/" + engine + "-" + workload;
          std::error_code ignored;
          std::filesystem::remove_all(dir, ignored);
          WorkloadConfig run_config = config;
          run_config.progress_label = "[" + std::to_string(index) + "/" + std::to_string(total) +
                                      "] " + engine + " " + workload;
          const Measurement m = RunInChild(
              engine, workload, [&] { return RunWorkload(engine, workload, run_config, dir); });
          std::filesystem::remove_all(dir, ignored);
          if (!m.error.empty()) failed = true;
          std::fprintf(stderr, "%s: %.0f ops/s%s%s\n", run_config.progress_label.c_str(),
                       m.Get("ops_per_sec").value_or(0), m.error.empty() ? "" : "  ERROR: ",
                       m.error.c_str());
          report.runs[{workload, engine}].push_back(m);
        }
      }
    }
    PrintTables(report, stdout);
    PrintTargets(report, stdout);
  }
  std::vector<Measurement> sim_results;
  if (mode != "bench") {
    std::fprintf(stderr, "kvbench: simulation speed (%.0f s per campaign)...\n",
                 sim.campaign_seconds);
    sim_results = RunSimSpeed(sim);
    for (const Measurement& m : sim_results) failed = failed || !m.error.empty();
    PrintSimSpeed(sim_results, stdout);
  }
  if (created_base) {
    std::error_code ignored;
    std::filesystem::remove_all(base, ignored);
  }
  if (flags.Has("json")) {
    if (!sim_results.empty()) report.simulation_json = SimSpeedJson(sim_results);
    std::ofstream out(flags.String("json", ""));
    out << ToJson(report);
    if (!out) {
      std::fprintf(stderr, "kvbench: cannot write %s\n", flags.String("json", "").c_str());
      return 1;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace kiln::kvbench

int main(int argc, char** argv) { return kiln::kvbench::Main(argc, argv); }
