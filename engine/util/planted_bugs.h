// Planted bugs: realistic mistakes compiled into the engine only when a build
// asks for one, so that tools/bugcheck can measure whether the simulation
// suites catch them (issue 4, "Planted bugs").
//
//   ./bazelw build -c opt --define=kiln_bug=wal_unsynced_ack //tools:dst
//
// .bazelrc sets --define=kiln_bug=none; //engine:planted_bug_name writes the
// Make variable into util/planted_bug_name.h as KILN_PLANTED_BUG_NAME, so only
// the files that include this header recompile for another bug. A site reads
//
//   if constexpr (KILN_PLANTED_BUG(wal_unsynced_ack)) {
//     // PLANTED BUG wal_unsynced_ack: <what goes wrong>
//     ...the mistake...
//   }
//
// so a normal build discards every mistake at compile time (the code is still
// type-checked, so it cannot rot), and `grep -rn "PLANTED BUG" engine/` lists
// every site. Naming a bug that is not in kPlantedBugNames, at a site or in
// --define, fails the build.
#ifndef KILN_UTIL_PLANTED_BUGS_H_
#define KILN_UTIL_PLANTED_BUGS_H_

#include <string_view>

// Builds outside Bazel (fuzz/oss-fuzz/build.sh) have no generated header:
// they get no planted bug unless they pass -DKILN_PLANTED_BUG_NAME=name.
#ifndef KILN_PLANTED_BUG_NAME
#if __has_include("util/planted_bug_name.h")
#include "util/planted_bug_name.h"
#else
#define KILN_PLANTED_BUG_NAME none
#endif
#endif

#define KILN_PLANTED_BUG_STRINGIFY_INNER(x) #x
#define KILN_PLANTED_BUG_STRINGIFY(x) KILN_PLANTED_BUG_STRINGIFY_INNER(x)

namespace kiln {

struct PlantedBug {
  std::string_view name;
  // One line: the mistake and the contract it breaks.
  std::string_view description;
};

// Every bug a build may plant. tools/bugcheck/bugcheck.sh checks each of them.
inline constexpr PlantedBug kPlantedBugNames[] = {
    {"wal_unsynced_ack",
     "a write's durability replaces the database's floor instead of strengthening it: under a "
     "kSyncAll floor a write asking for less is acknowledged with its WAL record unsynced"},
    {"group_commit_follower_unsynced",
     "a commit group syncs at its leader's durability, not the strongest in the group: a "
     "kSyncAll follower behind a kBuffered leader is acknowledged before anything synced it"},
    {"flush_table_unsynced",
     "a flushed L0 table is not synced before the manifest edit that adds it is made durable"},
    {"compaction_dir_unsynced",
     "the directory is not synced after a compaction creates its outputs, so a crash can drop "
     "the name of a table the manifest already lists"},
    {"manifest_dir_unsynced",
     "a new manifest's directory entry is not synced before CURRENT is renamed to name it"},
    {"flush_log_number_skips_wals",
     "a flush moves the manifest's log number to the active WAL, past the WALs of younger "
     "memtables not yet flushed; those WALs are deleted and a crash loses their writes"},
    {"wal_corruption_as_tail",
     "WAL recovery treats damage inside synced data as a torn tail and silently drops every "
     "record after it"},
    {"compaction_snapshot_off_by_one",
     "compaction puts a version whose sequence equals a snapshot's in the next newer stripe, "
     "so it is dropped as shadowed although that snapshot still reads it"},
    {"compaction_drops_tombstone_above_data",
     "compaction drops a deletion no snapshot needs even when its output is not the bottommost "
     "level, so an older value below it comes back"},
    {"compaction_bottommost_one_level",
     "a compaction counts as bottommost when only the level right below its output holds none "
     "of its keys; deletions are dropped while older values lie deeper"},
    {"memtable_tombstone_off_by_one",
     "a memtable's range tombstone is visible only to reads strictly above its sequence, so a "
     "point read at exactly its sequence still sees what it deleted"},
    {"iterator_skips_deep_tombstones",
     "iterators gather the range tombstones of memtables and L0 tables only, ignoring those in "
     "tables at L1 and deeper"},
    {"prefix_skip_drops_tombstones",
     "an iterator that skips an L0 table by its prefix filter skips that table's range "
     "tombstones too, although they may delete keys in older tables"},
    {"block_checksum_unchecked",
     "a table block whose checksum does not match is returned as data instead of Corruption"},
    {"block_cache_key_collision",
     "the block cache key leaves out the table's file number, so a read can be served another "
     "table's block cached at the same offset"},
    {"write_into_retired_memtable",
     "the commit leader picks its memtable before making room, so after a switch the group's "
     "writes land in the retired memtable, which a flush may already have written out"},
};

inline constexpr std::string_view kNoPlantedBug = "none";

// The name the build was given (KILN_PLANTED_BUG_NAME), "none" normally.
inline constexpr std::string_view kPlantedBugName =
    KILN_PLANTED_BUG_STRINGIFY(KILN_PLANTED_BUG_NAME);

constexpr bool IsKnownPlantedBug(std::string_view name) {
  for (const PlantedBug& bug : kPlantedBugNames) {
    if (bug.name == name) return true;
  }
  return false;
}

static_assert(kPlantedBugName == kNoPlantedBug || IsKnownPlantedBug(kPlantedBugName),
              "--define=kiln_bug=NAME names no planted bug: see kPlantedBugNames in "
              "engine/util/planted_bugs.h");

// The planted bug this binary carries, or nullptr in a normal build.
constexpr const PlantedBug* ActivePlantedBug() {
  for (const PlantedBug& bug : kPlantedBugNames) {
    if (bug.name == kPlantedBugName) return &bug;
  }
  return nullptr;
}

namespace internal {

// Never defined: reaching a call in a constant evaluation fails the build.
void UnknownPlantedBugNameAtSite();

consteval bool PlantedBugActive(std::string_view name) {
  if (!IsKnownPlantedBug(name)) UnknownPlantedBugNameAtSite();
  return name == kPlantedBugName;
}

}  // namespace internal
}  // namespace kiln

// True only in a build made with --define=kiln_bug=name. Use with if constexpr.
#define KILN_PLANTED_BUG(name) (::kiln::internal::PlantedBugActive(#name))

#endif  // KILN_UTIL_PLANTED_BUGS_H_
