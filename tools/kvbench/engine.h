// The engine adapter kvbench drives: one interface over Kiln, LevelDB and
// RocksDB, so every workload runs the same code against each.
//
// Thread-safety: an Engine may be used from many threads at once (all three
// databases allow it); an EngineIterator by one thread at a time.
#ifndef KILN_TOOLS_KVBENCH_ENGINE_H_
#define KILN_TOOLS_KVBENCH_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kiln::kvbench {

// The settings every engine gets, translated into its own options, so that a
// comparison is like for like (engine_settings.cc prints the translation).
struct EngineSettings {
  size_t cache_bytes = size_t{32} << 20;
  size_t write_buffer_bytes = size_t{16} << 20;
  size_t target_file_size_bytes = size_t{16} << 20;
  size_t block_size_bytes = 4096;
  int bloom_bits_per_key = 10;
  // lz4 when every engine has it; LevelDB has only snappy, so kvbench uses
  // none for all (engine_settings.cc).
  bool compression = false;
  // Block checksums verified on every read from the file (Kiln and RocksDB
  // do by default; LevelDB only when asked).
  bool verify_checksums = true;
  // Kiln reads table blocks from memory maps (Options::map_table_files), as
  // LevelDB does by default; RocksDB reads with pread by default.
  bool map_table_files = true;
};

// Kiln's memtable budget for the settings. LevelDB holds up to two memtables
// of write_buffer_size (the active one and one being flushed), RocksDB as
// many as max_write_buffer_number (kvbench sets 2); Kiln's budget covers all
// of its memtables together, so it gets the same total: twice the buffer.
inline size_t KilnMemtableBudgetBytes(const EngineSettings& settings) {
  return 2 * settings.write_buffer_bytes;
}

struct KeyValue {
  std::string_view key;
  std::string_view value;
};

class EngineIterator {
 public:
  virtual ~EngineIterator() = default;
  virtual void SeekToFirst() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid(). Valid until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;

  // sync: durable (fdatasync) before returning; otherwise handed to the OS
  // (the WAL write survives a process crash, not a power loss), the same
  // guarantee for every engine.
  [[nodiscard]] virtual absl::Status Put(std::string_view key, std::string_view value,
                                         bool sync) = 0;
  [[nodiscard]] virtual absl::Status Delete(std::string_view key, bool sync) = 0;
  // All entries atomically, as one batch.
  [[nodiscard]] virtual absl::Status PutBatch(std::span<const KeyValue> entries, bool sync) = 0;
  // Whether key is present; its value goes to *value. An out-parameter, so
  // the caller reuses one buffer and no engine pays (or is spared) an
  // allocation per read that the others are not.
  [[nodiscard]] virtual absl::StatusOr<bool> Get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<EngineIterator> NewIterator() = 0;
  // Flushes nothing extra: releases the database as its own close does.
  [[nodiscard]] virtual absl::Status Close() = 0;
  // Engine-specific counters for the report (may be empty).
  virtual std::map<std::string, double> Stats() { return {}; }
};

// "kiln", "leveldb", "rocksdb".
const std::vector<std::string>& EngineNames();

// Opens (creating if missing) the database of engine name in dir.
// InvalidArgument for an unknown name.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(std::string_view name,
                                                                  const EngineSettings& settings,
                                                                  const std::string& dir);

// One line per engine: how settings map onto its options.
std::vector<std::string> DescribeSettings(const EngineSettings& settings);

// Per-engine openers (one file each).
absl::StatusOr<std::unique_ptr<Engine>> OpenKiln(const EngineSettings& settings,
                                                 const std::string& dir);
absl::StatusOr<std::unique_ptr<Engine>> OpenLevelDb(const EngineSettings& settings,
                                                    const std::string& dir);
absl::StatusOr<std::unique_ptr<Engine>> OpenRocksDb(const EngineSettings& settings,
                                                    const std::string& dir);
std::string DescribeKiln(const EngineSettings& settings);
std::string DescribeLevelDb(const EngineSettings& settings);
std::string DescribeRocksDb(const EngineSettings& settings);

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_ENGINE_H_
