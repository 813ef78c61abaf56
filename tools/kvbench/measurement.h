// One measured run of one workload on one engine, and its wire format
// between the child process that runs it and the parent that reports.
//
// Metrics are a flat name -> number map so that medians, tables and JSON
// treat every metric alike. Names used by the report:
//   ops, found, seconds, ops_per_sec, mb_per_sec, p50_us, p99_us, max_us,
//   write_amp (bytes the process wrote / user bytes), space_amp (database
//   directory bytes / logical bytes), db_mb, peak_rss_mb, recover_ms,
//   slow_time_pct (the share of the summed operation latencies that
//   operations of 100 us or more took), and "<engine>.<stat>" for engine
//   counters (Engine::Stats).
#ifndef KILN_TOOLS_KVBENCH_MEASUREMENT_H_
#define KILN_TOOLS_KVBENCH_MEASUREMENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::kvbench {

struct Measurement {
  std::string engine;
  std::string workload;
  // Empty when the run succeeded.
  std::string error;
  std::map<std::string, double> metrics;

  std::optional<double> Get(std::string_view name) const;
};

// One line, no newline: "engine=E workload=W m.NAME=VALUE ... error=TEXT".
std::string EncodeMeasurement(const Measurement& measurement);
// nullopt if line is not an encoded measurement.
std::optional<Measurement> DecodeMeasurement(std::string_view line);

// Per metric, the median over runs that have it (the upper median for an
// even count); error is the first run's error, if any.
// REQUIRES: !runs.empty(), all of one engine and workload.
Measurement MedianOf(const std::vector<Measurement>& runs);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_MEASUREMENT_H_
