#include "tools/dst/campaign.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

namespace kiln::dst {
namespace {

// A line longer than this from a worker is a protocol error.
constexpr size_t kMaxLineBytes = 1 << 20;

double NowSeconds() {
  using Clock = std::chrono::steady_clock;  // a tool, not engine code: wall time is fine here
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::string buffer;
  // The seed the worker announced and has not reported yet.
  std::optional<uint64_t> running_seed;
  // The next seed of this worker's stripe it has not started.
  uint64_t next_seed = 0;
};

// The child: run every seed of the stripe, one result line per seed.
[[noreturn]] void WorkerMain(const CampaignOptions& options, uint64_t start_seed, int fd) {
  std::unique_ptr<Workload> workload = MakeWorkload(options.workload);
  const uint64_t end = options.first_seed + options.seed_count;
  for (uint64_t seed = start_seed; seed < end; seed += static_cast<uint64_t>(options.jobs)) {
    std::string begin = "B\t" + std::to_string(seed) + "\n";
    if (write(fd, begin.data(), begin.size()) < 0) _exit(3);
    SeedResult result = workload->Run(SeedOptions{.seed = seed});
    std::string line = "R\t" + EncodeResult(result) + "\n";
    size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = write(fd, line.data() + written, line.size() - written);
      if (n <= 0) _exit(3);
      written += static_cast<size_t>(n);
    }
  }
  _exit(0);
}

bool StartWorker(const CampaignOptions& options, uint64_t start_seed, Worker& worker) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(fds[0]);
    WorkerMain(options, start_seed, fds[1]);
  }
  close(fds[1]);
  worker = Worker();
  worker.pid = pid;
  worker.fd = fds[0];
  worker.next_seed = start_seed;
  return true;
}

void Absorb(const SeedResult& result, CampaignSummary& summary) {
  ++summary.seeds_run;
  summary.operations += result.operations;
  summary.crashes += result.crashes;
  summary.steps += result.steps;
  summary.simulated_ns += result.simulated_ns;
  for (const auto& [kind, count] : result.faults_by_kind) summary.faults_by_kind[kind] += count;
  summary.probes_declared.insert(result.probes_declared.begin(), result.probes_declared.end());
  summary.probes_hit.insert(result.probes_hit.begin(), result.probes_hit.end());
  if (!result.passed) summary.failures.push_back(result);
}

std::string DescribeExit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return "worker killed by signal " + std::to_string(WTERMSIG(wait_status)) + " (" +
           strsignal(WTERMSIG(wait_status)) + ")";
  }
  return "worker exited with code " + std::to_string(WEXITSTATUS(wait_status));
}

void ShowProgress(const CampaignOptions& options, const CampaignSummary& summary, double start,
                  bool final_line) {
  if (options.progress == nullptr) return;
  const double elapsed = std::max(NowSeconds() - start, 1e-9);
  const bool tty = isatty(fileno(options.progress)) != 0;
  std::fprintf(options.progress, "%s[dst] %" PRIu64 "/%" PRIu64 " seeds  %.1f seeds/s  failures: %zu%s",
               tty ? "\r" : "", summary.seeds_run, options.seed_count,
               static_cast<double>(summary.seeds_run) / elapsed, summary.failures.size(),
               tty && !final_line ? "" : "\n");
  std::fflush(options.progress);
}

}  // namespace

std::string ReplayCommand(std::string_view workload, uint64_t seed) {
  return "./bazelw run //tools:dst -- replay --workload=" + std::string(workload) +
         " --seed=" + std::to_string(seed);
}

