// Kiln: an embedded, MVCC, log-structured key-value database.
//
//   auto db = kiln::Db::Open(kiln::Options{.create_if_missing = true}, "/path/db");
//   if (!db.ok()) ...;
//   (*db)->Put("key", "value");
//   auto value = (*db)->Get("key");   // StatusOr<std::optional<std::string>>
//
// Every I/O, lock, clock reading and background task goes through
// Options::env (the real one by default; a simulated one under test).
// Thread-safety: a Db and its Buckets may be used from many tasks at once.
#ifndef KILN_DB_H_
#define KILN_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kiln/iterator.h"
#include "kiln/options.h"
#include "kiln/write_batch.h"

namespace kiln {

class DbImpl;

struct CommitInfo {
  // The batch's commit sequence (its last entry's): snapshots at >= it see
  // the whole batch, snapshots below it none of it.
  uint64_t sequence = 0;
};

// A consistent read view. Release by destroying it; must not outlive its Db.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  virtual uint64_t sequence() const = 0;
};

struct Stats {
  uint64_t bytes_written = 0;  // user bytes accepted by writes
  uint64_t bytes_read = 0;     // user bytes returned by reads
  uint64_t wal_bytes_written = 0;
  uint64_t wal_syncs = 0;
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t table_bytes_written = 0;  // by flushes and compactions
  // Writers slowed or stopped by L0 depth, or waiting for a memtable flush.
  uint64_t stalls = 0;
  uint64_t stall_time_ns = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  // Tables a prefix scan did not read because their prefix filter excludes
  // the prefix (BucketOptions::prefix_length).
  uint64_t tables_skipped_by_prefix = 0;
  std::vector<uint64_t> tables_per_level;  // default bucket, kNumLevels entries
  std::vector<uint64_t> bytes_per_level;
  // (wal + table bytes written) / user bytes written.
  double write_amplification = 0;
};

// A named keyspace with its own options and LSM tree. Owned by the Db.
class Bucket {
 public:
  virtual ~Bucket() = default;
  virtual std::string_view name() const = 0;
  virtual uint32_t id() const = 0;
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> Put(std::string_view key, std::string_view value,
                                                       const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key, const ReadOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> Delete(std::string_view key,
                                                          const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> DeleteRange(
      std::string_view begin, std::string_view end, const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options = {}) = 0;
};

class Db {
 public:
  // Opens (or with create_if_missing creates) the database at path.
  // Corruption names the damaged file and offset; Busy if another writer
  // holds the directory.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Db>> Open(const Options& options,
                                                                std::string_view path);
  // Closes if not yet closed (errors are lost: call Close to see them).
  virtual ~Db() = default;

  // The default bucket's operations.
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> Put(std::string_view key, std::string_view value,
                                                       const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key, const ReadOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> Delete(std::string_view key,
                                                          const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> DeleteRange(
      std::string_view begin, std::string_view end, const WriteOptions& options = {}) = 0;
  [[nodiscard]] virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options = {}) = 0;

  // Atomic across buckets.
  [[nodiscard]] virtual absl::StatusOr<CommitInfo> Write(const WriteBatch& batch,
                                                         const WriteOptions& options = {}) = 0;

  // The bucket named name, created with options if missing. The pointer
  // stays valid until the Db is destroyed.
  [[nodiscard]] virtual absl::StatusOr<Bucket*> GetOrCreateBucket(std::string_view name,
                                                                  const BucketOptions& options = {}) = 0;
  virtual Bucket* DefaultBucket() = 0;

  virtual std::unique_ptr<Snapshot> GetSnapshot() = 0;

  // Every write acknowledged before the call is durable at level durability
  // when it returns.
  [[nodiscard]] virtual absl::Status Persist(Durability durability) = 0;
  // Writes committed before the call are in tables when it returns, and
  // durable: the tables and the manifest naming them are synced.
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Compacts every level's files overlapping [begin, end) of the default
  // bucket (nullopt: unbounded) down to the bottom.
  [[nodiscard]] virtual absl::Status CompactRange(std::optional<std::string_view> begin,
                                                  std::optional<std::string_view> end) = 0;
  // With background_tasks == 0: one bounded step of flush or compaction
  // work. Returns whether any work was done.
  [[nodiscard]] virtual absl::StatusOr<bool> DoMaintenanceStep() = 0;

  virtual Stats GetStats() = 0;
  // Structural invariants (levels sorted and non-overlapping, manifest vs
  // files, reference counts); Corruption or Internal describing the first
  // broken one. Cheap enough to call after every simulated step.
  [[nodiscard]] virtual absl::Status CheckInvariants() = 0;

  // Waits for background work, syncs per the durability floor, releases the
  // lock. Idempotent. Later calls on the Db fail with FailedPrecondition.
  [[nodiscard]] virtual absl::Status Close() = 0;
};

}  // namespace kiln

#endif  // KILN_DB_H_
