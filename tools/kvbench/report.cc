#include "tools/kvbench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "tools/kvbench/json.h"
#include "tools/kvbench/keys.h"

namespace kiln::kvbench {
namespace {

// DESIGN.md "Performance targets".
constexpr double kFastTargetRatio = 1.5;
constexpr double kBaseTargetRatio = 1.0;
constexpr double kGroupCommitTargetRatio = 4.0;
constexpr double kWriteAmpTarget = 10.0;
constexpr double kStallTargetMs = 100.0;
constexpr double kMemoryHeadroom = 1.2;

bool IsFastTarget(const std::string& workload) {
  return workload == "fillrandom" || workload == "overwrite" || workload == "readrandom" ||
         workload == "seekrandom";
}

std::string Number(std::optional<double> value, const char* format) {
  if (!value.has_value() || !std::isfinite(*value)) return "-";
  char text[64];
  std::snprintf(text, sizeof(text), format, *value);
  return text;
}

// 1234567.8 -> "1,234,568".
std::string Grouped(std::optional<double> value) {
  if (!value.has_value() || !std::isfinite(*value)) return "-";
  std::string digits = std::to_string(static_cast<uint64_t>(std::llround(*value)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

// What a workload's row adds beyond the common columns.
std::string NoteFor(const Measurement& m) {
  std::string note;
  auto add = [&](const std::string& text) {
    if (!note.empty()) note += ", ";
    note += text;
  };
  if (std::optional<double> ms = m.Get("recover_ms")) {
    add("open " + Number(ms, "%.0f") + " ms for " + Number(m.Get("wal_mb"), "%.0f") + " MB WAL");
  }
  if (std::optional<double> peak = m.Get("peak_rss_mb")) {
    add("peak RSS " + Number(peak, "%.0f") + " MB");
  }
  if (std::optional<double> anon = m.Get("rss_anon_mb")) {
    add("end RSS " + Number(anon, "%.0f") + " anon + " + Number(m.Get("rss_file_mb"), "%.0f") +
        " file MB");
  }
  // Every sync write waits 100 us or more: there the share says nothing.
  const bool syncs = m.workload.rfind("fillsync", 0) == 0;
  if (std::optional<double> slow = m.Get("slow_time_pct");
      !syncs && slow.has_value() && *slow >= 1) {
    add(Number(slow, "%.0f") + "% of time in ops >= 100 us");
  }
  if (std::optional<double> wait = m.Get("core_wait_pct"); wait.has_value() && *wait >= 1) {
    add(Number(wait, "%.0f") + "% waiting for a core");
  }
  if (std::optional<double> writer = m.Get("writer_ops_per_sec")) {
    add("writer " + Grouped(writer) + " ops/s");
  }
  if (std::optional<double> amp = m.Get(m.engine + ".phase_write_amp")) {
    add("engine w-amp " + Number(amp, "%.2f"));
  }
  if (std::optional<double> stalls = m.Get(m.engine + ".stalls"); stalls.has_value() && *stalls > 0) {
    add("stalls " + Number(stalls, "%.0f") + " (" +
        Number(m.Get(m.engine + ".stall_time_ms"), "%.0f") + " ms)");
  }
  if (!m.error.empty()) add("ERROR: " + m.error);
  return note;
}

}  // namespace

std::optional<Measurement> MedianFor(const ReportInput& input, const std::string& workload,
                                     const std::string& engine) {
  auto it = input.runs.find({workload, engine});
  if (it == input.runs.end() || it->second.empty()) return std::nullopt;
  return MedianOf(it->second);
}

std::optional<double> RatioToBestPeer(const ReportInput& input, const std::string& workload,
                                      const std::string& engine) {
  std::optional<Measurement> mine = MedianFor(input, workload, engine);
  if (!mine.has_value() || !mine->error.empty()) return std::nullopt;
  std::optional<double> ops = mine->Get("ops_per_sec");
  std::optional<double> best;
  for (const std::string& peer : input.engines) {
    if (peer == engine) continue;
    std::optional<Measurement> theirs = MedianFor(input, workload, peer);
    if (!theirs.has_value() || !theirs->error.empty()) continue;
    std::optional<double> peer_ops = theirs->Get("ops_per_sec");
    if (peer_ops.has_value() && (!best.has_value() || *peer_ops > *best)) best = peer_ops;
  }
  if (!ops.has_value() || !best.has_value() || *best <= 0) return std::nullopt;
  return *ops / *best;
}

void PrintTables(const ReportInput& input, std::FILE* out) {
  for (const std::string& workload : input.workloads) {
    std::optional<Measurement> any;
    for (const std::string& engine : input.engines) {
      if (!any.has_value()) any = MedianFor(input, workload, engine);
    }
    std::fprintf(out, "\n%s: %s ops, median of %d\n", workload.c_str(),
                 any.has_value() ? Grouped(any->Get("ops")).c_str() : "-", input.repeat);
    std::fprintf(out, "  %-8s %12s %9s %9s %8s %9s %9s %6s %6s %7s  %s\n", "engine", "ops/s",
                 "p50 us", "p99 us", "MB/s", "vs peer", "max ms", "w-amp", "s-amp", "anon MB",
                 "notes");
    for (const std::string& engine : input.engines) {
      std::optional<Measurement> m = MedianFor(input, workload, engine);
      if (!m.has_value()) continue;
      std::optional<double> max_us = m->Get("max_us");
      std::optional<double> max_ms;
      if (max_us.has_value()) max_ms = *max_us / 1e3;
      std::fprintf(out, "  %-8s %12s %9s %9s %8s %9s %9s %6s %6s %7s  %s\n", engine.c_str(),
                   Grouped(m->Get("ops_per_sec")).c_str(), Number(m->Get("p50_us"), "%.2f").c_str(),
                   Number(m->Get("p99_us"), "%.2f").c_str(),
                   Number(m->Get("mb_per_sec"), "%.1f").c_str(),
                   Number(RatioToBestPeer(input, workload, engine), "%.2fx").c_str(),
                   Number(max_ms, "%.1f").c_str(), Number(m->Get("write_amp"), "%.2f").c_str(),
                   Number(m->Get("space_amp"), "%.2f").c_str(),
                   Number(m->Get("peak_anon_mb"), "%.0f").c_str(), NoteFor(*m).c_str());
    }
  }
}

void PrintTargets(const ReportInput& input, std::FILE* out) {
  const std::string kiln = "kiln";
  if (std::find(input.engines.begin(), input.engines.end(), kiln) == input.engines.end()) return;
  std::fprintf(out, "\nTargets (DESIGN.md), Kiln:\n");
  auto line = [&](const std::string& what, const std::string& value, std::optional<bool> met) {
    std::fprintf(out, "  %-44s %-22s %s\n", what.c_str(), value.c_str(),
                 !met.has_value() ? "n/a" : *met ? "met" : "NOT MET");
  };
  for (const std::string& workload : input.workloads) {
    if (workload == "recover") continue;
    const double target = IsFastTarget(workload) ? kFastTargetRatio : kBaseTargetRatio;
    std::optional<double> ratio = RatioToBestPeer(input, workload, kiln);
    std::optional<bool> met;
    if (ratio.has_value()) met = *ratio >= target;
    line(workload + " >= " + Number(target, "%.1fx") + " best peer", Number(ratio, "%.2fx"), met);
  }
  std::optional<Measurement> one = MedianFor(input, "fillsync1", kiln);
  std::optional<Measurement> eight = MedianFor(input, "fillsync8", kiln);
  if (one.has_value() && eight.has_value() && one->Get("ops_per_sec") && eight->Get("ops_per_sec")) {
    const double ratio = *eight->Get("ops_per_sec") / *one->Get("ops_per_sec");
    line("fillsync8 >= 4x fillsync1", Number(ratio, "%.2fx"), ratio >= kGroupCommitTargetRatio);
  }
  if (std::optional<Measurement> m = MedianFor(input, "overwrite", kiln)) {
    std::optional<double> amp = m->Get("write_amp");
    line("overwrite write amplification <= 10", Number(amp, "%.2f") + " (process bytes)",
         amp.has_value() ? std::optional<bool>(*amp <= kWriteAmpTarget) : std::nullopt);
  }
  double worst_stall_ms = 0;
  std::string worst_stall_workload = "-";
  double worst_anon_mb = 0;
  for (const std::string& workload : input.workloads) {
    std::optional<Measurement> m = MedianFor(input, workload, kiln);
    if (!m.has_value()) continue;
    if (IsWriteWorkload(workload) && m->Get("max_us") && *m->Get("max_us") / 1e3 > worst_stall_ms) {
      worst_stall_ms = *m->Get("max_us") / 1e3;
      worst_stall_workload = workload;
    }
    if (workload != "recover" && m->Get("engine_peak_anon_mb")) {
      worst_anon_mb = std::max(worst_anon_mb, *m->Get("engine_peak_anon_mb"));
    }
  }
  line("longest write (stall) <= 100 ms",
       Number(worst_stall_ms, "%.1f ms") + " (" + worst_stall_workload + ")",
       worst_stall_ms <= kStallTargetMs);
  // Anonymous memory: heap and stacks. Pages of mapped tables are file-backed
  // page cache the kernel reclaims at will, so they are left out; the notes
  // show the total peak RSS.
  const double budget_mb =
      double(KilnMemtableBudgetBytes(input.config.settings) + input.config.settings.cache_bytes) /
      1048576.0;
  line("anon peak <= 1.2 x (memtables + cache)",
       Number(worst_anon_mb, "%.0f MB") + " / " + Number(budget_mb * kMemoryHeadroom, "%.0f MB"),
       worst_anon_mb <= budget_mb * kMemoryHeadroom);
}

std::string ToJson(const ReportInput& input) {
  const WorkloadConfig& c = input.config;
  const EngineSettings& s = c.settings;
  std::string out = "{\n  \"config\": {";
  out += "\"num\": " + JsonNumber(double(c.num)) + ", \"reads\": " + JsonNumber(double(c.reads)) +
         ", \"sync_num\": " + JsonNumber(double(c.sync_num)) +
         ", \"key_bytes\": " + JsonNumber(double(kKeyBytes)) +
         ", \"value_bytes\": " + JsonNumber(double(c.value_bytes)) +
         ", \"threads\": " + JsonNumber(c.threads) + ", \"repeat\": " + JsonNumber(input.repeat) +
         ", \"seed\": " + JsonNumber(double(c.seed)) + "},\n";
  out += "  \"settings\": {\"cache_bytes\": " + JsonNumber(double(s.cache_bytes)) +
         ", \"write_buffer_bytes\": " + JsonNumber(double(s.write_buffer_bytes)) +
         ", \"target_file_size_bytes\": " + JsonNumber(double(s.target_file_size_bytes)) +
         ", \"block_size_bytes\": " + JsonNumber(double(s.block_size_bytes)) +
         ", \"bloom_bits_per_key\": " + JsonNumber(s.bloom_bits_per_key) +
         ", \"compression\": " + JsonString(s.compression ? "lz4" : "none") +
         ", \"verify_checksums\": " + (s.verify_checksums ? "true" : "false") + "},\n";
  out += "  \"notes\": [";
  for (size_t i = 0; i < input.notes.size(); ++i) {
    out += (i == 0 ? "" : ", ") + JsonString(input.notes[i]);
  }
  out += "],\n  \"results\": [";
  bool first = true;
  for (const std::string& workload : input.workloads) {
    for (const std::string& engine : input.engines) {
      auto it = input.runs.find({workload, engine});
      if (it == input.runs.end() || it->second.empty()) continue;
      const Measurement median = MedianOf(it->second);
      out += first ? "\n" : ",\n";
      first = false;
      out += "    {\"workload\": " + JsonString(workload) + ", \"engine\": " + JsonString(engine) +
             ", \"error\": " + JsonString(median.error) + ", \"ratio_to_best_peer\": ";
      std::optional<double> ratio = RatioToBestPeer(input, workload, engine);
      out += ratio.has_value() ? JsonNumber(*ratio) : "null";
      out += ",\n     \"median\": " + JsonMetrics(median.metrics) + ",\n     \"runs\": [";
      for (size_t i = 0; i < it->second.size(); ++i) {
        out += (i == 0 ? "" : ", ") + JsonMetrics(it->second[i].metrics);
      }
      out += "]}";
    }
  }
  out += "\n  ]";
  if (!input.simulation_json.empty()) out += ",\n  \"simulation\": " + input.simulation_json;
  out += "\n}\n";
  return out;
}

}  // namespace kiln::kvbench
