// The seam. Every I/O, clock reading, sleep, background task, lock and random
// number the engine uses goes through an Env passed in the options. The real
// Env (engine/env/posix_env.h) uses POSIX files, the system clock and OS
// threads; the simulated one (sim/) uses fibers on one OS thread, a simulated
// clock and an in-memory, crash-simulating filesystem (faultfs/). Nothing in
// the engine may know which one it runs on.
//
// "May yield" below means: under simulation this call is a scheduling point at
// which another fiber may run. Hold no invariant across it that another task
// could observe broken, and never call it while holding a lock you would not
// hold across a blocking system call.
#ifndef KILN_ENV_H_
#define KILN_ENV_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kiln/random.h"

namespace kiln {

// ---------------------------------------------------------------------------
// Files

enum class OpenMode : uint8_t {
  kRead,       // existing file, read only
  kReadWrite,  // existing file, read and write
  kCreate,     // create if missing, keep contents; read and write
  kCreateNew,  // create; AlreadyExists if the file exists; read and write
  kTruncate,   // create if missing, truncate to zero bytes; read and write
};

// A read-only image of a whole file, for reads without a copy (tables,
// which never change once written). The bytes stay valid while any holder
// keeps the image.
// Thread-safety: safe to read concurrently.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual std::string_view bytes() const = 0;
};

class File;

// An image of file's first size_bytes made by reading them, for
// filesystems without real maps (the simulator's): the engine's mapped read
// path then runs on them too, with their read faults applied once, when the
// image is made. FailedPrecondition if the file is shorter. May yield.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const MappedFile>> ReadFileImage(File& file,
                                                                              uint64_t size_bytes);

// An open file. Writes are not durable until Sync()/SyncData() returns OK;
// a new file's name is not durable until its directory is synced.
// Thread-safety: one File may be used by one task at a time.
class File {
 public:
  virtual ~File() = default;

  // Reads up to out.size() bytes at offset into out and returns how many were
  // read; fewer only at the end of the file. May yield.
  [[nodiscard]] virtual absl::StatusOr<size_t> Read(uint64_t offset, std::span<char> out) = 0;
  // Writes data at offset, extending the file (with zeros) if needed. May yield.
  [[nodiscard]] virtual absl::Status Write(uint64_t offset, std::string_view data) = 0;
  // Writes data at the current end of the file. May yield.
  [[nodiscard]] virtual absl::Status Append(std::string_view data) = 0;
  // Sets the file's size, dropping or zero-extending bytes. May yield.
  [[nodiscard]] virtual absl::Status Truncate(uint64_t size_bytes) = 0;
  // Makes the file's data and metadata durable (fsync). May yield.
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // Makes the file's data (and size) durable (fdatasync). May yield.
  [[nodiscard]] virtual absl::Status SyncData() = 0;
  // The current size in bytes, including unsynced writes. May yield.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Size() = 0;
  // Releases the handle; later calls fail. Idempotent; the destructor closes.
  [[nodiscard]] virtual absl::Status Close() = 0;

  // An image of the file's first size_bytes bytes, read by address instead
  // of Read (mmap on POSIX). Only for files nobody writes while an image is
  // held. Unimplemented if the filesystem has no such images: callers then
  // use Read. On POSIX a media error under an image surfaces as SIGBUS, not
  // as a Status; that is the price of the zero-copy read. May yield.
  [[nodiscard]] virtual absl::StatusOr<std::shared_ptr<const MappedFile>> Map(
      uint64_t size_bytes) {
    (void)size_bytes;
    return absl::UnimplementedError("Map is not supported by this filesystem");
  }

  // A hint: start writing [offset, offset + size_bytes) back to the device
  // without waiting (sync_file_range on Linux), so a later Sync has less to
  // wait for. Makes nothing durable and promises nothing; filesystems
  // without such a call do nothing. May yield.
  [[nodiscard]] virtual absl::Status StartWriteback(uint64_t offset, uint64_t size_bytes) {
    (void)offset;
    (void)size_bytes;
    return absl::OkStatus();
  }

  // Switches this handle to appends through memory shared with the OS (a
  // shared map of space reserved ahead on POSIX), so an Append is a copy
  // rather than a system call yet reaches the OS exactly as a write does: it
  // survives a process crash, and Sync/SyncData make it durable. For a file
  // that only grows by Append from here on (a log). Space is reserved
  // reserve_bytes at a time, at the first Append past the reservation.
  //
  // The price, which readers of such a file must accept: after a crash (or
  // a process death before Close) the file may read as its appended bytes
  // followed by zeros, up to reserve_bytes past them. Close trims the
  // reservation, and if this handle ever synced, makes the trim durable
  // (with SyncData), so a file synced and then closed never shows zeros.
  //
  // After a successful call only Append, Read, Sync, SyncData, Size (the
  // appended bytes), StartWriteback and Close may be used; Write, Truncate
  // and Map are FailedPrecondition. On failure the handle is unchanged and
  // plain appends go on working. Unimplemented where a filesystem has no
  // such appends. REQUIRES: a writable handle; reserve_bytes > 0. May yield.
  [[nodiscard]] virtual absl::Status MapAppends(uint64_t reserve_bytes) {
    (void)reserve_bytes;
    return absl::UnimplementedError("MapAppends is not supported by this filesystem");
  }

