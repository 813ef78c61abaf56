// Measures random inserts into one memtable the size of kvbench's (16 MiB of
// entries: 16-byte keys, 100-byte values, as kvbench writes them), with the
// real Env's memory hints (huge-page-backed arena blocks where the kernel
// allows) and without. Prints ns per insert, the median of kRepetitions
// fresh memtables each, alternating the two so drift on a shared host hits
// both. A tool: it reads the wall clock.
//
//   bazel run -c opt //tools/kvbench:memtable_bench [-- VALUE_BYTES]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// ns per insert of keys into a fresh memtable.
double InsertNs(const std::vector<std::string>& keys, const std::string& value,
                const MemoryHints* hints) {
  MemTable table(Random(1), hints);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    table.Add(i + 1, ValueType::kValue, keys[i], value);
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  return ns / double(keys.size());
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
  std::vector<double> hinted;
  std::vector<double> plain;
  for (int r = 0; r < kRepetitions; ++r) {
    hinted.push_back(InsertNs(keys, value, RealEnv().memory_hints));
    plain.push_back(InsertNs(keys, value, nullptr));
  }
  std::printf("memtable random insert, %zu entries (16 B keys, %ld B values), median of %d:\n",
              entries, value_bytes, kRepetitions);
  std::printf("  with memory hints (huge pages):  %6.0f ns\n", Median(hinted));
  std::printf("  without hints (4 KiB pages):     %6.0f ns\n", Median(plain));
  return 0;
}

}  // namespace
}  // namespace kiln::kvbench

int main(int argc, char** argv) { return kiln::kvbench::Main(argc, argv); }
