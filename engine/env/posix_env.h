// The real Env: POSIX files, the system clock and OS threads. The files named
// engine/env/posix_* are the only engine files that may touch the OS directly
// (tools/lint enforces it); everything else reaches the OS through an Env.
//
// Embedders normally use RealEnv() (kiln/env.h); these classes are public so
// an embedder can build its own Env, e.g. with a different random seed.
#ifndef KILN_ENV_POSIX_ENV_H_
#define KILN_ENV_POSIX_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/env.h"

namespace kiln {

// Files through POSIX system calls. Every descriptor is opened O_CLOEXEC;
// reads and writes loop over short transfers and EINTR.
//
// Errors name the operation, the path and strerror. Kinds follow errno:
// ENOENT -> NotFound, EEXIST -> AlreadyExists, ENOSPC/EDQUOT -> NoSpace,
// ENOTEMPTY -> FailedPrecondition, anything else -> IOError. Writing through
// a kRead handle, or using a closed handle, is FailedPrecondition.
//
// Append writes at the end offset the handle tracks (learned from fstat at
// open, advanced by its own writes, re-read by fstat after a failure). So a
// handle must be the only writer of its file, which Kiln guarantees: every
// file has one writer. pwrite cannot be combined with O_APPEND on Linux (it
// ignores the offset), so Write and Append share one non-append descriptor.
//
// LockFile takes flock(LOCK_EX | LOCK_NB) on its own descriptor, and also
// records the path in a process-wide set, so a second LockFile of the same
// path in this process is Busy even where flock is emulated with per-process
// fcntl locks (NFS). flock belongs to the open file description, so closing
// the descriptor of a failed attempt never drops the holder's lock.
//
// MapAppends: the handle reserves reserve_bytes (rounded up to pages) at a
// time with posix_fallocate, so the disk can never be found full by a page
// fault (which would be SIGBUS), maps the reserved range MAP_SHARED and
// appends by memcpy into it: the bytes are in the page cache at once, like a
// pwrite's. Size() and Read() see only the appended bytes; a process that
// dies leaves the file with its reserved zeros after them. Close unmaps,
// ftruncates to the appended size and, if the handle ever synced,
// fdatasyncs that size. StartWriteback on such a handle only notes the
// range: the writeback starts when the range is unmapped (at the next
// reservation), since writing back a page still mapped writable costs every
// CPU a TLB flush.
// For the same reason a Sync or SyncData first unmaps every page appended
// to, the last one too if the appends ended mid-page; appends to the rest
// of that page are pwrites, and the map resumes at the next page. A
// SyncData that finds the appends past the blocks already written also
// writes zeros over the next 64 KiB, so ext4 converts those fallocated
// (unwritten) blocks once, not one block per later fdatasync with an inode
// write each (Sync's fsync writes the inode anyway).
//
// DropUnsyncedData keeps File's Unimplemented answer: the kernel owns the page
// cache, and there is no system call that discards one file's dirty pages.
//
// Thread-safety: all methods are safe to call concurrently (FileSystem).
class PosixFileSystem final : public FileSystem {
 public:
  PosixFileSystem() = default;
  PosixFileSystem(const PosixFileSystem&) = delete;
  PosixFileSystem& operator=(const PosixFileSystem&) = delete;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(std::string_view path,
                                                               OpenMode mode) override;
  [[nodiscard]] absl::Status CreateDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveDir(std::string_view path) override;
  [[nodiscard]] absl::Status RemoveFile(std::string_view path) override;
  [[nodiscard]] absl::Status Rename(std::string_view source, std::string_view target) override;
  [[nodiscard]] absl::Status SyncDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDir(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<uint64_t> FileSize(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<bool> Exists(std::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<FileLock>> LockFile(std::string_view path) override;
};

// std::chrono clocks: steady_clock for MonotonicNs, system_clock for WallNs.
// Thread-safety: all methods are safe to call concurrently.
class SystemClock final : public Clock {
 public:
  uint64_t MonotonicNs() override;
  uint64_t WallNs() override;
  // Blocks the calling thread.
  void SleepNs(uint64_t duration_ns) override;
};

// OS threads and locks: Mutex over std::mutex (AssertHeld compares the
// owning thread's id), CondVar over std::condition_variable, one std::thread
// per Spawn. A Task must be joined by one thread (its owner), never by itself.
// Thread-safety: all methods are safe to call concurrently.
class ThreadScheduler final : public Scheduler {
 public:
  std::unique_ptr<Mutex> NewMutex() override;
  // REQUIRES: mutex was made by a ThreadScheduler and outlives the CondVar.
  std::unique_ptr<CondVar> NewCondVar(Mutex& mutex) override;
  std::unique_ptr<Task> Spawn(std::string_view name, std::function<void()> body) override;
  void Yield() override;
};

// madvise(MADV_HUGEPAGE): Linux backs the range with transparent huge pages
// when its policy is "madvise" or "always". Errors (no THP, an unaligned
// range) are ignored: the hint changes nothing but speed.
// Thread-safety: safe to call concurrently.
class PosixMemoryHints final : public MemoryHints {
 public:
  void PreferHugePages(void* begin, size_t bytes) const override;
};

}  // namespace kiln

#endif  // KILN_ENV_POSIX_ENV_H_