  // Fault-model hook: discards this file's writes that were never made
  // durable, as Linux does with the dirty pages a failed fsync could not
  // write. Filesystems that cannot do this return Unimplemented.
  [[nodiscard]] virtual absl::Status DropUnsyncedData() {
    return absl::UnimplementedError("DropUnsyncedData is not supported by this filesystem");
  }
};

// Held while alive; releasing it (destruction) unlocks the file.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Paths are '/'-separated strings. Every call may yield.
// Thread-safety: all methods are safe to call concurrently.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(std::string_view path,
                                                                       OpenMode mode) = 0;
  // AlreadyExists if the directory exists; NotFound if the parent is missing.
  [[nodiscard]] virtual absl::Status CreateDir(std::string_view path) = 0;
  // REQUIRES: the directory is empty (else FailedPrecondition).
  [[nodiscard]] virtual absl::Status RemoveDir(std::string_view path) = 0;
  // Removes a file's name. NotFound if absent.
  [[nodiscard]] virtual absl::Status RemoveFile(std::string_view path) = 0;
  // Atomically renames a file, replacing target if it exists.
  [[nodiscard]] virtual absl::Status Rename(std::string_view source, std::string_view target) = 0;
  // Makes the directory's entry operations (create, rename, remove) durable.
  [[nodiscard]] virtual absl::Status SyncDir(std::string_view path) = 0;
  // The names (not paths) in a directory, sorted bytewise.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ListDir(std::string_view path) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> FileSize(std::string_view path) = 0;
  // Whether a file or directory exists at path.
  [[nodiscard]] virtual absl::StatusOr<bool> Exists(std::string_view path) = 0;
  // Takes an exclusive lock on path (creating the file if missing). Busy if
  // another holder, in this process or another, has it.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      std::string_view path) = 0;
};

// ---------------------------------------------------------------------------
// Time

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since an arbitrary origin; never decreases.
  virtual uint64_t MonotonicNs() = 0;
  // Nanoseconds since the Unix epoch.
  virtual uint64_t WallNs() = 0;
  // Blocks the calling task for duration_ns. May yield.
  virtual void SleepNs(uint64_t duration_ns) = 0;
};

// ---------------------------------------------------------------------------
// Tasks and locks

class Mutex {
 public:
  virtual ~Mutex() = default;
  // May yield.
  virtual void Lock() = 0;
  virtual void Unlock() = 0;
  // Aborts if the calling task does not hold the mutex (where it can tell).
  virtual void AssertHeld() = 0;
};

// A condition variable bound to one Mutex at creation.
class CondVar {
 public:
  virtual ~CondVar() = default;
  // REQUIRES: the bound mutex is held; it is released while waiting and held
  // again on return. Spurious wake-ups are allowed. May yield.
  virtual void Wait() = 0;
  // As Wait, but gives up after timeout_ns; returns false on timeout.
  virtual bool WaitForNs(uint64_t timeout_ns) = 0;
  virtual void Signal() = 0;
  virtual void SignalAll() = 0;
};

// A background task. The destructor joins it.
class Task {
 public:
  virtual ~Task() = default;
  // Waits until the task's body has returned. May yield.
  virtual void Join() = 0;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::unique_ptr<Mutex> NewMutex() = 0;
  virtual std::unique_ptr<CondVar> NewCondVar(Mutex& mutex) = 0;
  // Starts body as a background task; name appears in traces and reports.
  virtual std::unique_ptr<Task> Spawn(std::string_view name, std::function<void()> body) = 0;
  // Lets other tasks run. May yield.
  virtual void Yield() = 0;
};

// Holds a Mutex for its scope.
class MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) : mutex_(mutex) { mutex_.Lock(); }
  ~MutexLock() { mutex_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// ---------------------------------------------------------------------------
// The bundle. Non-owning: whoever builds an Env keeps its parts alive longer
// than every database opened with it.
// Hints about memory the engine allocates. They change no result, only
// speed, so a simulated Env needs none.
class MemoryHints {
 public:
  virtual ~MemoryHints() = default;
  // [begin, begin + bytes) is read at random for a long time (a memtable's
  // block): back it with huge pages if the host can. Failure is ignored.
  virtual void PreferHugePages(void* begin, size_t bytes) const = 0;
};

struct Env {
  FileSystem* file_system = nullptr;
  Clock* clock = nullptr;
  Scheduler* scheduler = nullptr;
  // Null: no hints.
  const MemoryHints* memory_hints = nullptr;
  // Every random stream the engine uses derives from this seed.
  uint64_t random_seed = 0;

  // An independent, deterministic stream named `stream` (e.g. "skiplist").
  Random NewRandom(std::string_view stream) const;
};

// The process-wide real Env: POSIX files, the system clock, OS threads.
// Defined in engine/env/posix_env.cc.
const Env& RealEnv();

}  // namespace kiln

#endif  // KILN_ENV_H_
