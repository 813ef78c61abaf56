// Options for opening a database, for buckets, and for each read and write.
// Every field has a default; set fields with designated initialisers:
//   kiln::Options{.create_if_missing = true, .durability = Durability::kSyncData}
#ifndef KILN_OPTIONS_H_
#define KILN_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

struct Env;
class Snapshot;

// How far a write goes before Write returns, weakest first.
enum class Durability : uint8_t {
  kBuffered = 0,  // in the WAL's buffer in this process; lost if the process dies
  kFlush = 1,     // handed to the OS; survives a process crash, not a power loss
  kSyncData = 2,  // fdatasync'd; survives a power loss
  kSyncAll = 3,   // fsync'd (data and metadata); survives a power loss
};

enum class Compression : uint8_t { kNone = 0, kLz4 = 1 };

// Limits. Exceeding one is InvalidArgument, never a crash.
inline constexpr size_t kMaxKeyBytes = size_t{64} << 10;
inline constexpr size_t kMaxValueBytes = size_t{16} << 20;
inline constexpr size_t kMaxBatchBytes = size_t{48} << 20;
inline constexpr size_t kMaxBatchEntries = size_t{1} << 20;
inline constexpr size_t kMaxBucketNameBytes = 255;
inline constexpr size_t kMaxBuckets = 1024;
inline constexpr int kNumLevels = 7;
inline constexpr uint64_t kMaxWalReserveBytes = uint64_t{64} << 20;

// Per-bucket options (a bucket is an independent keyspace, a column family).
struct BucketOptions {
  size_t block_size_bytes = 4096;
  int block_restart_interval = 16;
  int bloom_bits_per_key = 10;  // 0: no filter
  // > 0: the filter also holds each key's first prefix_length bytes, so a
  // prefix scan can skip tables that hold no key with that prefix.
  size_t prefix_length = 0;
  Compression compression = Compression::kLz4;
};

struct Options {
  // Null: RealEnv(). Not owned; must outlive the database.
  const Env* env = nullptr;
  bool create_if_missing = false;
  bool error_if_exists = false;
  // No lock, no writes; the WAL is replayed in memory.
  bool read_only = false;
  // The floor for every write; WriteOptions may only strengthen it.
  Durability durability = Durability::kSyncAll;
  // Append WAL records through a shared map of space reserved this many
  // bytes at a time (File::MapAppends), so a kFlush write hands its record
  // to the OS with a copy instead of a write system call, with the same
  // durability. After a crash a WAL not yet synced may then end in up to
  // this many zero bytes, which recovery reads as its torn tail; closing a
  // WAL trims them, and syncs the trim if the WAL was synced. 0: one write
  // system call per record. Filesystems without such appends (the
  // simulator's faultfs has them) write as usual. At most kMaxWalReserveBytes.
  uint64_t wal_reserve_bytes = uint64_t{1} << 20;

  // Memory for memtables not yet written to tables: the active memtable
  // (all buckets together) retires at half of this, and a full one waits for
  // a flush while the retired ones would push the total past it. Writes may
  // overshoot by one commit group (<= 1 MiB) plus arena blocks; memtables a
  // live iterator still reads are not counted.
  size_t memtable_budget_bytes = size_t{64} << 20;
  // A bloom filter over each memtable's point keys (one bit per 16 bytes of
  // memtable_budget_bytes / 2, built once the memtable holds 1 MiB), so a Get
  // of a key the memtable lacks skips its skiplist search. Counted in the
  // memtable's memory.
  bool memtable_filter = true;
  size_t block_cache_bytes = size_t{64} << 20;
  // Open tables kept by the table cache.
  size_t max_open_tables = 1000;
  // Read table data blocks from a read-only memory map of each open table
  // (as LevelDB does on 64-bit hosts) instead of copying them out with
  // pread: no system call or copy per block, and such blocks skip the block
  // cache (the page cache holds them; their pages show in the process's RSS
  // as file-backed, reclaimable memory). The cost: a media error while
  // reading a mapped page kills the process with SIGBUS instead of failing
  // the read. Filesystems without maps (the simulator's) read as usual.
  // A mapped block's checksum is checked on its first read in this process
  // and trusted after, as a block-cache hit is; a page the kernel drops and
  // later reads back from the device is not checked again.
  bool map_table_files = false;
  size_t target_file_size_bytes = size_t{64} << 20;

  // Leveled compaction.
  int l0_compaction_trigger = 4;
  int l0_slowdown_trigger = 12;  // writers are delayed
  int l0_stop_trigger = 20;      // writers wait for compaction
  // Read-triggered L0 compaction (LevelDB's seek compaction, for
  // iterators): an iterator seek that has to read a bucket's L0 tables and
  // at least one other table is charged as if it cost compacting this many
  // bytes. Once a bucket's charges reach what compacting its L0 would
  // rewrite (the L0 tables plus the L1 tables they overlap), L0 is compacted
  // below l0_compaction_trigger, so a read-mostly tree stops paying for its
  // L0 tables on every seek. Charges start over whenever the bucket's tables
  // change (a flush or a compaction). 0: never.
  uint64_t l0_seek_compaction_bytes = uint64_t{16} << 10;
  uint64_t level1_target_bytes = uint64_t{256} << 20;
  int level_size_multiplier = 10;

  // Background tasks for flush and compaction; 0: all maintenance is manual
  // (Db::DoMaintenanceStep), for hosts that schedule work themselves.
  int background_tasks = 2;

  // Options of the default bucket.
  BucketOptions default_bucket;
};

struct WriteOptions {
  // Stronger than the database's floor, or unset for the floor.
  std::optional<Durability> durability;
};

struct ReadOptions {
  // Null: the latest committed state.
  const Snapshot* snapshot = nullptr;
  // Iterators only: keys in [lower_bound, upper_bound) that start with prefix.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  std::optional<std::string> prefix;
  bool verify_checksums = true;
  bool fill_cache = true;
};

}  // namespace kiln

#endif  // KILN_OPTIONS_H_
