#include "tools/kvbench/child.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace kiln::kvbench {
namespace {

// An encoded measurement is a few KiB; more from a child is a bug.
constexpr size_t kMaxResultBytes = size_t{1} << 20;

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t put = write(fd, data.data() + done, data.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<size_t>(put);
  }
  return true;
}

Measurement Failed(const std::string& engine, const std::string& workload, std::string error) {
  Measurement measurement;
  measurement.engine = engine;
  measurement.workload = workload;
  measurement.error = std::move(error);
  return measurement;
}

}  // namespace

Measurement RunInChild(const std::string& engine, const std::string& workload,
                       const std::function<Measurement()>& run) {
  int fds[2];
  if (pipe(fds) != 0) return Failed(engine, workload, "pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Failed(engine, workload, "fork failed");
  }
  if (pid == 0) {
    close(fds[0]);
    const std::string line = EncodeMeasurement(run()) + "\n";
    std::fflush(nullptr);
    _exit(WriteAll(fds[1], line) ? 0 : 1);
  }
  close(fds[1]);
  std::string output;
  char buffer[4096];
  while (output.size() <= kMaxResultBytes) {
    const ssize_t got = read(fds[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    output.append(buffer, static_cast<size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  struct rusage usage = {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return Failed(engine, workload,
                  "the child died of signal " + std::to_string(WTERMSIG(status)) + " (" +
                      strsignal(WTERMSIG(status)) + ")");
  }
  const size_t newline = output.find('\n');
  std::optional<Measurement> measurement =
      newline == std::string::npos ? std::nullopt
                                   : DecodeMeasurement(std::string_view(output).substr(0, newline));
  if (!measurement.has_value()) {
    return Failed(engine, workload,
                  "the child exited with status " + std::to_string(WEXITSTATUS(status)) +
                      " and no result");
  }
  // ru_maxrss is in KiB on Linux.
  measurement->metrics["peak_rss_mb"] = double(usage.ru_maxrss) / 1024.0;
  return *measurement;
}

}  // namespace kiln::kvbench
