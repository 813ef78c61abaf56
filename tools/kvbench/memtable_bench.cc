// Measures random inserts into one memtable the size of kvbench's (16 MiB of
// entries: 16-byte keys, 100-byte values, as kvbench writes them, and its
// filter), with the real Env's memory hints (huge-page-backed arena blocks
// where the kernel allows) and without, then a full in-order scan that
// copies every key and value, as a flush does. Prints ns per insert and per
// scanned entry, the median of kRepetitions fresh memtables each,
// alternating the two so drift on a shared host hits both. A tool: it reads
// the wall clock.
//
//   bazel run -c opt //tools/kvbench:memtable_bench [-- VALUE_BYTES]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "env/posix_env.h"
#include "kiln/random.h"
#include "memtable/memtable.h"

namespace kiln::kvbench {
namespace {

constexpr int kRepetitions = 7;
constexpr size_t kMemTableBytes = size_t{16} << 20;
constexpr uint64_t kKeySpace = 1'000'000;
// The filter DbImpl::NewMemTable gives a memtable: a 128th of half the
// budget, which kvbench sets to twice the memtable.
constexpr size_t kFilterBytes = kMemTableBytes / 128;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Timings {
  double insert_ns = 0;  // per insert
  double scan_ns = 0;    // per entry of a full scan that copies keys and values
};

double NsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
}

// Inserts keys into a fresh memtable, then scans it in order copying every
// key and value, as a flush does.
Timings InsertAndScan(const std::vector<std::string>& keys, const std::string& value,
                      const MemoryHints* hints) {
  MemTable table(Random(1), hints, kFilterBytes);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    table.Add(i + 1, ValueType::kValue, keys[i], value);
  }
  Timings timings;
  timings.insert_ns = NsSince(start) / double(keys.size());
  std::string copy;
  uint64_t copied_bytes = 0;
  start = std::chrono::steady_clock::now();
  const std::unique_ptr<InternalIterator> it = table.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    copy.assign(it->key());
    copy.append(it->value());
    copied_bytes += copy.size();
  }
  timings.scan_ns = NsSince(start) / double(table.num_entries());
  if (copied_bytes == 0) std::abort();  // keeps the copies
  return timings;
}

int Main(int argc, char** argv) {
  const long value_bytes = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100;
  if (value_bytes < 0 || value_bytes > (1 << 20)) {
    std::fprintf(stderr, "usage: memtable_bench [VALUE_BYTES (0..1048576)]\n");
    return 2;
  }
  // As many entries as fill the memtable, counting each entry's key, value
  // and about 40 bytes of node and encoding.
  const size_t entries = kMemTableBytes / (16 + size_t(value_bytes) + 40);
  Random random(7);
  std::vector<std::string> keys;
  keys.reserve(entries);
  for (size_t i = 0; i < entries; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "%016llu",
                  static_cast<unsigned long long>(random.Uniform(kKeySpace)));
    keys.emplace_back(key);
  }
  const std::string value(size_t(value_bytes), 'v');
  std::vector<double> hinted_insert, hinted_scan, plain_insert, plain_scan;
  for (int r = 0; r < kRepetitions; ++r) {
    const Timings hinted = InsertAndScan(keys, value, RealEnv().memory_hints);
    hinted_insert.push_back(hinted.insert_ns);
    hinted_scan.push_back(hinted.scan_ns);
    const Timings plain = InsertAndScan(keys, value, nullptr);
    plain_insert.push_back(plain.insert_ns);
    plain_scan.push_back(plain.scan_ns);
  }
  std::printf("memtable, %zu random entries (16 B keys, %ld B values), median of %d:\n", entries,
              value_bytes, kRepetitions);
  std::printf("                                   insert   scan (copying, per entry)\n");
  std::printf("  with memory hints (huge pages):  %6.0f ns  %6.0f ns\n", Median(hinted_insert),
              Median(hinted_scan));
  std::printf("  without hints (4 KiB pages):     %6.0f ns  %6.0f ns\n", Median(plain_insert),
              Median(plain_scan));
  return 0;
}

}  // namespace
}  // namespace kiln::kvbench

int main(int argc, char** argv) { return kiln::kvbench::Main(argc, argv); }
