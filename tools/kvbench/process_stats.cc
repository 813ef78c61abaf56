#include "tools/kvbench/process_stats.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace kiln::kvbench {

uint64_t ProcessBytesWritten() {
  std::FILE* file = std::fopen("/proc/self/io", "r");
  if (file == nullptr) return 0;
  uint64_t bytes = 0;
  char line[256];
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    unsigned long long value = 0;
    if (std::sscanf(line, "wchar: %llu", &value) == 1) {
      bytes = value;
      break;
    }
  }
  std::fclose(file);
  return bytes;
}

std::optional<ThreadCpuTimes> CurrentThreadCpuTimes() {
  std::FILE* file = std::fopen("/proc/thread-self/schedstat", "r");
  if (file == nullptr) return std::nullopt;
  unsigned long long running = 0;
  unsigned long long waiting = 0;
  const int fields = std::fscanf(file, "%llu %llu", &running, &waiting);
  std::fclose(file);
  if (fields != 2) return std::nullopt;
  return ThreadCpuTimes{.running_ns = running, .waiting_ns = waiting};
}

ResidentBytes ProcessResidentBytes() {
  ResidentBytes resident;
  std::FILE* file = std::fopen("/proc/self/status", "r");
  if (file == nullptr) return resident;
  char line[256];
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    unsigned long long kib = 0;
    if (std::sscanf(line, "RssAnon: %llu kB", &kib) == 1) resident.anon = kib * 1024;
    if (std::sscanf(line, "RssFile: %llu kB", &kib) == 1) resident.file = kib * 1024;
  }
  std::fclose(file);
  return resident;
}

AnonPeakSampler::AnonPeakSampler() : peak_(ProcessResidentBytes().anon) {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(kIntervalMs), [this] { return stop_; })) {
      lock.unlock();
      const uint64_t anon = ProcessResidentBytes().anon;
      lock.lock();
      peak_ = std::max(peak_, anon);
    }
  });
}

AnonPeakSampler::~AnonPeakSampler() { Stop(); }

uint64_t AnonPeakSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const uint64_t anon = ProcessResidentBytes().anon;
  std::lock_guard<std::mutex> lock(mutex_);
  peak_ = std::max(peak_, anon);
  return peak_;
}

uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code error;
  uint64_t bytes = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const uintmax_t size = it->file_size(size_error);
      if (!size_error) bytes += size;
    }
  }
  return bytes;
}

}  // namespace kiln::kvbench