CampaignSummary RunCampaign(const CampaignOptions& options) {
  CampaignSummary summary;
  const double start = NowSeconds();
  const uint64_t end = options.first_seed + options.seed_count;
  const int jobs = std::clamp(options.jobs, 1, kMaxJobs);
  CampaignOptions striped = options;
  striped.jobs = jobs;

  std::vector<Worker> workers;
  for (int k = 0; k < jobs && options.first_seed + static_cast<uint64_t>(k) < end; ++k) {
    Worker worker;
    if (!StartWorker(striped, options.first_seed + static_cast<uint64_t>(k), worker)) {
      std::fprintf(stderr, "dst: cannot start a worker process: %s\n", std::strerror(errno));
      std::exit(2);
    }
    workers.push_back(std::move(worker));
  }

  // Once stopping, the seeds in flight are abandoned: their workers are
  // killed, and neither counted as failures nor replaced.
  auto stopping = [&] { return summary.stopped_by_time || summary.stopped_by_failures; };
  auto stop_all = [&] {
    for (Worker& worker : workers) kill(worker.pid, SIGTERM);
  };
  auto absorb = [&](const SeedResult& result) {
    Absorb(result, summary);
    if (summary.failures.size() == 1 && !result.passed) {
      summary.first_failure_seed = result.seed;
      summary.seeds_to_first_failure = summary.seeds_run;
      summary.seconds_to_first_failure = NowSeconds() - start;
    }
    if (options.stop_after_failures > 0 && !stopping() &&
        summary.failures.size() >= options.stop_after_failures) {
      summary.stopped_by_failures = true;
      stop_all();
    }
  };

  double last_progress = 0;
  while (!workers.empty()) {
    const bool out_of_time =
        options.minutes > 0 && NowSeconds() - start > options.minutes * 60.0;
    if (out_of_time && !stopping()) {
      summary.stopped_by_time = true;
      stop_all();
    }
    std::vector<pollfd> polls;
    for (const Worker& worker : workers) polls.push_back(pollfd{worker.fd, POLLIN, 0});
    poll(polls.data(), polls.size(), 200);

    for (size_t i = 0; i < workers.size();) {
      Worker& worker = workers[i];
      bool eof = false;
      if (polls[i].revents != 0) {
        char chunk[65536];
        const ssize_t n = read(worker.fd, chunk, sizeof(chunk));
        if (n <= 0) {
          eof = true;
        } else {
          worker.buffer.append(chunk, static_cast<size_t>(n));
        }
      }
      size_t newline;
      while ((newline = worker.buffer.find('\n')) != std::string::npos) {
        std::string line = worker.buffer.substr(0, newline);
        worker.buffer.erase(0, newline + 1);
        if (line.starts_with("B\t")) {
          worker.running_seed = std::strtoull(line.c_str() + 2, nullptr, 10);
          worker.next_seed = *worker.running_seed + static_cast<uint64_t>(jobs);
        } else if (line.starts_with("R\t")) {
          SeedResult result;
          if (!DecodeResult(std::string_view(line).substr(2), result)) {
            result.seed = worker.running_seed.value_or(0);
            result.passed = false;
            result.failure = "dst: undecodable result line from worker";
          }
          worker.running_seed.reset();
          absorb(result);
        }
      }
      if (worker.buffer.size() > kMaxLineBytes) eof = true;
      if (!eof) {
        ++i;
        continue;
      }
      close(worker.fd);
      int wait_status = 0;
      waitpid(worker.pid, &wait_status, 0);
      const bool clean_exit = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
      if (worker.running_seed.has_value() && !stopping()) {
        SeedResult died;
        died.seed = *worker.running_seed;
        died.failure = DescribeExit(wait_status) + " while running the seed";
        absorb(died);
      }
      const uint64_t resume = worker.next_seed;
      workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
      if (!clean_exit && !stopping() && resume < end) {
        Worker replacement;
        if (StartWorker(striped, resume, replacement)) workers.push_back(std::move(replacement));
      }
    }
    if (NowSeconds() - last_progress > 0.5) {
      ShowProgress(options, summary, start, /*final_line=*/false);
      last_progress = NowSeconds();
    }
  }
  ShowProgress(options, summary, start, /*final_line=*/true);
  summary.wall_seconds = NowSeconds() - start;
  std::sort(summary.failures.begin(), summary.failures.end(),
            [](const SeedResult& a, const SeedResult& b) { return a.seed < b.seed; });
  return summary;
}

void PrintSummary(const CampaignOptions& options, const CampaignSummary& summary, std::FILE* out) {
  const std::string stopped =
      summary.stopped_by_time       ? " (stopped by --minutes)"
      : summary.stopped_by_failures ? " (stopped by --stop_after_failures=" +
                                          std::to_string(options.stop_after_failures) + ")"
                                    : "";
  std::fprintf(out, "dst: workload=%s seeds=%" PRIu64 " (from %" PRIu64 ") jobs=%d%s\n",
               options.workload.c_str(), summary.seeds_run, options.first_seed, options.jobs,
               stopped.c_str());
  const double per_minute_per_core =
      summary.wall_seconds > 0
          ? static_cast<double>(summary.seeds_run) * 60.0 / summary.wall_seconds /
                std::max(options.jobs, 1)
          : 0;
  std::fprintf(out,
               "  operations=%" PRIu64 " crashes=%" PRIu64 " steps=%" PRIu64
               " simulated=%.1fs wall=%.1fs seeds/min/core=%.0f\n",
               summary.operations, summary.crashes, summary.steps,
               static_cast<double>(summary.simulated_ns) / 1e9, summary.wall_seconds,
               per_minute_per_core);
  std::string faults;
  for (const auto& [kind, count] : summary.faults_by_kind) {
    faults += " " + kind + "=" + std::to_string(count);
  }
  std::fprintf(out, "  faults injected:%s\n", faults.empty() ? " none" : faults.c_str());
  std::vector<std::string> never_hit;
  for (const std::string& probe : summary.probes_declared) {
    if (!summary.probes_hit.contains(probe)) never_hit.push_back(probe);
  }
  std::fprintf(out, "  probes: %zu declared, %zu hit, %zu never hit\n",
               summary.probes_declared.size(), summary.probes_hit.size(), never_hit.size());
  for (const std::string& probe : never_hit) std::fprintf(out, "    never hit: %s\n", probe.c_str());
  for (const SeedResult& failure : summary.failures) {
    std::fprintf(out, "  FAIL seed=%" PRIu64 ": %s\n    replay: %s\n", failure.seed,
                 failure.failure.c_str(), ReplayCommand(options.workload, failure.seed).c_str());
  }
  if (!summary.failures.empty()) {
    std::fprintf(out, "  first failure: seed=%" PRIu64 " after seeds=%" PRIu64 " wall=%.1fs\n",
                 summary.first_failure_seed, summary.seeds_to_first_failure,
                 summary.seconds_to_first_failure);
  }
  std::fprintf(out, "dst: %" PRIu64 " seeds, %zu failed\n", summary.seeds_run,
               summary.failures.size());
}

}  // namespace kiln::dst
